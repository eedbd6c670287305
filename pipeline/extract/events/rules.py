"""Stage 3b: typed events from sentences, entities, amounts and dates.

A sentence yields an event when it holds a trigger for the type and the roles
the type needs. Negated sentences ('dément', 'did not') yield nothing; hearsay
('selon une source', 'reportedly') lowers the confidence. A sentence that
names no person ('Son départ', 'She joins') takes the latest person named
before it. Events with the same type and the same role entities merge, so a
story that repeats a fact gives one event with all its dates.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline.extract.caseblind import CaseBlind
from pipeline.extract.entities import EntityMention
from schemas import Amount, DateMention, Dispatch, EntityType, Event, EventRole


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass
class _Ctx:
    text: str
    sentence: Sentence
    trigger: re.Match[str]
    mentions: list[EntityMention]  # in this sentence
    previous_person: EntityMention | None
    main_org: EntityMention | None = None  # the organisation the story is most about

    @property
    def trigger_start(self) -> int:
        return self.sentence.start + self.trigger.start()

    @property
    def trigger_end(self) -> int:
        return self.sentence.start + self.trigger.end()

    def of_type(self, t: EntityType) -> list[EntityMention]:
        return [m for m in self.mentions if m.type == t]

    def before(self, t: EntityType) -> list[EntityMention]:
        return [m for m in self.of_type(t) if m.end <= self.trigger_start]

    def after(
        self, t: EntityType, preps: str | None = None, window: int = 80
    ) -> list[EntityMention]:
        out = []
        for m in self.of_type(t):
            if m.start < self.trigger_end or m.start - self.trigger_end > window:
                continue
            gap = self.text[self.trigger_end : m.start]
            if preps is None or re.search(rf"(?:{preps})\s*$", gap, re.IGNORECASE):
                out.append(m)
        return out


Roles = dict[str, list[EntityMention]]
RoleRule = Callable[[_Ctx], tuple[Roles, float] | None]


_PRONOUN_START = re.compile(
    r"^\W*(?:elle|il|son|sa|ses|celle-ci|celui-ci|la dirigeante|le dirigeant|she|he|his|her)\b",
    re.IGNORECASE,
)


def _person(ctx: _Ctx) -> tuple[list[EntityMention], float]:
    """The subject before the trigger, else a pronoun's antecedent, else one just after."""
    before = ctx.before(EntityType.PER)
    if before and re.match(
        r"^\s*,\s*(?:who|qui)\b", ctx.text[before[-1].end : ctx.trigger_start], re.IGNORECASE
    ):
        return [before[-1]], 1.0  # 'Marc Olivier, who is leaving'
    if before and not _PRONOUN_START.match(ctx.sentence.text):
        return [before[-1]], 1.0
    if _PRONOUN_START.match(ctx.sentence.text) and ctx.previous_person is not None:
        return [ctx.previous_person], 0.8
    after = ctx.after(EntityType.PER, window=60)
    if after:
        return [after[0]], 1.0
    if before:
        return [before[-1]], 1.0
    if ctx.previous_person is not None and not ctx.of_type(EntityType.PER):
        return [ctx.previous_person], 0.7
    return [], 0.0


_DIRECT = r"^\s*(?:(?:le|la|les|l'|l’|the)\s+)?"


def _departure(ctx: _Ctx) -> tuple[Roles, float] | None:
    person, factor = _person(ctx)
    if not person:
        return None
    org = ctx.after(
        EntityType.ORG, rf"{_DIRECT}|\bde|\bd'|\bd’|\bfrom|\bchez", window=40
    ) or ctx.before(EntityType.ORG)
    roles: Roles = {"person": person}
    if org:
        roles["organization"] = [org[0] if org[0].start > ctx.trigger_start else org[-1]]
    return roles, 0.85 * factor


_GENERIC_UNIT = re.compile(
    r"^\s*(?:the|its|le|la|l['’]|sa|son)\s*(?:[\w-]+\s+){0,3}?"
    r"(?:group|company|firm|unit|division|board|team|groupe|société|entreprise|division|direction"
    r"|branche|filiale|conseil)\b",
    re.IGNORECASE,
)


