"""Stage 3b: typed events from the parse, entities, amounts and dates.

For every sentence, each type's triggers (pipeline.extract.events.triggers: by lemma or
by phrase) are anchored on a token; the type's role rule (pipeline.extract.events.roles)
reads the roles off the dependency parse, falling back on word order; the cues
(pipeline.extract.events.cues) give the event its status: asserted, denied, rumoured,
planned or background. Only asserted events are facts: `pipeline.extract.batch` keeps
the others on the dispatch as `non_facts`, and the worker publishes only asserted events.

A sentence that names no person ('Son départ', 'She joins') takes the latest person
named before it. Events with the same type and the same role entities merge (an
asserted mention wins over a background one), so a story that repeats a fact gives one
event with all its dates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from spacy.attrs import LEMMA, LOWER
from spacy.tokens import Doc, Span, Token

from pipeline.extract import learned
from pipeline.extract.caseblind import CaseBlind, StartIndex
from pipeline.extract.entities import EntityMention
from pipeline.extract.events import filler
from pipeline.extract.events import roles as r
from pipeline.extract.events import triggers as tr
from pipeline.extract.events.cues import status as status_of
from pipeline.extract.events.measures import figures, head_count, percent
from pipeline.extract.events.syntax import SUBJECT, Syntax
from pipeline.extract.learned.features import CONTENT, NO_EVENT, token_features
from pipeline.settings import get_settings
from schemas import (
    Amount,
    DateMention,
    Dispatch,
    EntityType,
    Event,
    EventRole,
    EventStatus,
    Figure,
)

# re-exported for callers that built contexts themselves
Roles = r.Roles
RoleRule = r.RoleRule


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class EventRule:
    type: str
    lexicon: tr.Lexicon
    roles: RoleRule
    wants_amount: bool = False
    needs_amount: bool = False  # 'a profit warning' without a figure is not a result

    @property
    def trigger(self) -> CaseBlind:
        """The phrase pattern (the lemma list is `lexicon.lemmas`)."""
        assert self.lexicon.phrases is not None
        return self.lexicon.phrases


RULES: tuple[EventRule, ...] = (
    EventRule("personnel.departure", tr.DEPARTURE, r.departure),
    EventRule("personnel.hire", tr.HIRE, r.hire),
    EventRule("funding_round", tr.FUNDING, r.funding_round, wants_amount=True),
    EventRule("investment", tr.INVESTMENT, r.investment, wants_amount=True),
    EventRule("acquisition", tr.ACQUISITION, r.acquisition, wants_amount=True),
    EventRule("personnel.departure", tr.REPLACED, r.replaced),
    EventRule("personnel.hire", tr.REPLACED, r.successor),
    EventRule("personnel.hire", tr.INTERIM, r.hire),
    EventRule("partnership", tr.PARTNERSHIP, r.partnership),
    EventRule("earnings", tr.EARNINGS, r.company("company"), wants_amount=True, needs_amount=True),
    EventRule("layoffs", tr.LAYOFFS, r.company("company")),
    EventRule("legal.fine", tr.FINE, r.fine, wants_amount=True),
    EventRule("legal.lawsuit", tr.LAWSUIT, r.lawsuit),
    EventRule("product.launch", tr.LAUNCH, r.launch),
    EventRule("election.result", tr.ELECTION, r.election),
    EventRule("disaster", tr.DISASTER, r.places),
    EventRule("attack", tr.ATTACK, r.attack_places),
    EventRule("death", tr.DEATH, r.death),
    EventRule("death", tr.KILLED, r.victims),
)

# General-news events: one per dispatch and type (a story about one quake says 'quake' often).
ONE_PER_DISPATCH = frozenset({"disaster", "attack"})

# Said to be happening: an event, sourced less firmly.
ATTRIBUTION = CaseBlind(
    r"(?:selon (?:une|des|plusieurs) sources?|source proche|reportedly|sources said"
    r"|people familiar|selon la presse|selon le quotidien|according to (?:a )?reports?)"
)
_RESULT_KINDS = frozenset(
    {"net_profit", "profit", "operating_profit", "net_loss", "loss", "operating_loss"}
)
# Set to a list by the trainer (pipeline.extract.learned.train): each event's id with the
# index of the token its trigger was anchored on, as events are found.
TRACE: list[tuple[str, int]] | None = None
# Set to a list by the role filler's trainer: (type, trigger token, parse, sentence
# mentions, the rule's roles or None) for every trigger a rule read.
ROLE_TRACE: (
    list[
        tuple[
            str,
            Token,
            Syntax,
            list[EntityMention],
            Roles | None,
            dict[str, Sequence[EntityMention]],
        ]
    ]
    | None
) = None
# Confidence kept for what is not asserted (under the default floor of 0.5).
_NOT_ASSERTED_FACTOR = 0.5
# An event whose trigger only the learned model saw.
LEARNED_CONFIDENCE = 0.9


def _event_id(
    guid: str,
    type_: str,
    roles: Mapping[str, Sequence[EntityMention | EventRole]],
    status: EventStatus,
) -> str:
    """The event's id: its dispatch, type, role entities and (unless asserted) status."""
    key = "|".join(
        f"{role}={','.join(sorted(m.entity_id for m in ms))}" for role, ms in sorted(roles.items())
    )
    if status is not EventStatus.asserted:  # a denied deal is not the deal
        key += f"|{status.value}"
    return hashlib.sha1(f"{guid}|{type_}|{key}".encode()).hexdigest()[:20]


