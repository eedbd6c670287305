"""Who does what: the role rules, one per event type.

Each rule reads the dependency parse first (pipeline.extract.events.syntax): the
subject, inherited through control ('agreed to buy', 'plans to cut', 'a décidé de
racheter') and coordination, the object, the passive agent ('was fined … by', 'a été
condamné … par'), prepositional objects ('with', 'avec', 'against', 'contre', 'from',
'auprès de'), appositions and coordinated names ('Airbus, Safran and Thales'). Where the
small models' parse has nothing to say, the rule falls back on word order (the name
before the trigger, the name after it), which is what the rules did before the parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from spacy.tokens import Token

from pipeline.extract.entities import EntityMention
from pipeline.extract.events import syntax as sx
from schemas import EntityType

PER, ORG, LOC = EntityType.PER, EntityType.ORG, EntityType.LOC


@dataclass
class Ctx:
    """One trigger in one sentence, with what the rules may read around it."""

    text: str  # the whole analysed text
    sentence_start: int
    sentence_text: str
    trigger_start: int  # absolute character offsets
    trigger_end: int
    mentions: list[EntityMention]  # in this sentence
    previous_person: EntityMention | None
    main_org: EntityMention | None = None  # the organisation the story is most about
    syn: sx.Syntax | None = None
    tok: Token | None = None  # the trigger's anchor token, when the doc is parsed
    previous_org: EntityMention | None = None  # the last organisation a sentence was about
    all_mentions: list[EntityMention] = field(default_factory=list)

    @property
    def trigger_text(self) -> str:
        return self.text[self.trigger_start : self.trigger_end]

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

    # ---------------------------------------------------------------- from the parse

    @property
    def verb(self) -> Token | None:
        return sx.clause_verb(self.tok) if self.tok is not None else None

    @property
    def passive(self) -> bool:
        v = self.verb
        return v is not None and sx.is_passive(v)

    def _under(self, toks: list[Token], t: EntityType, conj: bool = True) -> list[EntityMention]:
        if self.syn is None:
            return []
        out: list[EntityMention] = []
        for tok in toks:
            for m in self.syn.under(tok, (t,), conj=conj):
                if m not in out and m in self.mentions:
                    out.append(m)
        return out

    def subject(self, t: EntityType, conj: bool = True) -> list[EntityMention]:
        """The trigger's subject (inherited through xcomp / conj), resolved when it is a
        pronoun or a generic noun ('it', 'the company', 'le groupe')."""
        v = self.verb
        if v is None or self.syn is None:
            return []
        subj = sx.subject_tokens(v)
        rel = [c for c in v.children if c.dep_ in sx.SUBJECT and c.lower_ in sx.RELATIVE]
        if rel:  # 'Agnès de Villers, qui prend sa retraite': the name before the pronoun
            left = [m for m in self.of_type(t) if 0 <= rel[0].idx - m.end <= 3]
            if left:
                return left[:1]
        found = self._under(subj, t, conj)
        if found:
            return found
        if subj and sx.is_generic(subj[0]):
            return self._antecedent(v, t)
        return []

    def _antecedent(self, verb: Token, t: EntityType) -> list[EntityMention]:
        """'Halvorsen said it had agreed to buy': the subject of the reporting verb;
        else the nearest earlier name of the type in the sentence; else, for a pronoun,
        the last sentence's subject ('It said …'), for 'the company', the story's own."""
        subj = sx.subject_tokens(verb)
        pronoun = bool(subj) and subj[0].pos_ == "PRON"
        if t == PER and not (pronoun and subj[0].lower_ in _PERSONAL):
            return []
        for g in sx.governors(verb)[1:]:
            above = sx.subject_tokens(g)
            found = self._under(above, t, conj=True)
            if found:
                return found
            if above and not sx.is_generic(above[0]):
                break
        earlier = [
            m
            for m in self.of_type(t)
            if m.end <= self.trigger_start and not self._in_relative(m, verb)
        ]
        if earlier:
            return earlier[-1:]
        if t == ORG:
            prev = self.previous_org if pronoun else self.main_org
            prev = prev or self.main_org
            return [prev] if prev is not None else []
        if self.previous_person is not None:
            return [self.previous_person]
        return []

    def reporter(self, t: EntityType) -> list[EntityMention]:
        """'Qantas … announced that chairman X would retire', 'La compagnie a annoncé le
        départ de son directeur financier', 'the firm said founder X would step down': the
        subject of a verb governing the trigger (resolved when generic), which is whose
        news it is."""
        if self.tok is None or self.syn is None:
            return []
        for g in sx.governors(self.tok)[1:]:
            if g.pos_ not in ("VERB", "AUX"):
                continue
            subj = sx.subject_tokens(g)
            found = self._under(subj, t, conj=False)
            if found:
                return found[:1]
            definite = (
                bool(subj)
                and subj[0].pos_ == "NOUN"
                and any(d.dep_ == "det" and d.lower_ in _DEFINITE for d in subj[0].children)
            )  # 'The Anglo-Australian miner also said its chairman, X, would step down'
            if subj and (sx.is_generic(subj[0]) or definite) and subj[0].lower_ not in sx.RELATIVE:
                if t == ORG and subj[0].pos_ != "PRON" and self.main_org is not None:
                    return [self.main_org]  # 'the firm', 'la compagnie': the story's own
                if t == ORG and subj[0].pos_ == "PRON":
                    prev = self.previous_org or self.main_org
                    return [prev] if prev is not None else []
            if subj:
                break
        return []

    def apposed(self, person: EntityMention, t: EntityType) -> list[EntityMention]:
        """'Chiara Ferri, directrice générale de Fendi depuis 2023, quittait…', 'X, chief
        executive of Y, resigned': the organisation the person's apposition names (not a
        former one: 'a former Boeing executive')."""
        if self.syn is None:
            return []
        span = self.syn.doc.char_span(person.start, person.end, alignment_mode="expand")
        if span is None or not len(span):
            return []
        out: list[EntityMention] = []
        for c in span.root.children:
            # the small French model often reads the apposed title as a conjunct
            title = c.dep_ == "appos" or (c.dep_ == "conj" and c.pos_ == "NOUN")
            if not title or any(w.lower_ in _FORMER_WORDS for w in c.subtree):
                continue
            out += [m for m in self._under([c], t, conj=False) if m is not person]
        return out[:1]

    def _in_relative(self, m: EntityMention, verb: Token) -> bool:
        """'The Dutch group, which makes Amstel and Tiger, said it would cut 2,400 jobs':
        Amstel sits in a relative clause of the subject, not on the trigger's path."""
        if self.syn is None:
            return False
        at = self.syn.token_at(m.start)
        if at is None:
            return False
        path = {g.i for g in sx.governors(verb)}
        for a in at.ancestors:
            if a.i in path:
                return False
            if a.dep_ in ("relcl", "acl:relcl"):
                return True
        return False

    def objects(self, t: EntityType, conj: bool = True) -> list[EntityMention]:
        if self.tok is None:
            return []
        heads = sx.objects(self.tok)
        if self.verb is not None and self.verb is not self.tok:
            heads += [o for o in sx.objects(self.verb) if o is not self.tok]
        return self._under(heads, t, conj)

    def preps(self, t: EntityType, words: set[str], conj: bool = True) -> list[EntityMention]:
        """Objects of `words` on the trigger, or on the verb a noun trigger depends on."""
        if self.tok is None:
            return []
        heads = sx.prep_objects(self.tok, words)
        if self.verb is not None and self.verb is not self.tok:
            heads += sx.prep_objects(self.verb, words)
        return self._under(heads, t, conj)

    def agent(self, t: EntityType) -> list[EntityMention]:
        if self.tok is None:
            return []
        heads = sx.agents(self.tok)
        if self.verb is not None and self.verb is not self.tok:
            heads += sx.agents(self.verb)
        return self._under(heads, t)

    def in_subtree(self, t: EntityType) -> list[EntityMention]:
        """Names under the trigger (not in its subject), nearest first."""
        if self.tok is None:
            return []
        heads = [
            c for c in self.tok.children if c.dep_ not in sx.SUBJECT and c.dep_ not in sx.CLAUSAL
        ]
        return self._under(heads, t)