_FORMER = re.compile(
    r"(?:\b(?:ancien|ancienne|anciens|former|ex|previously|jusqu'ici|jusqu’ici|passée? par)\b"
    r"|\bex-)[^,.;]*$",
    re.IGNORECASE,
)


def _not_former(ctx: _Ctx, orgs: list[EntityMention]) -> list[EntityMention]:
    """'a recruté X, ancien directeur de Capgemini': Capgemini is where X comes from."""
    return [m for m in orgs if not _FORMER.search(ctx.text[ctx.trigger_end : m.start])]


_NAMED = re.compile(
    r"nomm|appoint|named|intérim|interim|will run|will lead|succ[eé]", re.IGNORECASE
)


_UNNAMED_SUCCESSOR = re.compile(
    r"\b(?:successor|successeur|remplaçant|replacement)\b[^,.;]{0,25}$", re.IGNORECASE
)


def _hire(ctx: _Ctx) -> tuple[Roles, float] | None:
    if _UNNAMED_SUCCESSOR.search(ctx.text[max(0, ctx.trigger_start - 60) : ctx.trigger_start]):
        return None  # 'a successor would be named in the coming weeks'
    person, factor = _person(ctx)
    org = _not_former(ctx, ctx.after(EntityType.ORG, window=60))
    if not org and re.search(
        r"recrut|hire|poach|embauch|nomm|appoint|named|tap", ctx.trigger.group(0), re.I
    ):
        org = [m for m in ctx.before(EntityType.ORG) if not person or m.end <= person[0].start][:1]
    if not org and _GENERIC_UNIT.match(ctx.text[ctx.trigger_end : ctx.trigger_end + 60]):
        # 'joins the group', 'rejoint la division commerciale': the story's own company
        org = [m for m in ctx.before(EntityType.ORG) if not person or m.end <= person[0].start][:1]
        if not org and ctx.main_org is not None:
            org = [ctx.main_org]
    if not org and person and _NAMED.search(ctx.trigger.group(0)) and ctx.main_org is not None:
        # 'X, who runs the group's beauty division, was named chief executive'
        org, factor = [ctx.main_org], factor * 0.9
    if not person or not org:
        return None
    return {"person": person, "organization": [org[0]]}, 0.85 * factor


def _replaced(ctx: _Ctx) -> tuple[Roles, float] | None:
    """'replacing Maria Ferraro', 'en remplacement de X', 'succeeds X': X leaves."""
    person = ctx.after(EntityType.PER, window=30)
    if not person:
        return None
    org = [m for m in ctx.of_type(EntityType.ORG) if m.end <= ctx.trigger_start][:1]
    if not org and ctx.main_org is not None:
        org = [ctx.main_org]
    if not org:  # a political office, say: not a personnel event
        return None
    return {"person": person[:1], "organization": org[:1]}, 0.8


# 'dans une nouvelle filiale d'Ubisoft', 'in a unit of Siemens': the target is the parent.
_UNIT_OF = (
    r"(?:\s+(?:une?|la|le|l['’]|a|an|the|sa|son|its)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:filiale|subsidiary|unit|branche|division|coentreprise|joint venture)\s+(?:de\s+|d['’]|of\s+))"
)
_LEAD = re.compile(
    r"à la tête d['’]un (?:groupe|consortium|tour)|led by|mené par|menée par|emmené par|led\b",
    re.IGNORECASE,
)


def _investment(ctx: _Ctx) -> tuple[Roles, float] | None:
    investors = ctx.before(EntityType.ORG)
    target = ctx.after(
        EntityType.ORG, rf"(?:\bdans|\bin|\binto|\bau capital de|\ben){_UNIT_OF}?[^,.;]{{0,60}}?"
    )
    if not investors or not target:
        return None
    roles: Roles = {"investor": investors[:1], "target": target[:1]}
    if _LEAD.search(ctx.sentence.text):
        roles["lead_investor"] = investors[:1]
    return roles, 0.85