def _role_view(roles: Roles) -> dict[str, list[EventRole]]:
    out: dict[str, list[EventRole]] = {}
    for role, ms in roles.items():
        seen: dict[str, EventRole] = {}
        for m in ms:
            seen.setdefault(m.entity_id, EventRole(entity_id=m.entity_id, name=m.text, type=m.type))
        out[role] = list(seen.values())
    return out


@dataclass
class _Candidate:
    rule: EventRule
    start: int  # in the sentence
    end: int
    tok: Token | None
    learned: bool = False  # proposed by the learned trigger model, not a rule's lexicon


# Every rule's single-word triggers in one table: word (lemma or form) -> (rule's index,
# the parts of speech it must have, "" for any), so a sentence's tokens are read once, not
# once per rule.
_LEMMAS: dict[str, list[tuple[int, str]]] = {}
for _i, _rule in enumerate(RULES):
    for _word, _pos in _rule.lexicon.lemmas.items():
        _LEMMAS.setdefault(_word, []).append((_i, _pos))


# Where each rule's phrase pattern can start in a sentence: one scan for all of them.
_TRIGGER_STARTS = StartIndex([rule.trigger for rule in RULES])


def _word_triggers(lemma: str, form: str) -> list[tuple[int, str]]:
    """(rule index, required parts of speech) of the rules whose lexicon holds the lemma
    (lower-cased), or else the form (a rule reads the form only where it lacks the lemma)."""
    by_lemma = _LEMMAS.get(lemma.lower(), [])
    by_form = _LEMMAS.get(form, [])
    if not by_form or by_form is by_lemma:
        return by_lemma
    have = {i for i, _ in by_lemma}
    return [*by_lemma, *(x for x in by_form if x[0] not in have)]


# (lemma hash, lower-case form hash) -> `_word_triggers` of their strings: a sentence's tokens
# are read from two arrays, and a Token is made only for a word that is some rule's trigger.
_BY_HASH: dict[tuple[int, int], list[tuple[int, str]]] = {}
_BY_HASH_MAX = 200_000


def _trigger_words(doc: Doc, start: int, end: int) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """(token index, `_word_triggers` of its lemma and form) of the tokens [start, end) that
    trigger some rule."""
    table = doc.user_data.get("_wire_lemma_lower")
    if table is None:
        table = doc.user_data["_wire_lemma_lower"] = doc.to_array([LEMMA, LOWER]).tolist()
    strings = doc.vocab.strings
    for i in range(start, end):
        lemma_h, lower_h = table[i]
        hits = _BY_HASH.get((lemma_h, lower_h))
        if hits is None:
            if len(_BY_HASH) >= _BY_HASH_MAX:
                _BY_HASH.clear()
            hits = _BY_HASH[(lemma_h, lower_h)] = _word_triggers(strings[lemma_h], strings[lower_h])
        if hits:
            yield i, hits