_DEFINITE = frozenset({"the", "le", "la", "l'", "l’"})
_FORMER_WORDS = frozenset({"former", "ancien", "ancienne", "ex", "previously", "formerly"})
_PERSONAL = frozenset({"he", "she", "il", "elle", "him", "her", "lui", "-il", "-elle"})

Roles = dict[str, list[EntityMention]]
RoleRule = Callable[[Ctx], tuple[Roles, float] | None]


def _coordinated(ctx: Ctx, first: EntityMention) -> list[EntityMention]:
    """'SoftBank, Accel and Benchmark', 'Belfius et du fonds Temasek': the whole list."""
    group = [first]
    for m in ctx.of_type(first.type):
        if (
            m.start >= group[-1].end
            and _COORDINATION.match(ctx.text[group[-1].end : m.start])
            and not _SPEAKS.match(ctx.text[m.end : m.end + 30])
        ):
            group.append(m)
    return group


# '…, Lumen said in a statement': the name after the last comma is the speaker, not a member
_SPEAKS = re.compile(
    r"\s+(?:said|says|told|added|announced|a (?:indiqué|annoncé|précisé|déclaré|ajouté)"
    r"|indique|précise|annonce)\b",
    re.IGNORECASE,
)


_COORDINATION = re.compile(
    r"^\s*,\s*$"  # 'SoftBank, Accel'
    r"|^\s*,?\s*(?:and|et|&|ainsi que|as well as)\s+(?:d[eu]s?\s+|d['’])?"
    r"(?:(?:la|le|les|l['’]|the)\s+)?(?:[a-zà-ÿ-]+\s+){0,4}$"  # 'et de la banque publique X'
)


def _unique(ms: list[EntityMention]) -> list[EntityMention]:
    return list({m.entity_id or f"{m.start}": m for m in ms}.values())


# ------------------------------------------------------------------ people

_PRONOUN_START = re.compile(
    r"^\W*(?:elle|il|son|sa|ses|celle-ci|celui-ci|la dirigeante|le dirigeant|she|he|his|her)\b",
    re.IGNORECASE,
)


def _person_linear(ctx: Ctx) -> tuple[list[EntityMention], float]:
    """The subject before the trigger, else a pronoun's antecedent, else one just after."""
    before = ctx.before(PER)
    sentence = ctx.sentence_text
    if before and re.match(
        r"^\s*,\s*(?:who|qui)\b", ctx.text[before[-1].end : ctx.trigger_start], re.IGNORECASE
    ):
        return [before[-1]], 1.0  # 'Marc Olivier, who is leaving'
    if before and not _PRONOUN_START.match(sentence):
        return [before[-1]], 1.0
    if _PRONOUN_START.match(sentence) and ctx.previous_person is not None:
        return [ctx.previous_person], 0.8
    after = ctx.after(PER, window=60)
    if after:
        return [after[0]], 1.0
    if before:
        return [before[-1]], 1.0
    if ctx.previous_person is not None and not ctx.of_type(PER):
        return [ctx.previous_person], 0.7
    return [], 0.0


def _person(ctx: Ctx, *, object_role: bool = False) -> tuple[list[EntityMention], float]:
    """The person the trigger is about: its subject (or, for 'appoint', 'nommer', its
    object; for a passive, its subject), from the parse, else by word order. A noun names
    its own: 'following the departure of Debra Crew', 'la nomination de X', "X's exit"."""
    if ctx.tok is not None and ctx.tok.pos_ == "NOUN" and ctx.syn is not None:
        own = ctx._under(sx.prep_objects(ctx.tok, {"of", "de", "d'", "d’", "du"}), PER, conj=False)
        own = own or ctx._under([c for c in ctx.tok.children if c.dep_ == "poss"], PER)
        if own:
            return own[:1], 1.0
    if object_role and not ctx.passive:
        found = ctx.objects(PER, conj=False)
        if found:
            return found[:1], 1.0
        if ctx.tok is not None and any(o.pos_ in ("NOUN", "NUM") for o in sx.objects(ctx.tok)):
            return [], 0.0  # 'to hire 300 engineers': nobody named is hired
    found = ctx.subject(PER, conj=False)
    if found:
        subj = sx.subject_tokens(ctx.verb) if ctx.verb is not None else []
        by_pronoun = bool(subj) and subj[0].pos_ == "PRON" and found[0] not in ctx.mentions
        return found[:1], 0.8 if by_pronoun else 1.0  # 'Elle arrive chez Amazon'
    return _person_linear(ctx)


# A subject that names someone only by relation to another: 'his predecessor was ousted',
# 'son prédécesseur avait été limogé' name no one of their own.
_RELATIONAL = frozenset(
    {"predecessor", "successor", "prédécesseur", "successeur", "remplaçant", "replacement"}
)


def _unnamed_relational_subject(ctx: Ctx) -> bool:
    if ctx.verb is None or ctx.syn is None:
        return False
    subj = sx.subject_tokens(ctx.verb)
    return bool(subj) and subj[0].lemma_.lower() in _RELATIONAL and not ctx._under(subj, PER)


def departure(ctx: Ctx) -> tuple[Roles, float] | None:
    if _unnamed_relational_subject(ctx):
        return None
    if (
        ctx.tok is not None
        and ctx.tok.lemma_.lower() in ("fire", "remove")
        and not ctx.passive
        and not ctx.objects(PER, conj=False)
    ):
        return None  # 'firing on all cylinders', 'removed a tariff': no one fired
    person, factor = _person(ctx, object_role=_FIRES.search(ctx.trigger_text) is not None)
    if not person:
        return None
    if ctx.tok is not None and ctx.tok.pos_ == "NOUN" and not ctx.of_type(PER):
        # 'the departure was expected', 'Son départ': the person told before, and the
        # company only where the noun names it ('le départ de X de Y')
        org = ctx._under(sx.prep_objects(ctx.tok, {"from", "de", "d'", "d’", "of", "at"}), ORG)
        org = org or ctx.apposed(person[0], ORG) or ctx.reporter(ORG)
        told: Roles = {"person": person}
        if org:
            told["organization"] = org[:1]
        return told, 0.85 * factor
    org = ctx.objects(ORG, conj=False) or ctx.preps(ORG, {"from", "de", "d'", "d’", "of", "at"})
    if not org and ctx.tok is not None and ctx.main_org is not None:
        # 'is leaving the group', 'quitte l'entreprise': the story's own company
        generic = [o for o in sx.objects(ctx.tok) if o.lemma_.lower() in _UNIT_NOUNS]
        if generic:
            org = [ctx.main_org]
    if not org:
        org = ctx.in_subtree(ORG)
    if not org:
        org = ctx.apposed(person[0], ORG) or ctx.reporter(ORG)
    if not org:
        org = ctx.after(ORG, rf"{_DIRECT}|\bde|\bd'|\bd’|\bfrom|\bchez", window=40) or ctx.before(
            ORG
        )
        if org:
            org = [org[0] if org[0].start > ctx.trigger_start else org[-1]]
    roles: Roles = {"person": person}
    if not org and ctx.main_org is not None and _GENERIC_UNIT_AFTER.search(ctx.sentence_text):
        org = [ctx.main_org]
    if org:
        roles["organization"] = org[:1]
    return roles, 0.85 * factor