_RAISE = re.compile(
    r"^(?:(?:a |avoir |ont )?levé|lève|rais(?:es|ed|ing)|secur(?:es|ed|ing)|a obtenu|obtient"
    r"|a bouclé|boucle"
    r"|clos(?:es|ed|ing))$",
    re.IGNORECASE,
)
_PARTICIPATE = re.compile(r"particip|took part|take part|joined|se joint|également investi", re.I)


_COORDINATION = re.compile(
    r"^\s*,\s*$"  # 'SoftBank, Accel'
    r"|^\s*,?\s*(?:and|et|&|ainsi que|as well as)\s+(?:d[eu]s?\s+|d['’])?"
    r"(?:(?:la|le|les|l['’]|the)\s+)?(?:[a-zà-ÿ-]+\s+){0,4}$"  # 'et de la banque publique X'
)


def _with_coordinated(ctx: _Ctx, first: EntityMention) -> list[EntityMention]:
    """'SoftBank, Accel and Benchmark', 'Belfius et du fonds Temasek': the whole list."""
    group = [first]
    for m in ctx.of_type(first.type):
        if m.start >= group[-1].end and _COORDINATION.match(ctx.text[group[-1].end : m.start]):
            group.append(m)
    return group


_LED_AFTER = re.compile(
    r",?\s*(?:qui (?:mène|a mené|pilote)|which (?:led|leads|is leading))\b", re.IGNORECASE
)


def _lead_investors(ctx: _Ctx) -> list[EntityMention]:
    lead = _LEAD.search(ctx.sentence.text)
    if lead is not None:
        start = ctx.sentence.start + lead.end()
        first = [m for m in ctx.of_type(EntityType.ORG) if 0 <= m.start - start <= 50][:1]
        return _with_coordinated(ctx, first[0]) if first else []
    after = _LED_AFTER.search(ctx.sentence.text)  # 'du fonds Temasek, qui mène l'opération'
    if after is not None:
        end = ctx.sentence.start + after.start()
        return [m for m in ctx.of_type(EntityType.ORG) if m.end <= end][-1:]
    return []


def _funding_round(ctx: _Ctx) -> tuple[Roles, float] | None:
    """'X raised N in a round led by Y'; 'a round of N organised by X'; 'Y took part'."""
    lead = _lead_investors(ctx)
    orgs_before = [m for m in ctx.before(EntityType.ORG) if m not in lead]
    if _RAISE.match(ctx.trigger.group(0)):
        target = orgs_before[-1:]
        found = ctx.after(EntityType.ORG, r"(?:auprès d[eu]s?|from|with|avec)\b[^,.;]{0,60}?", 120)
        listed = _with_coordinated(ctx, found[0]) if found else []
        investors = lead + [m for m in listed if m not in lead]
    else:
        target = [
            m
            for m in ctx.after(EntityType.ORG, r"par|\bby|\bfor|\bde|\bpour", window=120)
            if m not in lead
        ][:1]
        investors = lead + [m for m in orgs_before if m not in target]
    if _PARTICIPATE.search(ctx.sentence.text) and not target:
        # 'Bpifrance et Nvidia ont participé à cette levée': investors of the round told before.
        return ({"investor": investors}, 0.8) if investors else None
    if not target and orgs_before:
        # 'Exotec ... a réalisé une levée de fonds ... menée par Goldman Sachs'
        target = orgs_before[-1:]
        investors = [m for m in investors if m not in target]
    if not target:
        return None
    roles: Roles = {"target": target}
    if investors:
        roles["investor"] = investors
    if lead:
        roles["lead_investor"] = lead
    return roles, 0.85


def _acquisition(ctx: _Ctx) -> tuple[Roles, float] | None:
    acquirer = ctx.before(EntityType.ORG)
    target = ctx.after(EntityType.ORG, window=80)
    passive = re.match(
        r"\s*(?:par|by)\b",
        ctx.text[ctx.trigger_end : (target[0].start if target else ctx.trigger_end)],
    )
    if passive and target and acquirer:
        acquirer, target = target, acquirer
    if not acquirer or not target:
        return None
    return {"acquirer": acquirer[:1], "target": target[:1]}, 0.85