def _candidates(
    sent: Sentence, lowered: str, syn: Syntax | None, doc: Doc | None
) -> list[_Candidate]:
    """Every trigger of every type in the sentence, anchored on a token where parsed."""
    out: list[_Candidate] = []
    span = (
        doc.char_span(sent.start, sent.end, alignment_mode="expand")
        if doc is not None and syn is not None
        else None
    )
    anchors: list[set[int]] = []  # per rule: tokens its phrase patterns anchored
    starts = _TRIGGER_STARTS.starts(sent.text, lowered)
    for i, rule in enumerate(RULES):
        anchored: set[int] = set()
        for m in _TRIGGER_STARTS.finditer(i, sent.text, lowered, starts):
            tok = None
            if doc is not None and syn is not None:
                s = doc.char_span(
                    sent.start + m.start(), sent.start + m.end(), alignment_mode="expand"
                )
                if s is not None and len(s):
                    tok = s.root
                    anchored.add(tok.i)
            out.append(_Candidate(rule, m.start(), m.end(), tok))
        anchors.append(anchored)
    if span is not None:
        for at, hits in _trigger_words(span.doc, span.start, span.end):
            tok = span.doc[at]
            for i, pos in hits:
                if tok.i in anchors[i] or (pos and tok.pos_ not in pos.split()):
                    continue
                start = tok.idx - sent.start
                out.append(_Candidate(RULES[i], start, start + len(tok.text), tok))
    out = [c for c in out if not _not_a_personnel_trigger(c)]
    if span is not None and get_settings().learned_triggers:
        out += _learned_candidates(span, out)
    order = {id(rule): i for i, rule in enumerate(RULES)}
    return sorted(out, key=lambda c: (order[id(c.rule)], c.start))


def _tree_distance(
    syn: Syntax | None, who: EntityMention, tok: Token | None, trigger_start: int
) -> int:
    """Edges between a name and a trigger in the parse (characters apart where unparsed)."""
    at = syn.token_at(who.start) if syn is not None else None
    if at is None or tok is None:
        return 1000 + abs(who.start - trigger_start)
    up = {t.i: n for n, t in enumerate([at, *at.ancestors])}
    for n, t in enumerate([tok, *tok.ancestors]):
        if t.i in up:
            return n + up[t.i]
    return 1000 + abs(who.start - trigger_start)


_POSSESSIVE = frozenset({"his", "her", "their", "son", "sa", "leur", "ses"})


def _told_by_possessive(c: _Candidate, events: Iterable[Event]) -> Event | None:
    """'Her departure is a blow for Oracle', 'did not give a reason for his departure', 'Son
    départ sera effectif le 1er avril': the move the story already told (the last of its
    type), not a new one for the last name read."""
    if not c.rule.type.startswith("personnel.") or c.tok is None or c.tok.pos_ != "NOUN":
        return None
    if not any(d.dep_ in ("poss", "det") and d.lower_ in _POSSESSIVE for d in c.tok.children):
        return None
    same = [e for e in events if e.type == c.rule.type]
    return same[-1] if same else None


def _not_a_personnel_trigger(c: _Candidate) -> bool:
    """'a retired firefighter', 'left-wing candidate', 'conseillère départementale',
    'départs volontaires': an adjective, or departures in the plural (job cuts), name no
    one's move."""
    if not c.rule.type.startswith("personnel.") or c.tok is None:
        return False
    if c.tok.pos_ == "ADJ" or c.tok.dep_ == "amod":
        return True
    return c.tok.pos_ == "NOUN" and "Plur" in c.tok.morph.get("Number", [])


# The learned trigger model is off the hot path unless WIRE_LEARNED_TRIGGERS=1 (settings):
# with the round-8 rules it changed nothing on the splits it was not trained on (heldout2,
# heldout3: the same events with it and without it) and cost ~7% of the extraction stage.
# When on, the learned trigger model (pipeline.extract.learned) proposes a verb or noun as the
# trigger of a type when it gives that type at least this probability and no rule of the
# type anchored a trigger in the sentence; the type's role rule and the cues then read it
# like any other trigger.
LEARNED_TRIGGER_FLOOR = 0.9
_FIRST_RULE: dict[str, EventRule] = {}
for _rule in RULES:
    _FIRST_RULE.setdefault(_rule.type, _rule)