_UNIT_NOUNS = frozenset(
    {"group", "company", "firm", "board", "groupe", "société", "entreprise", "maison",
     "bank", "banque", "carrier", "compagnie", "airline", "business"}
)  # fmt: skip
_FIRES = re.compile(
    r"limog|évinc|démi[st]|renvoy|congédi|remerci|dismiss|fire|sack|oust|remov", re.I
)
_DIRECT = r"^\s*(?:(?:le|la|les|l'|l’|the)\s+)?"
_GENERIC_UNIT = re.compile(
    r"^\s*(?:the|its|le|la|l['’]|sa|son)\s*(?:[\w-]+\s+){0,3}?"
    r"(?:group|company|firm|unit|division|board|team|groupe|société|entreprise|division|direction"
    r"|branche|filiale|conseil)\b",
    re.IGNORECASE,
)
_GENERIC_UNIT_AFTER = re.compile(
    r"\b(?:the|its|le|la|l['’]|sa|son) (?:group|company|firm|groupe|société|entreprise)\b", re.I
)
_FORMER = re.compile(
    r"(?:\b(?:ancien|ancienne|anciens|former|ex|previously|jusqu'ici|jusqu’ici|passée? par"
    r"|était|was|most recently|spent|a passé)\b|\bex-)[^.;]*$",
    re.IGNORECASE,
)


def _not_former(ctx: Ctx, orgs: list[EntityMention]) -> list[EntityMention]:
    """'a recruté X, ancien directeur de Capgemini': Capgemini is where X comes from."""
    return [m for m in orgs if not _FORMER.search(ctx.text[ctx.trigger_end : m.start])]


_NAMED = re.compile(r"nomm|appoint|named|intérim|interim|will run|will lead|succ[eé]", re.I)
_UNNAMED_SUCCESSOR = re.compile(
    r"\b(?:successor|successeur|remplaçant|replacement)\b[^,.;]{0,25}$", re.IGNORECASE
)
# 'X joins Y', 'X rejoint Y', 'X takes the helm of Y': the person is the subject.
_JOINS = re.compile(
    r"rejoin|join|arriv|prend|take|become|devien|devenu|will (?:run|lead)|succ|assur|intérim"
    r"|interim",
    re.I,
)


# the post a person is given, whose complement names the organisation they will run
_POST_WORDS = frozenset(
    {"head", "lead", "run", "helm", "chief", "executive", "ceo", "chairman", "chairwoman",
     "president", "director", "boss", "manager", "coach", "chair", "officer",
     "tête", "diriger", "piloter", "présider", "directeur", "directrice", "président",
     "présidente", "patron", "patronne", "poste", "pdg", "gérant", "entraîneur", "rênes",
     "commandes"}
)  # fmt: skip


_POSSESSIVE_DETS = frozenset({"its", "their", "his", "her", "sa", "son", "ses", "leur", "leurs"})
_PERSON_PHRASE = sx.OBJECT | {"obj"}


def _post_org(ctx: Ctx) -> list[EntityMention]:
    """'a nommé X à la tête de Kalpé Money', 'named X to head Siemens Mobility', 'appointed
    X as chief executive of Y', 'a désigné X pour diriger Orano': the organisation the post
    is at, read through the post word on the path from the trigger, not the subject that
    appoints (a parent company, a new owner)."""
    if ctx.tok is None or ctx.syn is None:
        return []
    anchor = ctx.tok
    for m in ctx.of_type(ORG):
        tok = ctx.syn.token_at(m.start)
        if tok is None or tok.i == anchor.i:
            continue
        path: list[Token] = []
        node = tok
        while node.head.i != node.i and len(path) < 5:
            person_phrase = node.dep_ == "appos" or (
                node.head.i == anchor.i and node.dep_ in _PERSON_PHRASE
            )
            if node.dep_ in sx.SUBJECT or (path and person_phrase):
                break  # 'Castel's chief executive, X': the job the person has now
            node = node.head
            if node.i == anchor.i:
                post = any(w.lower_ in _POST_WORDS or w.lemma_.lower() in _POST_WORDS for w in path)
                # 'to run its subsidiary Cariad': a unit of the appointer, whose move it is
                former = any(
                    c.lower_ in _FORMER_WORDS
                    or c.dep_ in ("poss", "det:poss")
                    or c.lower_ in _POSSESSIVE_DETS
                    for w in (*path, tok)
                    for c in w.children
                )
                if post and not former:
                    return [m]
                break
            path.append(node)
    return []


def hire(ctx: Ctx) -> tuple[Roles, float] | None:
    if _UNNAMED_SUCCESSOR.search(ctx.text[max(0, ctx.trigger_start - 60) : ctx.trigger_start]):
        return None  # 'a successor would be named in the coming weeks'
    joins = _JOINS.search(ctx.trigger_text) is not None
    person, factor = _person(ctx, object_role=not joins)
    org: list[EntityMention] = _post_org(ctx)
    if not org and not joins and not ctx.passive:
        org = ctx.subject(ORG, conj=False)  # 'Estée Lauder named Lucas Brandt'
    if not org:
        org = _not_former(ctx, ctx.objects(ORG, conj=False) if joins else [])
    if not org:
        org = _not_former(ctx, ctx.preps(ORG, {"of", "at", "de", "d'", "d’", "chez", "by", "par"}))
    if not org and not joins:
        org = ctx.reporter(ORG)  # 'Diageo said it had named X': whose appointment it is
    if not org:
        org = _not_former(ctx, ctx.after(ORG, window=60))
    if not org and re.search(
        r"recrut|hire|poach|embauch|nomm|appoint|named|tap|désign", ctx.trigger_text, re.I
    ):
        org = [m for m in ctx.before(ORG) if not person or m.end <= person[0].start][:1]
    if not org and _GENERIC_UNIT.match(ctx.text[ctx.trigger_end : ctx.trigger_end + 60]):
        # 'joins the group', 'rejoint la division commerciale': the story's own company
        org = [m for m in ctx.before(ORG) if not person or m.end <= person[0].start][:1]
        if not org and ctx.main_org is not None:
            org = [ctx.main_org]
    if not org and person and _NAMED.search(ctx.trigger_text) and ctx.main_org is not None:
        # 'X, who runs the group's beauty division, was named chief executive'
        org, factor = [ctx.main_org], factor * 0.9
    if not person or not org:
        return None
    return {"person": person, "organization": org[:1]}, 0.85 * factor


_BY_AFTER = r"(?:by|par)\s+(?:(?:the|le|la|l['’])\s+)?(?:[\w-]+\s+){0,3}?"