def _subject_org(ctx: _Ctx) -> list[EntityMention]:
    """The company a sentence is about: the last organisation before the trigger, else the
    story's main one."""
    before = ctx.before(EntityType.ORG)
    if before:
        return before[-1:]
    return [ctx.main_org] if ctx.main_org is not None else []


def _company(role: str, confidence: float = 0.8) -> RoleRule:
    def rule(ctx: _Ctx) -> tuple[Roles, float] | None:
        org = _subject_org(ctx)
        return ({role: org}, confidence) if org else None

    return rule


def _partnership(ctx: _Ctx) -> tuple[Roles, float] | None:
    partners = ctx.before(EntityType.ORG)
    partners += ctx.after(EntityType.ORG, r"(?:avec|with|and|et|entre|between)\b[^,.;]{0,40}?", 80)
    unique = list({m.entity_id: m for m in partners}.values())
    return ({"partner": unique}, 0.8) if len(unique) >= 2 else None


def _fine(ctx: _Ctx) -> tuple[Roles, float] | None:
    authority = ctx.before(EntityType.ORG)
    defendant = ctx.after(EntityType.ORG, window=90)
    before_trigger = ctx.text[max(ctx.sentence.start, ctx.trigger_start - 20) : ctx.trigger_start]
    passive = re.match(
        r"\s*(?:par|by)\b", ctx.text[ctx.trigger_end : ctx.trigger_end + 10]
    ) or re.search(r"\b(?:was|were|been|été)\s+$", before_trigger)
    if passive:
        authority, defendant = defendant, authority
    if not authority or not defendant:
        return None
    return {"authority": authority[-1:], "defendant": defendant[:1]}, 0.8


def _lawsuit(ctx: _Ctx) -> tuple[Roles, float] | None:
    plaintiff = ctx.before(EntityType.ORG)[-1:]
    # 'attaque Shein en justice': the defendant may sit inside the trigger
    defendants = [
        m
        for m in ctx.of_type(EntityType.ORG)
        if m.start > ctx.trigger_start and m.start - ctx.trigger_end <= 60
    ]
    if defendants:  # 'sued OpenAI and Microsoft': the coordinated names all stand accused
        group = [defendants[0]]
        for m in defendants[1:]:
            if re.fullmatch(r"\s*(?:,|et|and)\s*", ctx.text[group[-1].end : m.start]):
                group.append(m)
        defendants = group
    if not plaintiff or not defendants:
        return None
    return {"plaintiff": plaintiff, "defendant": defendants}, 0.8


def _places(ctx: _Ctx) -> tuple[Roles, float] | None:
    places = list({m.entity_id: m for m in ctx.of_type(EntityType.LOC)}.values())
    return ({"place": places}, 0.8) if places else None


def _death(ctx: _Ctx) -> tuple[Roles, float] | None:
    after = ctx.after(EntityType.PER, r"(?:décès|mort|death)\s+(?:de|du|d['’]|of)?", 40)
    before = ctx.before(EntityType.PER)
    person = after[:1] or before[:1]
    return ({"person": person}, 0.8) if person else None


def _election(ctx: _Ctx) -> tuple[Roles, float] | None:
    winner = ctx.before(EntityType.PER)[-1:] or ctx.after(EntityType.PER, window=40)[:1]
    if not winner:
        return None
    roles: Roles = {"winner": winner}
    places = list({m.entity_id: m for m in ctx.of_type(EntityType.LOC)}.values())
    if places:
        roles["place"] = places
    return roles, 0.8


@dataclass(frozen=True)
class EventRule:
    type: str
    trigger: CaseBlind
    roles: RoleRule
    wants_amount: bool = False
    needs_amount: bool = False  # 'a profit warning' without a figure is not a result


def _rx(pattern: str) -> CaseBlind:
    return CaseBlind(pattern)