def _learned_candidates(span: Span, found: list[_Candidate]) -> list[_Candidate]:
    model = learned.load("event_trigger")
    if model is None:
        return []
    have = {c.rule.type for c in found}
    lang = span.doc.lang_
    out: list[_Candidate] = []
    tensor = span.doc.tensor
    toks = [t for t in span if t.pos_ in CONTENT]
    if not toks:
        return out
    vectors = (
        tensor[[t.i for t in toks]]
        if tensor is not None and len(tensor) == len(span.doc) and tensor.ndim == 2
        else None
    )
    readings = model.batch_probabilities([token_features(t, lang) for t in toks], vectors)
    for tok, probs in zip(toks, readings, strict=True):
        best = max(probs, key=lambda k: probs[k])
        if best == NO_EVENT or best in have or probs[best] < LEARNED_TRIGGER_FLOOR:
            continue
        rule = _FIRST_RULE.get(best)
        if rule is None or (rule.needs_amount and not any(t.like_num for t in span)):
            continue
        start = tok.idx - span.start_char
        out.append(_Candidate(rule, start, start + len(tok.text), tok, learned=True))
    return out


def _ids(roles: Roles) -> frozenset[tuple[str, str]]:
    return frozenset((role, m.entity_id) for role, ms in roles.items() for m in ms)