def _replaced_by(ctx: Ctx) -> list[EntityMention]:
    """'He will be replaced by X', 'sera remplacé par X', 'succeeded by X': X, the newcomer."""
    if not (ctx.passive or re.match(r"\s+(?:by|par)\b", ctx.text[ctx.trigger_end :])):
        return []
    return (ctx.agent(PER) or ctx.after(PER, _BY_AFTER, window=50))[:1]


def _replaced_org(ctx: Ctx) -> list[EntityMention]:
    org = [m for m in ctx.of_type(ORG) if m.end <= ctx.trigger_start][:1]
    if not org and ctx.main_org is not None:
        org = [ctx.main_org]
    return org


def replaced(ctx: Ctx) -> tuple[Roles, float] | None:
    """'replacing Maria Ferraro', 'en remplacement de X', 'succeeds X': X leaves. In the
    passive ('He will be replaced by X') the subject leaves (the newcomer is a hire:
    `successor`)."""
    if _replaced_by(ctx):
        person, _ = _person(ctx)
        org = _replaced_org(ctx)
        if not person or person == _replaced_by(ctx) or not org:
            return None
        return {"person": person[:1], "organization": org[:1]}, 0.8
    person = ctx.objects(PER, conj=False) or ctx.after(PER, window=30)
    if not person:
        return None
    org = [m for m in ctx.of_type(ORG) if m.end <= ctx.trigger_start][:1]
    if not org and ctx.main_org is not None:
        org = [ctx.main_org]
    if not org:  # a political office, say: not a personnel event
        return None
    return {"person": person[:1], "organization": org[:1]}, 0.8


def successor(ctx: Ctx) -> tuple[Roles, float] | None:
    """'She will be replaced by Marcus Hale', 'sera remplacé par X': X is hired."""
    person = _replaced_by(ctx)
    org = _replaced_org(ctx)
    if not person or not org:
        return None
    return {"person": person, "organization": org[:1]}, 0.8


# ------------------------------------------------------------------ money

# 'dans une nouvelle filiale d'Ubisoft', 'in a unit of Siemens': the target is the parent.
_UNIT_OF = (
    r"(?:\s+(?:une?|la|le|l['’]|a|an|the|sa|son|its)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:filiale|subsidiary|unit|branche|division|coentreprise|joint venture)\s+(?:de\s+|d['’]|of\s+))"
)
_LEAD = re.compile(
    r"à la tête d['’]un (?:groupe|consortium|tour)|(?:co-)?led by|(?:co-)?mené par|(?:co-)?menée"
    r" par|emmené par|emmenée par|piloté par|pilotée par|conduit par|conduite par|led\b",
    re.IGNORECASE,
)


def investment(ctx: Ctx) -> tuple[Roles, float] | None:
    investors = ctx.subject(ORG, conj=False)
    if ctx.passive:
        investors = ctx.agent(ORG)
    investors = investors or ctx.before(ORG)[-1:]
    target = ctx.preps(ORG, {"in", "into", "dans", "au", "de", "du"}, conj=False)
    target = [m for m in target if m not in investors]
    if not target:
        target = ctx.after(
            ORG, rf"(?:\bdans|\bin|\binto|\bau capital de|\ben){_UNIT_OF}?[^,.;]{{0,60}}?"
        )
    if not investors or not target:
        return None
    roles: Roles = {"investor": investors[:1], "target": target[:1]}
    if _LEAD.search(ctx.sentence_text):
        roles["lead_investor"] = investors[:1]
    return roles, 0.85


_RAISE = re.compile(
    r"^(?:(?:a |avoir |ont )?levé|lève|lever|rais(?:es|ed|ing|e)|secur(?:es|ed|ing|e)|a obtenu"
    r"|obtient|a bouclé|boucle|bouclé|clos(?:es|ed|ing|e)|finalis\w+|réalis\w+|complet\w+)$",
    re.IGNORECASE,
)
_PARTICIPATE_ONLY = re.compile(
    r"particip(?!ation)|took part|take part|joined|se joint|également investi|put (?:money|cash)"
    r"|also invested|ont également investi|ont aussi investi|se sont joints?",
    re.I,
)
_ROUND_VERBS = frozenset(
    {"lever", "raise", "boucler", "close", "complete", "announce", "annoncer", "finaliser",
     "réaliser", "finalise", "finalize", "secure", "obtenir", "conclure", "mener"}
)  # fmt: skip
_PARTICIPATE = re.compile(
    r"particip|took part|take part|joined|se joint|également investi|aux côtés|alongside"
    r"|with participation|avec la participation",
    re.I,
)
_LED_AFTER = re.compile(
    r",?\s*(?:qui (?:mène|a mené|pilote)|which (?:led|leads|is leading))\b", re.IGNORECASE
)


# 'a round led by X and Y', 'mené conjointement par X et Y', 'X led the round'
_LEAD_VERBS = frozenset(
    {"lead", "co-lead", "colead", "mener", "co-mener", "comener", "piloter", "emmener",
     "conduire", "co-diriger", "codiriger"}
)  # fmt: skip
# what a lead leads: 'X led the round', 'X a mené l'opération'
_ROUND_NOUNS = frozenset(
    {"round", "financing", "funding", "raise", "investment", "deal", "tour", "opération",
     "levée", "financement", "table"}
)  # fmt: skip
# 'X and Y also took part', 'X et Y ont également participé', 'with X joining'
_JOIN_VERBS = frozenset(
    {"participate", "join", "invest", "take", "put", "chip", "participer", "investir",
     "joindre", "rejoindre", "accompagner", "souscrire"}
)  # fmt: skip
# 'along with X', 'alongside X', 'aux côtés de X' on a participation verb
_ALONG = {"with", "alongside", "avec", "côtés", "côté"}


def _lead_verbs(ctx: Ctx) -> list[Token]:
    """'lead' verbs of this round: the trigger's own clause verb ('X led the round') or one
    under the trigger ('raised N in a round led by X'), not one in a clause of its own
    ('Y, which led its seed round in 2021, ...')."""
    if ctx.tok is None or ctx.syn is None:
        return []
    return [
        t
        for t in ctx.tok.sent
        if t.pos_ == "VERB" and t.lemma_.lower() in _LEAD_VERBS and _attached(t, ctx)
    ]


_OWN_CLAUSE = frozenset({"relcl", "acl:relcl", "advcl", "parataxis", "ccomp", "csubj"})


def _attached(tok: Token, ctx: Ctx) -> bool:
    assert ctx.tok is not None
    anchors = {ctx.tok.i} | ({ctx.verb.i} if ctx.verb is not None else set())
    t = tok
    for _ in range(8):
        if t.i in anchors:
            return True
        if t.dep_ in sx.SUBJECT or t.dep_ in _OWN_CLAUSE or t.head is t:
            return False
        t = t.head
    return False