RULES: tuple[EventRule, ...] = (
    EventRule(
        "personnel.departure",
        _rx(
            r"\b(?:quitt(?:e|er|era|é|ait)|départ|démission\w*|s['’]en va|cède sa place|limogé\w*"
            r"|évincé\w*|leav(?:es|ing)|left\b|quits?\b|depart(?:s|ure)?|resign\w*"
            r"|step(?:s|ped|ping)? down|ousted|was fired|retir(?:e|es|ed|ing)\b"
            r"|démise? de ses fonctions|remerciée?\b|congédiée?\b"
            r"|(?:prend(?:ra)?|part(?:ira)?) (?:sa|à la) retraite)"
        ),
        _departure,
    ),
    EventRule(
        "personnel.hire",
        _rx(
            r"\b(?:rejoin(?:t|dra|dre)|recrut\w*|nommée?s?\b|embauch\w*|arrive(?:ra)? chez"
            r"|prend(?:ra)? la (?:tête|direction)|join(?:s|ed|ing)?\b|hire[sd]?\b|hiring"
            r"|appoint(?:s|ed|ment)|named\b|poach(?:es|ed)?|recruit(?:s|ed)?|tap(?:s|ped)\b)"
        ),
        _hire,
    ),
    EventRule(
        "funding_round",
        _rx(
            r"(?:tour de table|levée de fonds|(?:a |avoir |ont )?levé\b|lève|série [A-F]\b"
            r"|funding round|(?:a également |ont également |also )?(?:participé|took part|participated)"
            r"(?=[^.]{0,40}\b(?:opération|round|levée|tour))"
            r"|round of funding|rais(?:es|ed|ing)\b|series [A-F]\b|seed round"
            r"|\b(?:secur(?:es|ed|ing)|a obtenu|obtient|a bouclé|boucle|clos(?:es|ed|ing))\b"
            r"(?=[^.]{0,40}?\d)"
            r"|\b(?:the|this|that|ce|cette|la) (?:round|tour de table|levée(?: de fonds)?)\b)"
        ),
        _funding_round,
        wants_amount=True,
    ),
    EventRule(
        "investment",
        _rx(
            r"\b(?:investi[rt]?\b|investissement|investira|injecte\w*|prise de participation"
            r"|entre au capital|invest(?:s|ed|ing|ment)?\b|stake in|prend(?:re)? une participation"
            r"|takes? a stake|pour(?:s|ed|ing)? (?=[^.]{0,30}\binto\b))"
        ),
        _investment,
        wants_amount=True,
    ),
    EventRule(
        "acquisition",
        _rx(
            r"\b(?:rach[eè]t\w*|rachat|acquiert|acquis\b|acquisition|met la main sur|s['’]empare"
            r"|acquir(?:es|ed|ing|e)|buy(?:s|ing)?|bought|takeover|purchas(?:es|ed|e)|s['’]offr\w*"
            r"|snap(?:s|ped|ping)? up)\b"
        ),
        _acquisition,
        wants_amount=True,
    ),
    EventRule(
        "personnel.departure",
        _rx(
            r"\b(?:replac(?:ing|es|ed)|en remplacement de|remplace|remplacera"
            r"|succ[eèé]d(?:e|s|er|ing|era)?\b)"
        ),
        _replaced,
    ),
    EventRule(
        "personnel.hire",
        _rx(
            r"\b(?:assurera l['’]intérim|par intérim|interim|will (?:run|lead) the"
            r"|succeed(?:s|ing)?\b|succédera|succéder|succède)"
        ),
        _hire,
    ),
    EventRule(
        "partnership",
        _rx(
            r"\b(?:partenariat|s['’]associ\w+|alliance|coentreprise|accord de coopération"
            r"|partnership|team(?:s|ed)? up|joint venture|tie-up|accord (?:stratégique|de partenariat)"
            r"|strategic (?:agreement|alliance)|s['’]allient|s['’]allie)"
        ),
        _partnership,
    ),
    EventRule(
        "earnings",
        _rx(
            r"\b(?:bénéfice|résultat net|résultat opérationnel|perte nette|chiffre d['’]affaires"
            r"|net profit|net loss|net income|profit|operating income|revenue|earnings"
            r"|(?:operating|quarterly|annual|pre-tax) loss|perte (?:opérationnelle|d['’]exploitation))"
        ),
        _company("company"),
        wants_amount=True,
        needs_amount=True,
    ),
    EventRule(
        "layoffs",
        _rx(
            r"(?:supprim\w+ (?:[\d.,\s]+ )?(?:postes|emplois)|suppressions? (?:de )?(?:[\d.,\s]+ )?"
            r"(?:postes|emplois)|plan social|plan de départs|licenciements?|licencier"
            r"|se s[ée]parer? d(?:e|u|['’])[^.]{0,30}?(?:salariés|employés|collaborateurs|postes)"
            r"|(?:slash|shed|eliminat|axe)\w*\s+(?:about |some |nearly |around |up to )?[\d,.]+\s+"
            r"(?:jobs|positions|workers|staff)"
            r"|lay(?:s|ing)? off|laid off|layoffs?|job cuts|cut(?:s|ting)? (?:about |some )?"
            r"[\d,]+ (?:jobs|positions|workers|staff)|axe[sd]? [\d,]+)"
        ),
        _company("company"),
    ),
    EventRule(
        "legal.fine",
        _rx(r"\b(?:amende|inflig\w+|sanctionn\w+|fine[sd]?\b|fining|penalt(?:y|ies))"),
        _fine,
        wants_amount=True,
    ),
    EventRule(
        "legal.lawsuit",
        _rx(
            r"\b(?:porte plainte|porté plainte|plainte contre|assign\w* en justice|poursui\w+ en"
            r" justice|attaqu\w+ (?:[\w'’-]+ ){0,3}en justice|sue[sd]?\b|suing|lawsuit"
            r"|assign\w*(?=[^.]{0,60}\b(?:devant|au tribunal|en justice))"
            r"|filed a (?:suit|complaint))"
        ),
        _lawsuit,
    ),
    EventRule(
        "product.launch",
        # a launch of something new: 'a lancé mercredi la nouvelle Twingo', 'unveiled its first'
        _rx(
            r"\b(?:(?:a )?lanc[eé]\w*|lancement|dévoil\w+|launch(?:es|ed)?|unveil\w*|rolls? out"
            r"|rolled out)\b(?=(?:\s+[\w'’]+){0,3}?\s+(?:nouvel(?:le)?s?|nouveaux?|new|first|premier"
            r"|première|latest|dernier|dernière)\b)"
        ),
        _company("company"),
    ),
    EventRule(
        "election.result",
        _rx(
            r"\b(?:remport\w+ (?:\w+ ){0,2}(?:élections?|présidentielle|législatives|scrutin|vote"
            r"|second tour)|élue?s? (?:\w+ )?(?:président|présidente|maire|premier)|wins? (?:[\w']+ ){0,3}"
            r"(?:election|runoff|vote|presidency|ballot)|won (?:[\w']+ ){0,3}(?:election|runoff|vote"
            r"|presidency|ballot)|elected (?:president|prime minister|mayor))"
        ),
        _election,
    ),
    EventRule(
        "disaster",
        _rx(
            r"\b(?:séisme|tremblement de terre|inondations?|crues?|ouragan|cyclone|typhon|tempête"
            r"|incendies?|glissement de terrain|tsunami|éruption|earthquake|quake|floods?|flooding"
            r"|hurricane|typhoon|wildfires?|landslide|eruption|storm)\b"
        ),
        _places,
    ),
    EventRule(
        "attack",
        _rx(
            r"\b(?:attentat|attaque(?![^.]{0,40}en justice)|kamikaze|fusillade|suicide bomb\w*|bombing"
            r"|attack|shooting|gunmen|stabbing|car bomb)\b"
        ),
        _places,
    ),
    EventRule(
        "death",
        _rx(
            r"(?:\best morte?\b|\best décédée?|\bdécès\b|\bmeurt\b|\bs['’]est éteinte?"
            r"|\bdied\b|\bdies\b|\bpassed away|\bdeath of\b)"
        ),
        _death,
    ),
)