def extract_events(
    dispatch: Dispatch,
    sentences: Sequence[Sentence],
    mentions: Sequence[EntityMention],
    amounts: Sequence[Amount],
    dates: Sequence[DateMention],
    canonical_names: dict[str, str],
    doc: Doc | None = None,
) -> list[Event]:
    """Every event the dispatch names, each with its status (asserted or not)."""
    text = dispatch.text
    events: dict[str, Event] = {}
    last_person: EntityMention | None = None
    last_org: EntityMention | None = None
    main_org = _main_org(mentions)
    year = reference_date(dispatch).year
    syn = Syntax(doc, mentions) if doc is not None and doc.has_annotation("DEP") else None
    filler_on = syn is not None and filler.model() is not None
    for sent in sentences:
        in_sent = [m for m in mentions if sent.start <= m.start < sent.end]
        lowered = sent.text.lower()  # read by every case-blind cue below
        attributed = ATTRIBUTION.search(sent.text, lowered) is not None
        kept: dict[str, list[frozenset[tuple[str, str]]]] = {}  # rule type -> role sets
        kept_status: dict[int, list[EventStatus]] = {}  # rule -> status of each kept set
        moves: dict[str, tuple[str, int]] = {}  # person id -> (event id, trigger distance)
        # names outside the sentence the role filler may also read (pipeline.extract.events.filler)
        around: dict[str, Sequence[EntityMention]] = {
            "main_org": [main_org] if main_org else [],
            "previous_org": [last_org] if last_org else [],
            "previous_person": [last_person] if last_person else [],
        }
        for cand in _candidates(sent, lowered, syn, doc):
            rule = cand.rule
            retold = _told_by_possessive(cand, events.values())
            if retold is not None:  # its dates ('Son départ sera effectif le 1er avril')
                seen = {(d.text, d.start) for d in retold.dates}
                retold.dates.extend(
                    d
                    for d in dates
                    if sent.start <= d.start < sent.end and (d.text, d.start) not in seen
                )
                continue
            ctx = r.Ctx(
                text=text,
                sentence_start=sent.start,
                sentence_text=sent.text,
                trigger_start=sent.start + cand.start,
                trigger_end=sent.start + cand.end,
                mentions=in_sent,
                previous_person=last_person,
                main_org=main_org,
                syn=syn,
                tok=cand.tok,
                previous_org=last_org,
                all_mentions=list(mentions),
            )
            found = rule.roles(ctx)
            if ROLE_TRACE is not None and cand.tok is not None and syn is not None:
                ROLE_TRACE.append(
                    (rule.type, cand.tok, syn, in_sent, found[0] if found else None, around)
                )
            if found is None:
                continue
            roles, confidence = found
            if filler_on:
                roles = filler.refill(rule.type, cand.tok, syn, in_sent, roles, around)
            ids = _ids(roles)
            same_rule = kept.setdefault(f"{rule.type}/{id(rule)}", [])
            if any(ids <= k or k <= ids for k in same_rule):
                continue  # one event per trigger family and roles in a sentence
            status = status_of(sent.text, cand.start, cand.end, rule.type, year, cand.tok)
            ents = {e for _, e in ids}
            if any(
                ents & {e for _, e in k} and st is status
                for k, st in zip(same_rule, kept_status.setdefault(id(rule), []), strict=False)
            ):
                continue  # the same event read twice with other roles: the first reading holds
            if "target" not in roles and rule.type == "funding_round":
                earlier = [e for e in events.values() if e.type == rule.type and e.status == status]
                if earlier:  # participants of the round the story already told
                    told = earlier[-1].roles
                    named = {x.entity_id for rs in told.values() for x in rs}
                    own = {x.entity_id for x in told.get("target", [])}
                    view = _role_view(roles)
                    for role in ("lead_investor", "investor"):
                        joining = [x for x in view.get(role, []) if x.entity_id not in named]
                        if joining:
                            told.setdefault(role, []).extend(joining)
                            named |= {x.entity_id for x in joining}
                    if own:  # the target is never its own investor ('…, Lumen said')
                        told["investor"] = [
                            x for x in told.get("investor", []) if x.entity_id not in own
                        ]
                        if not told["investor"]:
                            del told["investor"]
                same_rule.append(ids)
                kept_status[id(rule)].append(status)
                continue
            amount = None
            reported: list[Figure] = []
            if rule.wants_amount:
                in_amounts = [a for a in amounts if sent.start <= a.start < sent.end]
                amount = min(
                    in_amounts, key=lambda a: abs(a.start - ctx.trigger_start), default=None
                )
                if amount is None and rule.needs_amount:
                    continue
                if rule.type == "earnings":
                    # the profit (or loss) reported first, not the revenue nearest the word
                    reported = figures(sent.text, sent.start, in_amounts)
                    result = [f for f in reported if f.kind in _RESULT_KINDS]
                    if result:
                        amount = result[0].amount
            same_rule.append(ids)
            kept_status[id(rule)].append(status)
            confidence *= 0.85 if attributed else 1.0
            if status is not EventStatus.asserted:
                confidence *= _NOT_ASSERTED_FACTOR
            when = [d for d in dates if sent.start <= d.start < sent.end]
            eid = _event_id(dispatch.guid, rule.type, roles, EventStatus.asserted)
            if rule.type in ONE_PER_DISPATCH:  # one per dispatch and status
                eid = next(
                    (k for k, e in events.items() if e.type == rule.type and e.status is status),
                    _event_id(dispatch.guid, rule.type, roles, status),
                )
            if TRACE is not None and cand.tok is not None:
                TRACE.append((eid, cand.tok.i))
                TRACE.append((_event_id(dispatch.guid, rule.type, roles, status), cand.tok.i))
            if cand.learned:
                confidence *= LEARNED_CONFIDENCE
            if eid in events or (
                status is not EventStatus.asserted
                and _event_id(dispatch.guid, rule.type, roles, status) in events
            ):
                prev = events.get(eid) or events[_event_id(dispatch.guid, rule.type, roles, status)]
                known = {(d.text, d.start) for d in prev.dates}
                prev.dates.extend(d for d in when if (d.text, d.start) not in known)
                if (
                    prev.type == "earnings"
                    and not any(f.kind in _RESULT_KINDS for f in prev.figures)
                    and any(f.kind in _RESULT_KINDS for f in reported)
                ):
                    prev.amount, prev.figures = amount, reported
                prev.amount = prev.amount or amount
                prev.confidence = max(prev.confidence, round(confidence, 2))
                continue
            if status is not EventStatus.asserted and rule.type not in ONE_PER_DISPATCH:
                eid = _event_id(dispatch.guid, rule.type, roles, status)
            role_view = _role_view(roles)
            for rs in role_view.values():
                for x in rs:
                    x.name = canonical_names.get(x.entity_id, x.name)
            extra: dict[str, object] = {}
            if rule.type == "layoffs":
                extra["head_count"] = head_count(sent.text, cand.start)
                extra["percent"] = percent(sent.text)
            if rule.type == "earnings":
                extra["figures"] = reported
            if rule.type.startswith("personnel.") and roles.get("person"):
                # one move per person and sentence: the trigger nearest the name ('le
                # départ de X et la nomination de Y pour lui succéder': X leaves)
                who = roles["person"][0]
                dist = _tree_distance(syn, who, cand.tok, ctx.trigger_start)
                rival = moves.get(who.entity_id)
                if rival is not None and rival[0] in events and rival[0] != eid:
                    other = events[rival[0]]
                    theirs = {x.entity_id for x in other.roles.get("organization", [])}
                    ours = {x.entity_id for x in roles.get("organization", [])}
                    # 'is leaving Oracle to join Salesforce': two moves, two companies
                    same_org = not theirs or not ours or bool(theirs & ours)
                    if other.type != rule.type and other.status is status and same_org:
                        if rival[1] <= dist:
                            continue
                        del events[rival[0]]
                moves[who.entity_id] = (eid, dist)
            events[eid] = Event(
                id=eid,
                type=rule.type,
                dispatch_guid=dispatch.guid,
                dispatch_version=dispatch.version,
                language=dispatch.language,
                status=status,
                roles=role_view,
                amount=amount,
                dates=list(when),
                evidence=sent.text.strip(),
                confidence=round(min(confidence, 1.0), 2),
                versioncreated=dispatch.versioncreated or dispatch.received_at,
                **extra,
            )
        people = [m for m in in_sent if m.type == EntityType.PER]
        if people:
            last_person = people[-1]
        last_org = _sentence_org(in_sent, syn) or last_org
    return _settle_statuses(_merge_partial(_one_fine_each(list(events.values()))))