def _parse_leads(ctx: Ctx) -> tuple[list[EntityMention], bool]:
    """The leads from the parse, and whether one is the subject of an active 'lead'
    ('Blackbird Ventures led the round': not the round's target)."""
    for verb in _lead_verbs(ctx):
        by = ctx._under(sx.agents(verb), ORG, conj=False)
        if by:  # 'led by London venture firm Northzone', 'mené conjointement par X et Y'
            # co-leads by the text's coordination, which stops at 'with Y participating'
            return _coordinated(ctx, by[0]), False
        if verb.dep_ in ("acl", "amod") or sx.is_passive(verb):
            continue
        if any(o.lemma_.lower() in _ROUND_NOUNS for o in sx.objects(verb)):
            rel = [c for c in verb.children if c.dep_ in sx.SUBJECT and c.lower_ in sx.RELATIVE]
            if rel:  # 'du fonds Temasek, qui mène l'opération': the name before the pronoun
                subj = [m for m in ctx.of_type(ORG) if 0 <= rel[0].idx - m.end <= 3][:1]
            else:
                subj = ctx._under(sx.subject_tokens(verb), ORG)
            if subj:
                return subj, True
    return [], False


def _parse_participants(ctx: Ctx) -> list[EntityMention]:
    """'Index Ventures and Amazon also took part, along with existing backers Lux Capital
    and Eclipse, Lumen said': the subjects of a participation verb (with their
    coordinated names, not what hangs off them: 'Bpifrance, par l'intermédiaire de son
    fonds InnoBio 2') and the names it is 'along with'; not the speaker."""
    if ctx.tok is None or ctx.syn is None:
        return []
    out: list[EntityMention] = []
    for verb in ctx.tok.sent:
        if verb.pos_ != "VERB" or verb.lemma_.lower() not in _JOIN_VERBS:
            continue
        if verb.lemma_.lower() == "take" and not any(o.lower_ == "part" for o in sx.objects(verb)):
            continue
        heads = [t for t in sx.subject_tokens(verb) if not sx.is_generic(t)]
        along = sx.prep_objects(verb, _ALONG)
        for prep in verb.children:  # 'along with X': a preposition under a preposition
            if prep.dep_ == "prep":
                along += sx.prep_objects(prep, _ALONG)
        for m in ctx._under(heads + along, ORG):
            if m not in out:
                out.append(m)
    return out


def _lead_investors(ctx: Ctx) -> list[EntityMention]:
    parsed, _ = _parse_leads(ctx)
    if parsed:
        return parsed
    lead = _LEAD.search(ctx.sentence_text)
    if lead is not None:
        start = ctx.sentence_start + lead.end()
        first = [m for m in ctx.of_type(ORG) if 0 <= m.start - start <= 50][:1]
        return _coordinated(ctx, first[0]) if first else []
    after = _LED_AFTER.search(ctx.sentence_text)  # 'du fonds Temasek, qui mène l'opération'
    if after is not None:
        end = ctx.sentence_start + after.start()
        return [m for m in ctx.of_type(ORG) if m.end <= end][-1:]
    return []


def _listed_investors(
    ctx: Ctx, lead: list[EntityMention], target: list[EntityMention]
) -> list[EntityMention]:
    """'auprès de X et Y', 'with participation from X and Y', 'aux côtés de X'."""
    found = ctx.after(
        ORG,
        r"(?:auprès d[eu]s?|from|with|avec|aux côtés d[eu]s?|alongside|including|dont"
        r"|participation of|participation de|pris part|participé|took part|participated"
        r"|joined by)\b[^.;]{0,60}?",
        160,
    )
    listed: list[EntityMention] = []
    for f in found:
        if f not in listed and f not in lead and f not in target:
            listed.extend(m for m in _coordinated(ctx, f) if m not in listed)
    return [m for m in listed if m not in lead and m not in target]


# 'raised its full-year forecast', 'a relevé son dividende', 'secured 248 of the 465
# seats': what is raised is not money for the company
_NOT_FUNDS = frozenset(
    {"forecast", "outlook", "guidance", "target", "dividend", "price", "prices", "rate",
     "seat", "seats", "vote", "votes", "majority", "wage", "salary", "payout", "estimate",
     "prévision", "prévisions", "objectif", "objectifs", "dividende", "prix", "tarif",
     "tarifs", "taux", "siège", "sièges", "voix", "majorité", "salaire", "perspective"}
)  # fmt: skip


# 'Nestle shares closed 0.3 percent higher': the market, not a round closing
_MARKET = frozenset(
    {"share", "shares", "stock", "stocks", "action", "actions", "titre", "titres", "index",
     "indice", "bourse", "market", "marché"}
)  # fmt: skip


def _raises_something_else(ctx: Ctx) -> bool:
    if ctx.tok is None or ctx.tok.pos_ != "VERB":
        return False
    if any(t.lemma_.lower() in _MARKET or t.lower_ in _MARKET for t in sx.subject_tokens(ctx.tok)):
        return True
    heads = sx.objects(ctx.tok)
    heads += [c for o in heads for c in o.children if c.dep_ in ("compound", "amod", "nmod")]
    heads += [g for o in heads for p in o.children if p.dep_ == "prep" for g in p.children]
    return any(t.lemma_.lower() in _NOT_FUNDS or t.lower_ in _NOT_FUNDS for t in heads)


def funding_round(ctx: Ctx) -> tuple[Roles, float] | None:
    """'X raised N in a round led by Y'; 'a round of N organised by X'; 'Y took part'."""
    if _raises_something_else(ctx):
        return None
    lead = _lead_investors(ctx)
    _, leads_actively = _parse_leads(ctx)
    orgs_before = [m for m in ctx.before(ORG) if m not in lead]
    raises = _RAISE.match(ctx.trigger_text) is not None
    target = [m for m in ctx.subject(ORG, conj=False) if m not in lead] if raises else []
    if not target and ctx.tok is not None and ctx.verb is not None and not raises:
        # 'Quantix a bouclé un tour de table', 'Cardiolys a annoncé une levée de fonds'
        v = ctx.verb
        if (
            (
                _RAISE.match(v.text)
                or v.lemma_.lower() in _ROUND_VERBS
                or (ctx.tok.pos_ == "NOUN" and ctx.tok.dep_ in ("obj", "dobj"))
            )
            and not _PARTICIPATE_ONLY.match(v.text)  # 'X also joined the round': an investor
            and not leads_actively  # 'X led the round': the lead
        ):
            target = [m for m in ctx.subject(ORG, conj=False) if m not in lead]
    if raises or target:
        target = target or orgs_before[-1:]
        investors = _listed_investors(ctx, lead, target)
    else:
        target = [
            m for m in ctx.after(ORG, r"par|\bby|\bfor|\bde|\bpour", window=120) if m not in lead
        ][:1]
        investors = [m for m in orgs_before if m not in target]
    if not target and ctx.tok is not None and ctx.tok.pos_ == "NOUN" and orgs_before:
        # 'La medtech Cardiolys, qui …, a annoncé une levée de fonds … menée par X'
        first = orgs_before[0]
        if first not in lead and not _PARTICIPATE_ONLY.search(ctx.sentence_text):
            target = [first]
            investors = [m for m in investors if m is not first] + [
                m for m in _listed_investors(ctx, lead, target) if m not in investors
            ]
    if (_PARTICIPATE_ONLY.search(ctx.sentence_text) or leads_actively) and not target:
        # 'Bpifrance et Nvidia ont participé à cette levée': investors of the round told
        # before; 'alongside X', 'aux côtés de X' names one more; 'X led the round, with Y
        # joining': the lead and an investor of that round
        parsed = [m for m in _parse_participants(ctx) if m not in lead]
        investors += [m for m in _listed_investors(ctx, lead, []) if m not in investors]
        if parsed:  # the parse's order, and what word order found besides
            investors = parsed + [m for m in investors if m not in parsed]
        investors = [m for m in investors if m not in lead]
        told: Roles = {}
        if investors:
            told["investor"] = _unique(investors)
        if lead:
            told["lead_investor"] = lead
        return (told, 0.8) if told else None
    if not target and orgs_before:
        # 'Exotec ... a réalisé une levée de fonds ... menée par Goldman Sachs'
        target = orgs_before[-1:]
        investors = [m for m in investors if m not in target]
    if not target:
        return None
    roles: Roles = {"target": target[:1]}
    own = {m.entity_id for m in target}  # 'Lumen' after 'Lumen Robotics': the target itself
    investors = [
        m for m in investors if m not in lead and m not in target and m.entity_id not in own
    ]
    if investors:
        roles["investor"] = _unique(investors)
    if lead:
        roles["lead_investor"] = [m for m in lead if m not in target]
    return roles, 0.85