# General-news events: one per dispatch and type (a story about one quake says 'quake' often).
ONE_PER_DISPATCH = frozenset({"disaster", "attack"})

NEGATION = _rx(
    r"\b(?:dément\w*|démenti|nie\b|n['’]\w+ (?:pas|jamais|plus)\b|ne \w+ (?:pas|jamais|plus)\b"
    r"|aucun\w*|not|never|denie[sd]|deny|ruled out|won['’]t|didn['’]t|did not|has no plans)"
)
# Said to be happening: an event, sourced less firmly.
ATTRIBUTION = _rx(
    r"(?:selon (?:une|des|plusieurs) sources?|source proche|reportedly|sources said"
    r"|people familiar|selon la presse|selon le quotidien|according to (?:a )?reports?)"
)
# Not happened yet: a rumour or a plan; kept with a low confidence, below the default floor.
SPECULATION = _rx(
    r"(?:rumeur|pourrai[te]nt?|serai[te]nt?|aurai[te]nt?|envisag\w*|could|may\b|might\b"
    r"|considering|weighing|explor(?:es|ing)|étudie|in (?:\w+ )?talks|en (?:\w+ )?discussions?|en (?:\w+ )?négociations?"
    r"|in (?:\w+ )?negotiations|would make an? (?:offer|bid))"
)
# 'qui avait levé 600 millions en juin 2024': recalled background, not news.
# 'said Wednesday it had raised': reported speech, the pluperfect is today's news.
REPORTED = _rx(r"\b(?:said|says|announced|told|reported|a annoncé|a indiqué|a précisé|a déclaré)\b")
PLUPERFECT = _rx(r"\b(?:avait|avaient|had|previously|précédemment|déjà)\s+(?:\w+\s+){0,2}$")