def _one_fine_each(events: list[Event]) -> list[Event]:
    """'The Commission fined Apple and Meta': a fine for each defendant."""
    out: list[Event] = []
    for e in events:
        defendants = e.roles.get("defendant", [])
        if e.type != "legal.fine" or len(defendants) < 2:
            out.append(e)
            continue
        for d in defendants:
            roles = {**e.roles, "defendant": [d]}
            eid = _event_id(e.dispatch_guid, e.type, roles, e.status)
            out.append(e.model_copy(update={"id": eid, "roles": roles}))
    return out


def _sentence_org(in_sent: list[EntityMention], syn: Syntax | None) -> EntityMention | None:
    """The organisation a sentence is about: its subject's, else the first named."""
    orgs = [m for m in in_sent if m.type == EntityType.ORG]
    if not orgs:
        return None
    if syn is not None:
        for m in orgs:
            tok = syn.token_at(m.start)
            if tok is not None and any(t.dep_ in SUBJECT for t in (tok, tok.head)):
                return m
    return orgs[0]


def _main_org(mentions: Sequence[EntityMention]) -> EntityMention | None:
    """The organisation the story is about: the most named, the lede's first breaking ties."""
    orgs = [m for m in mentions if m.type == EntityType.ORG]
    if not orgs:
        return None
    score: dict[str, float] = dict(Counter(m.entity_id for m in orgs))
    score[orgs[0].entity_id] += 1.5
    best = max(score, key=lambda k: score[k])
    return next(m for m in orgs if m.entity_id == best)


def _role_ids(e: Event) -> set[tuple[str, str]]:
    return {(role, f.entity_id) for role, fs in e.roles.items() for f in fs}


def _merge_partial(events: list[Event]) -> list[Event]:
    """'Son départ' without the company merges into the departure that names it."""
    kept: list[Event] = []
    for e in sorted(events, key=lambda e: -len(_role_ids(e))):
        richer = next(
            (
                k
                for k in kept
                if k.type == e.type and k.status == e.status and _role_ids(e) < _role_ids(k)
            ),
            None,
        )
        if richer is None:
            kept.append(e)
            continue
        known = {(d.text, d.start) for d in richer.dates}
        richer.dates.extend(d for d in e.dates if (d.text, d.start) not in known)
        richer.amount = richer.amount or e.amount
    order = {e.id: i for i, e in enumerate(events)}
    return sorted(kept, key=lambda e: order[e.id])


def _settle_statuses(events: list[Event]) -> list[Event]:
    """A fact the story asserts is not also a non-fact: drop the non-asserted copies of an
    asserted event (same type and roles), and all but the first of the others."""
    asserted = {
        (e.type, frozenset(_role_ids(e))) for e in events if e.status is EventStatus.asserted
    }
    out: list[Event] = []
    seen: set[tuple[str, frozenset[tuple[str, str]]]] = set()
    for e in events:
        key = (e.type, frozenset(_role_ids(e)))
        if e.status is not EventStatus.asserted:
            if key in asserted or key in seen:
                continue
            seen.add(key)
        out.append(e)
    return out


def reference_date(dispatch: Dispatch) -> datetime:
    return dispatch.versioncreated or dispatch.dateline.date or dispatch.received_at