_STAKE = re.compile(
    r"\b(?:stake|stakes|participation|part|parts|shares?|actions?|holding|minority|minoritaire"
    r"|%|percent|pour cent|per cent)\b",
    re.IGNORECASE,
)
_SELL = re.compile(r"^(?:sell|sold|sells|selling|cède|céder|cédé|cédée|vend\w*|divest\w*)", re.I)


_RETOLD_DET = frozenset({"the", "this", "that", "le", "la", "l'", "l’", "cette", "ce", "cet"})


def _retold(noun: Token) -> bool:
    """'after the takeover', 'depuis le rachat', 'cette acquisition': a definite noun that
    names no party of its own (no 'of' / 'de' object) is the deal the story told already,
    not a new one whose parties word order could guess."""
    if not any(c.dep_ == "det" and c.lower_ in _RETOLD_DET for c in noun.children):
        return False
    return not sx.prep_objects(noun, {"of", "de", "d'", "d’", "du", "des"})


def acquisition(ctx: Ctx) -> tuple[Roles, float] | None:
    if ctx.tok is not None:
        obj = sx.objects(ctx.tok)
        if any(_STAKE.search(o.text) for o in obj):
            return None  # 'acquired a 10 percent stake in X': an investment
    if _SELL.match(ctx.trigger_text):
        # 'Vivendi cède X à Comcast', 'sold X to Y': the buyer is the acquirer
        sold = ctx.objects(ORG, conj=False)
        buyer = ctx.preps(ORG, {"to", "à", "au", "aux"}, conj=False)
        if not sold or not buyer:
            return None
        return {"acquirer": buyer[:1], "target": sold[:1]}, 0.8
    noun = ctx.tok is not None and ctx.tok.pos_ in ("NOUN", "PROPN")
    acquirer: list[EntityMention] = []
    target: list[EntityMention] = []
    if ctx.tok is not None:
        if noun:  # 'its takeover of Castel Finance', 'le rachat de X par Y'
            target = ctx._under(sx.prep_objects(ctx.tok, {"of", "de", "d'", "d’", "du"}), ORG)
            acquirer = ctx._under(sx.agents(ctx.tok), ORG)
            acquirer = acquirer or ctx._under(
                [c for c in ctx.tok.children if c.dep_ == "poss"], ORG
            )
            if not acquirer:
                acquirer = ctx.subject(ORG, conj=False)
            if not target and _retold(ctx.tok):
                return None  # 'will stay on after the takeover': the deal told before
        elif ctx.passive:  # 'to be acquired by Thoma Bravo'
            target = ctx.subject(ORG, conj=False)
            acquirer = ctx.agent(ORG)
        else:  # 'agreed to buy', 'a décidé de racheter'
            acquirer = ctx.subject(ORG, conj=False)
            target = ctx.objects(ORG, conj=False)
            if not target and any(sx.is_generic(o) for o in sx.objects(ctx.tok)):
                # 'fold Nordlog into its arm after agreeing to buy the Gothenburg-based
                # company': the company named before that is not the buyer
                ids = {m.entity_id for m in acquirer}
                target = [m for m in ctx.before(ORG) if m.entity_id not in ids][-1:]
    ids = {m.entity_id for m in target}
    acquirer = [m for m in acquirer if m not in target and m.entity_id not in ids]
    if not acquirer or not target:
        lin_acq, lin_target = ctx.before(ORG), ctx.after(ORG, window=80)
        passive = re.match(
            r"\s*(?:par|by)\b",
            ctx.text[ctx.trigger_end : (lin_target[0].start if lin_target else ctx.trigger_end)],
        )
        if passive and lin_target and lin_acq:
            lin_acq, lin_target = lin_target, lin_acq
        acquirer = acquirer or lin_acq[:1]
        target = target or lin_target[:1]
        ids = {m.entity_id for m in target}
        acquirer = [m for m in acquirer if m not in target and m.entity_id not in ids]
    if not acquirer or not target:
        return None
    return {"acquirer": acquirer[:1], "target": target[:1]}, 0.85


# ------------------------------------------------------------------ companies


def subject_org(ctx: Ctx) -> list[EntityMention]:
    """The company a sentence is about: the trigger's subject, else the last organisation
    before the trigger, else the story's main one."""
    found = ctx.subject(ORG, conj=False)
    if found:
        return found[:1]
    before = ctx.before(ORG)
    if before:
        return before[-1:]
    return [ctx.main_org] if ctx.main_org is not None else []


# 'IG Metall said it would fight any forced redundancies', 'Les syndicats ont dénoncé un
# plan social': who reacts to the cuts is not who makes them
_REACT = frozenset(
    {"fight", "oppose", "denounce", "condemn", "criticise", "criticize", "protest",
     "contest", "challenge", "reject", "slam", "decry", "combattre", "dénoncer",
     "opposer", "contester", "critiquer", "condamner", "fustiger", "refuser", "protester"}
)  # fmt: skip


def _reacted_to(ctx: Ctx) -> bool:
    if ctx.tok is None:
        return False
    return any(g.lemma_.lower() in _REACT for g in sx.governors(ctx.tok)[1:])


# 'Il revendique un chiffre d'affaires de 30 milliards', 'the group, which claims annual
# sales of N': what a company is, not results it reports
_DESCRIBES = frozenset(
    {"revendiquer", "claim", "peser", "weigh", "représenter", "boast", "afficher"}
)


def company(role: str, confidence: float = 0.8) -> RoleRule:
    def rule(ctx: Ctx) -> tuple[Roles, float] | None:
        if _reacted_to(ctx):
            return None
        if (
            ctx.verb is not None
            and ctx.verb.lemma_.lower() in _DESCRIBES
            and ctx.tok is not ctx.verb
        ):
            return None
        org = subject_org(ctx)
        return ({role: org}, confidence) if org else None

    return rule


_PARTNER_PREPS = {"with", "avec", "à", "au", "and", "et", "entre", "between", "alongside"}


def partnership(ctx: Ctx) -> tuple[Roles, float] | None:
    partners = ctx.subject(ORG) + ctx.preps(ORG, _PARTNER_PREPS)
    if ctx.passive:
        partners += ctx.agent(ORG)
    if len(_unique(partners)) < 2:
        partners += ctx.before(ORG)
        partners += ctx.after(ORG, r"(?:avec|with|and|et|entre|between|à|au)\b[^,.;]{0,40}?", 80)
    unique = _unique(partners)
    return ({"partner": unique}, 0.8) if len(unique) >= 2 else None