def _event_id(guid: str, type_: str, roles: Roles) -> str:
    key = "|".join(
        f"{r}={','.join(sorted(m.entity_id for m in ms))}" for r, ms in sorted(roles.items())
    )
    return hashlib.sha1(f"{guid}|{type_}|{key}".encode()).hexdigest()[:20]


def _role_view(roles: Roles) -> dict[str, list[EventRole]]:
    out: dict[str, list[EventRole]] = {}
    for role, ms in roles.items():
        seen: dict[str, EventRole] = {}
        for m in ms:
            seen.setdefault(m.entity_id, EventRole(entity_id=m.entity_id, name=m.text, type=m.type))
        out[role] = list(seen.values())
    return out


def extract_events(
    dispatch: Dispatch,
    sentences: Sequence[Sentence],
    mentions: Sequence[EntityMention],
    amounts: Sequence[Amount],
    dates: Sequence[DateMention],
    canonical_names: dict[str, str],
) -> list[Event]:
    text = dispatch.text
    events: dict[str, Event] = {}
    last_person: EntityMention | None = None
    main_org = _main_org(mentions)
    year = reference_date(dispatch).year
    for sent in sentences:
        in_sent = [m for m in mentions if sent.start <= m.start < sent.end]
        lowered = sent.text.lower()  # read by every case-blind cue below
        negated = NEGATION.search(sent.text, lowered) is not None
        hearsay = 0.5 if SPECULATION.search(sent.text, lowered) else 1.0
        if hearsay == 1.0 and ATTRIBUTION.search(sent.text, lowered):
            hearsay = 0.85
        for rule in RULES:
            if negated:
                break
            for trig in rule.trigger.finditer(sent.text, lowered):
                if _is_background(sent.text, trig, year):
                    continue
                ctx = _Ctx(text, sent, trig, in_sent, last_person, main_org)
                found = rule.roles(ctx)
                if found is None:
                    continue
                roles, confidence = found
                if "target" not in roles and rule.type == "funding_round":
                    earlier = [e for e in events.values() if e.type == rule.type]
                    if earlier:  # participants of the round the story already told
                        known_ids = {r.entity_id for r in earlier[-1].roles.get("investor", [])}
                        extra = [
                            r for r in _role_view(roles)["investor"] if r.entity_id not in known_ids
                        ]
                        earlier[-1].roles.setdefault("investor", []).extend(extra)
                    break
                amount = None
                if rule.wants_amount:
                    in_amounts = [a for a in amounts if sent.start <= a.start < sent.end]
                    amount = min(
                        in_amounts, key=lambda a: abs(a.start - ctx.trigger_start), default=None
                    )
                    if amount is None and rule.needs_amount:
                        continue
                when = [d for d in dates if sent.start <= d.start < sent.end]
                eid = _event_id(dispatch.guid, rule.type, roles)
                if rule.type in ONE_PER_DISPATCH:
                    eid = next((k for k, e in events.items() if e.type == rule.type), eid)
                if eid in events:
                    prev = events[eid]
                    known = {(d.text, d.start) for d in prev.dates}
                    prev.dates.extend(d for d in when if (d.text, d.start) not in known)
                    prev.amount = prev.amount or amount
                    prev.confidence = max(prev.confidence, round(confidence * hearsay, 2))
                    continue
                role_view = _role_view(roles)
                for rs in role_view.values():
                    for r in rs:
                        r.name = canonical_names.get(r.entity_id, r.name)
                events[eid] = Event(
                    id=eid,
                    type=rule.type,
                    dispatch_guid=dispatch.guid,
                    dispatch_version=dispatch.version,
                    language=dispatch.language,
                    roles=role_view,
                    amount=amount,
                    dates=list(when),
                    evidence=sent.text.strip(),
                    confidence=round(confidence * hearsay, 2),
                    versioncreated=dispatch.versioncreated or dispatch.received_at,
                )
                break  # one event of a type per sentence
        people = [m for m in in_sent if m.type == EntityType.PER]
        if people:
            last_person = people[-1]
    return _merge_partial(list(events.values()))


