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

from pipeline.entities import EntityMention
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


def _hire(ctx: _Ctx) -> tuple[Roles, float] | None:
    person, factor = _person(ctx)
    org = ctx.after(EntityType.ORG, window=60)
    if not org and re.search(
        r"recrut|hire|poach|embauch|nomm|appoint|named", ctx.trigger.group(0), re.I
    ):
        org = [m for m in ctx.before(EntityType.ORG) if not person or m.end <= person[0].start][:1]
    if not org and _GENERIC_UNIT.match(ctx.text[ctx.trigger_end : ctx.trigger_end + 60]):
        # 'joins the group', 'rejoint la division commerciale': the story's own company
        org = [m for m in ctx.before(EntityType.ORG) if not person or m.end <= person[0].start][:1]
        if not org and ctx.main_org is not None:
            org = [ctx.main_org]
    if not person or not org:
        return None
    return {"person": person, "organization": [org[0]]}, 0.85 * factor


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
    target = ctx.after(EntityType.ORG, rf"(?:\bdans|\bin|\binto|\bau capital de|\ben){_UNIT_OF}?")
    if not investors or not target:
        return None
    roles: Roles = {"investor": investors[:1], "target": target[:1]}
    if _LEAD.search(ctx.sentence.text):
        roles["lead_investor"] = investors[:1]
    return roles, 0.85


_RAISE = re.compile(r"^(?:a levé|lève|rais(?:es|ed|ing))$", re.IGNORECASE)
_PARTICIPATE = re.compile(r"particip|took part|take part|joined|se joint|également investi", re.I)


def _lead_investors(ctx: _Ctx) -> list[EntityMention]:
    lead = _LEAD.search(ctx.sentence.text)
    if lead is None:
        return []
    start = ctx.sentence.start + lead.end()
    return [m for m in ctx.of_type(EntityType.ORG) if 0 <= m.start - start <= 50][:1]


def _funding_round(ctx: _Ctx) -> tuple[Roles, float] | None:
    """'X raised N in a round led by Y'; 'a round of N organised by X'; 'Y took part'."""
    lead = _lead_investors(ctx)
    orgs_before = [m for m in ctx.before(EntityType.ORG) if m not in lead]
    if _RAISE.match(ctx.trigger.group(0)):
        target = orgs_before[-1:]
        investors = lead + [
            m for m in ctx.after(EntityType.ORG, r"auprès de|from|with|avec", 120) if m not in lead
        ]
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
    passive = re.search(
        r"\b(?:par|by)\s*$",
        ctx.text[ctx.trigger_end : (target[0].start if target else ctx.trigger_end)],
    )
    if passive and target and acquirer:
        acquirer, target = target, acquirer
    if not acquirer or not target:
        return None
    return {"acquirer": acquirer[:1], "target": target[:1]}, 0.85


@dataclass(frozen=True)
class EventRule:
    type: str
    trigger: re.Pattern[str]
    roles: RoleRule
    wants_amount: bool = False


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


RULES: tuple[EventRule, ...] = (
    EventRule(
        "personnel.departure",
        _rx(
            r"\b(?:quitt(?:e|er|era|é|ait)|départ|démission\w*|s['’]en va|cède sa place|limogé\w*"
            r"|évincé\w*|leav(?:es|ing)|left\b|quits?\b|depart(?:s|ure)?|resign\w*"
            r"|step(?:s|ped|ping)? down|ousted|was fired)"
        ),
        _departure,
    ),
    EventRule(
        "personnel.hire",
        _rx(
            r"\b(?:rejoin(?:t|dra|dre)|recrut\w*|nommée?s?\b|embauch\w*|arrive(?:ra)? chez"
            r"|prend(?:ra)? la (?:tête|direction)|join(?:s|ed|ing)?\b|hire[sd]?\b|hiring"
            r"|appoint(?:s|ed|ment)|named\b|poach(?:es|ed)?|recruit(?:s|ed)?)"
        ),
        _hire,
    ),
    EventRule(
        "funding_round",
        _rx(
            r"(?:tour de table|levée de fonds|a levé|lève|série [A-F]\b|funding round"
            r"|round of funding|rais(?:es|ed|ing)\b|series [A-F]\b|seed round)"
        ),
        _funding_round,
        wants_amount=True,
    ),
    EventRule(
        "investment",
        _rx(
            r"\b(?:investi[rt]?\b|investissement|investira|injecte\w*|prise de participation"
            r"|entre au capital|invest(?:s|ed|ing|ment)?\b|stake in)"
        ),
        _investment,
        wants_amount=True,
    ),
    EventRule(
        "acquisition",
        _rx(
            r"\b(?:rach[eè]t\w*|rachat|acquiert|acquis\b|acquisition|met la main sur|s['’]empare"
            r"|acquir(?:e|es|ed|ing)|buy(?:s|ing)?\b|bought|takeover|purchas(?:e|es|ed))"
        ),
        _acquisition,
        wants_amount=True,
    ),
)

NEGATION = _rx(
    r"\b(?:dément\w*|démenti|nie\b|n['’]\w+ (?:pas|jamais|plus)\b|ne \w+ (?:pas|jamais|plus)\b"
    r"|aucun\w*|not|never|denie[sd]|deny|ruled out|won['’]t|didn['’]t|did not|has no plans)"
)
HEARSAY = _rx(
    r"(?:selon (?:une|des|plusieurs) sources?|source proche|rumeur|pourrai[te]|envisag\w*"
    r"|reportedly|sources said|people familiar|could|may\b|considering|in talks|en discussions)"
)


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
    org_counts = Counter(m.entity_id for m in mentions if m.type == EntityType.ORG)
    main_org = next(
        (m for m in mentions if org_counts and m.entity_id == org_counts.most_common(1)[0][0]), None
    )
    for sent in sentences:
        in_sent = [m for m in mentions if sent.start <= m.start < sent.end]
        negated = NEGATION.search(sent.text) is not None
        hearsay = 0.7 if HEARSAY.search(sent.text) else 1.0
        for rule in RULES:
            if negated:
                break
            for trig in rule.trigger.finditer(sent.text):
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
                when = [d for d in dates if sent.start <= d.start < sent.end]
                eid = _event_id(dispatch.guid, rule.type, roles)
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
    return list(events.values())


def reference_date(dispatch: Dispatch) -> datetime:
    return dispatch.versioncreated or dispatch.dateline.date or dispatch.received_at