_AUTHORITY_NOUN = re.compile(
    r"\b(?:authority|authorities|watchdog|regulator|commission|autorité|gendarme|régulateur"
    r"|ministry|ministère|agency|agence|court|tribunal|cour|CMA|FTC|SEC)\b",
    re.IGNORECASE,
)


def _named_authority(ctx: Ctx, head: Token | None) -> list[EntityMention]:
    """'Italy's competition authority' … 'The authority, known as AGCM': the organisation
    the dispatch names after the same authority noun."""
    if head is None:
        return []
    noun = head.lower_
    for m in sorted(ctx.all_mentions, key=lambda m: abs(m.start - ctx.trigger_start)):
        if m.type != ORG:
            continue
        before = ctx.text[max(0, m.start - 40) : m.start].lower()
        if noun in before or noun in m.text.lower():
            return [m]
    return []


_PAYS = re.compile(r"^(?:écop|agreed to pay)", re.IGNORECASE)


def fine(ctx: Ctx) -> tuple[Roles, float] | None:
    authority: list[EntityMention] = []
    defendant: list[EntityMention] = []
    if _PAYS.match(ctx.trigger_text):
        # 'X écope d'une amende', 'X agreed to pay N to settle SEC charges': the subject
        # pays; the authority is named after ('to settle SEC charges') or earlier
        defendant = ctx.subject(ORG, conj=False) or ctx.before(ORG)[-1:]
        after = [m for m in ctx.after(ORG, window=120) if m not in defendant]
        authority = [m for m in after if _AUTHORITY_NOUN.search(m.text)][:1]
        authority = authority or _story_authority(ctx, defendant)
        if not defendant or not authority:
            return None
        return {"authority": authority[:1], "defendant": defendant[:1]}, 0.8
    if ctx.tok is not None and ctx.tok.pos_ == "NOUN":
        # 'a fine imposed by the Commission', 'l'amende infligée par la Cnil': the agent of
        # the participle on the noun is the authority; the one it was imposed on, else the
        # clause's subject ('X won its appeal against a fine imposed by Y'), the defendant
        for part in (c for c in ctx.tok.children if c.dep_ == "acl" and c.pos_ == "VERB"):
            by = ctx._under(sx.agents(part), ORG)
            on = ctx._under(sx.prep_objects(part, {"on", "à", "au", "aux", "against"}), ORG)
            payer = [m for m in on or ctx.subject(ORG, conj=False) if m not in by]
            if by and payer:
                return {"authority": by[:1], "defendant": _unique(payer)}, 0.8
    if ctx.tok is not None and ctx.verb is not None:
        if ctx.passive:  # 'was fined … by', 'a été condamné à une amende … par'
            defendant = ctx.subject(ORG, conj=False)
            authority = ctx.agent(ORG)
            if not authority:
                for a in sx.agents(ctx.tok) + sx.agents(ctx.verb):
                    authority = _named_authority(ctx, a)
                    if authority:
                        break
        else:  # 'fined Meta', 'imposed a penalty on X', 'a infligé une amende à X'
            authority = ctx.subject(ORG, conj=False)
            defendant = ctx.preps(ORG, {"on", "à", "au", "aux", "against", "contre"})
            verb_fines = re.match(r"fin|sanction|pénalis|penali", ctx.verb.lower_)
            if not defendant and (ctx.tok is ctx.verb or verb_fines):
                defendant = ctx.objects(ORG)
            if not authority:
                subj = sx.subject_tokens(ctx.verb)
                if subj and _AUTHORITY_NOUN.search(subj[0].text):
                    authority = _named_authority(ctx, subj[0])
    defendant = [m for m in defendant if m not in authority]
    if not authority or not defendant:
        lin_auth = ctx.before(ORG)
        lin_def = ctx.after(ORG, window=90)
        before_trigger = ctx.text[
            max(ctx.sentence_start, ctx.trigger_start - 20) : ctx.trigger_start
        ]
        passive = re.match(
            r"\s*(?:par|by)\b", ctx.text[ctx.trigger_end : ctx.trigger_end + 10]
        ) or re.search(r"\b(?:was|were|been|été)\s+$", before_trigger)
        if passive:
            lin_auth, lin_def = lin_def, lin_auth
        authority = authority or lin_auth[-1:]
        defendant = defendant or [m for m in lin_def if m not in authority][:1]
    if defendant and not authority:
        # 'Marwal was fined 12 million euros', 'X écope d'une amende': the authority the
        # story named before
        authority = _story_authority(ctx, defendant)
    if not authority or not defendant:
        return None
    return {"authority": authority[:1], "defendant": _unique(defendant)}, 0.8


def _story_authority(ctx: Ctx, defendant: list[EntityMention]) -> list[EntityMention]:
    from pipeline.extract import knowledge
    from pipeline.extract.geo import fold

    ids = {m.entity_id for m in defendant}
    for m in ctx.all_mentions:
        if m.start >= ctx.sentence_start or m.type != ORG or m.entity_id in ids:
            continue
        if _AUTHORITY_NOUN.search(m.text) or fold(m.text) in knowledge.institutions():
            return [m]
    return []


def lawsuit(ctx: Ctx) -> tuple[Roles, float] | None:
    plaintiff = ctx.subject(ORG, conj=False)
    if ctx.passive:
        plaintiff = ctx.agent(ORG)
        defendants = ctx.subject(ORG)
    else:
        defendants = ctx.preps(ORG, {"against", "contre"})
        if not defendants and ctx.tok is not None and ctx.tok.pos_ == "VERB":
            defendants = ctx.objects(ORG)  # 'sued Boeing', 'a assigné Free'
    defendants = [m for m in defendants if m not in plaintiff]
    if not plaintiff:
        plaintiff = ctx.before(ORG)[-1:]
    if not defendants:
        # 'attaque Shein en justice': the defendant may sit inside the trigger
        found = [
            m
            for m in ctx.of_type(ORG)
            if m.start > ctx.trigger_start and m.start - ctx.trigger_end <= 60
        ]
        if found:  # 'sued OpenAI and Microsoft': the coordinated names all stand accused
            group = [found[0]]
            for m in found[1:]:
                if re.fullmatch(r"\s*(?:,|et|and)\s*", ctx.text[group[-1].end : m.start]):
                    group.append(m)
            defendants = group
    defendants = [m for m in defendants if m not in plaintiff]
    if not plaintiff or not defendants:
        return None
    return {"plaintiff": plaintiff[:1], "defendant": _unique(defendants)}, 0.8


_NOT_A_PRODUCT = re.compile(
    r"\b(?:campaign|campagne|bid|offer|offre|OPA|investigation|probe|inquiry|enquête|review"
    r"|appeal|appel|plan|programme|program|lawsuit|procédure|attack|attaque|strike|grève"
    r"|consultation|tender|appel d['’]offres|search|recherche|fund|fonds|round|levée"
    r"|operation|opération|initiative|restructuring|restructuration|buyback|rachat|strategy"
    r"|stratégie|results?|résultats?|measures?|mesures?|reform|réforme|budget|appeal|recall"
    r"|rappel|probe|action|procedure|process|processus|talks|discussions?)\b",
    re.IGNORECASE,
)