def _main_org(mentions: Sequence[EntityMention]) -> EntityMention | None:
    """The organisation the story is about: the most named, the lede's first breaking ties."""
    orgs = [m for m in mentions if m.type == EntityType.ORG]
    if not orgs:
        return None
    score: dict[str, float] = dict(Counter(m.entity_id for m in orgs))
    score[orgs[0].entity_id] += 1.5
    best = max(score, key=lambda k: score[k])
    return next(m for m in orgs if m.entity_id == best)


def _is_background(sentence: str, trigger: re.Match[str], year: int) -> bool:
    """The trigger sits in a clause recalling the past: pluperfect, or an earlier year."""
    clause_start = max(
        sentence.rfind(",", 0, trigger.start()), sentence.rfind("(", 0, trigger.start())
    )
    reported = REPORTED.search(sentence[: trigger.start()])
    if not reported and PLUPERFECT.search(sentence[max(0, clause_start + 1) : trigger.start()]):
        return True
    clause_end = sentence.find(",", trigger.end())
    clause = sentence[clause_start + 1 : clause_end if clause_end >= 0 else len(sentence)]
    years = [int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", clause)]
    return bool(years) and max(years) < year


def _role_ids(e: Event) -> set[tuple[str, str]]:
    return {(r, f.entity_id) for r, fs in e.roles.items() for f in fs}


def _merge_partial(events: list[Event]) -> list[Event]:
    """'Son départ' without the company merges into the departure that names it."""
    kept: list[Event] = []
    for e in sorted(events, key=lambda e: -len(_role_ids(e))):
        richer = next((k for k in kept if k.type == e.type and _role_ids(e) < _role_ids(k)), None)
        if richer is None:
            kept.append(e)
            continue
        known = {(d.text, d.start) for d in richer.dates}
        richer.dates.extend(d for d in e.dates if (d.text, d.start) not in known)
        richer.amount = richer.amount or e.amount
    order = {e.id: i for i, e in enumerate(events)}
    return sorted(kept, key=lambda e: order[e.id])


def reference_date(dispatch: Dispatch) -> datetime:
    return dispatch.versioncreated or dispatch.dateline.date or dispatch.received_at