_LAUNCH_LEMMAS = frozenset({"launch", "unveil", "release", "debut", "lancer", "dévoiler"})
_NAMED_PRODUCT = re.compile(r"\b(?:new|nouvel\w*|first|premi\w+)\b", re.IGNORECASE)


def launch(ctx: Ctx) -> tuple[Roles, float] | None:
    if ctx.tok is not None:
        obj = sx.objects(ctx.tok)
        if obj and _NOT_A_PRODUCT.search(obj[0].text):
            return None
        if ctx.passive:
            return None
        if (
            obj
            and any(c.dep_ == "nummod" for c in obj[0].children)
            and "Plur" in obj[0].morph.get("Number", [])
        ):
            return None  # 'has launched more than 1,000 satellites': a count, not a product
        if ctx.tok.pos_ == "VERB" and not obj and not _NAMED_PRODUCT.search(ctx.trigger_text):
            # by lemma, the verb must launch something: 'launched in 2019' launches nothing
            lex = ctx.tok.lemma_.lower()
            if lex in _LAUNCH_LEMMAS and ctx.tok.text == ctx.trigger_text:
                return None
    org = subject_org(ctx)
    return ({"company": org}, 0.8) if org else None


# ------------------------------------------------------------------ general news


def places(ctx: Ctx) -> tuple[Roles, float] | None:
    found = _unique(ctx.of_type(LOC))
    return ({"place": found}, 0.8) if found else None


# 'attaque Shein en justice', 'attacked the plan in court', 'attacked the reform': a
# lawsuit or words, not violence
_NOT_VIOLENCE = re.compile(
    r"\b(?:en justice|devant (?:le|la|les) (?:tribunal|cour|justice)|in court|lawsuit|plainte"
    r"|criti\w+|plan|reform\w*|réforme|policy|politique|proposal|projet de loi|bill)\b",
    re.IGNORECASE,
)


def attack_places(ctx: Ctx) -> tuple[Roles, float] | None:
    """Violence somewhere: a verb trigger ('attacked an army post in Boni') must not be a
    lawsuit or a critic's words."""
    if ctx.tok is not None and ctx.tok.pos_ == "VERB":
        after = ctx.text[ctx.trigger_end : ctx.sentence_start + len(ctx.sentence_text)]
        if _NOT_VIOLENCE.search(after[:80]):
            return None
    return places(ctx)


_VICTIMS = re.compile(
    r"\b(?:among|parmi|one of|l['’]une? des|figur\w*|compt\w*|victims?|victimes?|dead|morts?"
    r"|killed|tué\w*)\b",
    re.IGNORECASE,
)


def death(ctx: Ctx) -> tuple[Roles, float] | None:
    if ctx.verb is not None and ctx.syn is not None:
        subj = sx.subject_tokens(ctx.verb)
        if (
            subj
            and subj[0].pos_ == "NOUN"
            and not sx.is_generic(subj[0])
            and not ctx._under(subj, PER)
            and not _VICTIMS.search(ctx.sentence_text)
        ):
            # "L'ancien dirigeant, qui n'avait aucun lien avec le fondateur X, s'est
            # éteint": a person the story named before, not the name in the relative
            return None
    person = ctx.subject(PER, conj=False)
    if not person:
        after = ctx.after(PER, r"(?:décès|mort|death)\s+(?:de|du|d['’]|of)?", 40)
        person = after[:1] or ctx.before(PER)[:1]
    if not person and _VICTIMS.search(ctx.trigger_text):
        # 'Among the dead was Carla Whitfield', 'One of the victims was X'
        person = ctx.after(PER, window=60)[:1]
    return ({"person": person[:1]}, 0.8) if person else None


_VICTIM_LIST = re.compile(
    r"^[^.;]{0,80}?\b(?:including|among them|among whom|notably|dont|parmi eux|parmi lesquels"
    r"|notamment)\b[^.;]{0,60}$|^\s*(?:(?:an?|une?|the|le|la|l['’])\s+)?[\w\s-]{0,40},\s*$",
    re.IGNORECASE,
)
_REPORTER_BETWEEN = re.compile(r"\b(?:said|told|a (?:indiqué|annoncé|précisé))\b", re.I)


def victims(ctx: Ctx) -> tuple[Roles, float] | None:
    """'killing at least 12 people including lawmaker X', 'tuant au moins 17 soldats dont le
    commandant de la garnison, le capitaine X', 'tuant un guide de montagne, X': a person named
    as one of those the attack or disaster killed (not its subject, the killer)."""
    if ctx.tok is None or ctx.tok.lemma_.lower() not in ("kill", "tuer") or ctx.passive:
        return None
    killers = {m.entity_id for m in ctx.subject(PER, conj=False)}
    for m in ctx.after(PER, window=140):
        between = ctx.text[ctx.trigger_end : m.start]
        if m.entity_id in killers or _REPORTER_BETWEEN.search(between):
            continue
        if _VICTIM_LIST.search(between):
            return {"person": [m]}, 0.8
    return None


def _qualifies_a_place(ctx: Ctx, m: EntityMention) -> bool:
    """'Springfield, Illinois', 'Valence (Drôme)': the state or department after a town
    only says which town it is."""
    return any(
        p.end <= m.start and re.fullmatch(r"\s*(?:,|\()\s*", ctx.text[p.end : m.start])
        for p in ctx.of_type(LOC)
    )


def election(ctx: Ctx) -> tuple[Roles, float] | None:
    winner = ctx.subject(PER, conj=False)
    winner = winner or ctx.before(PER)[-1:] or ctx.after(PER, window=40)[:1]
    if not winner:  # 'the Social Democrats won the election': a party
        winner = ctx.subject(ORG, conj=False) or ctx.before(ORG)[-1:]
    if not winner:
        return None
    roles: Roles = {"winner": winner[:1]}
    found = [m for m in _unique(ctx.of_type(LOC)) if not _qualifies_a_place(ctx, m)]
    own = [m for m in found if _in_trigger_clause(ctx, m)]
    if own or ctx.syn is None:
        found = own or found
    if found:
        roles["place"] = found
    return roles, 0.8


# A clause of its own between a name and the trigger: 'while in Coimbra the race remained
# too close to call', "tandis qu'à Saint-Etienne", 'ending a decade of rule in Australia's
# second state', 'becoming the first woman to lead the Texas city'.
_CLAUSE_EDGES = frozenset(
    {"relcl", "acl:relcl", "advcl", "ccomp", "parataxis", "csubj", "xcomp", "acl"}
)


def _in_trigger_clause(ctx: Ctx, m: EntityMention) -> bool:
    """The name hangs off the trigger's own clause in the parse, crossing no clause of its
    own ('In Lisbon, incumbent mayor X secured a third term': fronted, it still does)."""
    if ctx.syn is None or ctx.tok is None:
        return False
    span = ctx.syn.doc.char_span(m.start, m.end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    anchors = {ctx.tok.i}
    v = ctx.verb
    if v is not None:
        anchors.add(v.i)
        anchors.update(g.i for g in sx.governors(v))
    t = span.root
    for _ in range(10):
        if t.i in anchors:
            return True
        if t.dep_ in _CLAUSE_EDGES or t.head is t:
            return False
        if t.dep_ == "conj" and t.pos_ in ("VERB", "AUX"):
            return False
        t = t.head
    return False
