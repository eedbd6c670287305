"""The learned role filler: which name plays which role in an event the rules found.

For each event a type's role rule read (pipeline.extract.events.roles), every PER / ORG /
LOC named in the trigger's sentence, and every filler the rule took from elsewhere (a
pronoun's antecedent, the story's own company), is read by a multinomial logistic
regression (`role_filler.json`, pipeline.extract.learned) over readable parse features
(pipeline.extract.learned.features.role_features): the event type, the trigger's lemma,
the dependency path from the trigger to the name, the prepositions on it, the slots the
name fills in the trigger's clause, where it stands and what the rule gave it. Its answer
is one of the type's roles or none.

How it combines with the rules: a role the model fills with probability at least
`ROLE_FLOOR` takes the model's filler(s); every other role keeps the rule's. A name the
model gives one role leaves the rule's other roles. The model never makes an event the
rules did not, and never leaves a role the rules filled empty; the status, amount, head
count and merges stay the rules'.

Off by default (`WIRE_LEARNED_ROLES`, pipeline.settings): eval/README.md, round 9.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from spacy.tokens import Token

from pipeline.extract import learned
from pipeline.extract.entities import EntityMention
from pipeline.extract.events import syntax as sx
from pipeline.extract.learned import LinearModel
from pipeline.extract.learned.features import (
    NO_ROLE,
    covering_span,
    name_features,
    role_features,
)
from pipeline.settings import get_settings
from schemas import EntityType

MODEL = "role_filler"
# A role the model fills at this probability (or more) is the model's; the rules' elsewhere.
# Chosen on dev-b and dev-c left out (eval/README.md, round 9), not on the splits reported.
ROLE_FLOOR = 0.7
TYPE_ROLES: dict[str, tuple[str, ...]] = {
    "personnel.hire": ("person", "organization"),
    "personnel.departure": ("person", "organization"),
    "funding_round": ("target", "investor", "lead_investor"),
    "investment": ("investor", "target"),
    "acquisition": ("acquirer", "target"),
    "partnership": ("partner",),
    "earnings": ("company",),
    "layoffs": ("company",),
    "legal.fine": ("authority", "defendant"),
    "legal.lawsuit": ("plaintiff", "defendant"),
    "product.launch": ("company",),
    "election.result": ("winner", "place"),
    "disaster": ("place",),
    "attack": ("place",),
    "death": ("person",),
}
# Roles that take every name the model gives them; the others take the likeliest one.
MULTI = frozenset({"partner", "place", "investor", "lead_investor", "defendant"})
_SCORED = frozenset({EntityType.PER, EntityType.ORG, EntityType.LOC})
PER, ORG, LOC = EntityType.PER, EntityType.ORG, EntityType.LOC
# The kinds of name each type's roles take (in the gold set); other names are not read.
_KINDS: dict[str, frozenset[EntityType]] = {
    "disaster": frozenset({LOC}),
    "attack": frozenset({LOC}),
    "death": frozenset({PER}),
    "election.result": _SCORED,
}
Roles = dict[str, list[EntityMention]]

# A role the model never adds where the rule left it out: a funding round's trigger without
# a target names participants of the round the story already told (rules.extract_events
# joins them to it).
NEVER_ADDED = frozenset({("funding_round", "target")})
# "role": each role the model fills at the floor is the model's; "event": the model's whole
# reading replaces the rule's when every name's reading is at the floor, else the rule's
# stands.
MODE = "role"

# Set by callers that bring their own model (the leave-one-split-out evaluation, tests).
OVERRIDE: LinearModel | None = None


def model() -> LinearModel | None:
    """The role filler when it is on (`WIRE_LEARNED_ROLES` or OVERRIDE), else None."""
    if OVERRIDE is not None:
        return OVERRIDE
    if not get_settings().learned_roles:
        return None
    return learned.load(MODEL)


def _slots(tok: Token) -> list[tuple[str, list[Token]]]:
    """The syntactic slots of the trigger's clause, each with the tokens heading it: its
    subject (inherited through control and coordination), object, passive agent, the
    subject of a verb above it ('Greenfield said it had agreed to buy', past pronouns)."""
    verb = sx.clause_verb(tok)
    passive = "_pass" if sx.is_passive(verb) else ""
    slots = [
        (f"subj{passive}", sx.subject_tokens(verb)),
        ("obj", sx.objects(tok)),
        (f"agent{passive}", sx.agents(tok)),
        ("poss", [c for c in tok.children if c.dep_ == "poss"]),
    ]
    if verb is not tok:
        slots.append(("vobj", [o for o in sx.objects(verb) if o is not tok]))
        slots.append((f"vagent{passive}", sx.agents(verb)))
        slots.append(("tsubj", [c for c in tok.children if c.dep_ in sx.SUBJECT]))
    for g in sx.governors(verb)[1:]:
        above = sx.subject_tokens(g)
        if above:
            slots.append(("gov_subj", above))
            if above[0].pos_ != "PRON" and not sx.is_generic(above[0]):
                break
    return [(name, heads) for name, heads in slots if heads]


def _slots_of(head: Token, tok: Token, slots: list[tuple[str, list[Token]]]) -> set[str]:
    """The slots whose phrase holds `head` (the name's own token), and 'under' when it sits
    under the trigger outside its subject."""
    out = {
        name for name, heads in slots if any(h.i == head.i or h.is_ancestor(head) for h in heads)
    }
    if tok.is_ancestor(head) and not any(s.startswith("subj") or s == "tsubj" for s in out):
        out.add("under")
    return out


def candidates(
    event_type: str,
    tok: Token,
    syn: sx.Syntax,
    mentions: Sequence[EntityMention],
    roles: Roles | None,
    around: dict[str, Sequence[EntityMention]] | None = None,
) -> tuple[list[EntityMention], list[list[str]]]:
    """The names the model reads for one event, and its features for each: those of the
    trigger's sentence, the rule's fillers, and `around` (names from outside the sentence
    the rules may reach for, by what they are: 'main_org', 'previous_org',
    'previous_person')."""
    rule_role: dict[str, str] = {}
    for role, ms in (roles or {}).items():
        for m in ms:
            rule_role.setdefault(m.entity_id or str(m.start), role)
    tags: dict[int, set[str]] = {}
    for tag, named in (around or {}).items():
        for m in named:
            tags.setdefault(m.start, set()).add(tag)
    seen: set[int] = set()
    cands: list[EntityMention] = []
    outside = [m for ms in (roles or {}).values() for m in ms]
    outside += [m for ms in (around or {}).values() for m in ms]
    kinds = _KINDS.get(event_type, frozenset({PER, ORG}))
    for m in (*mentions, *outside):
        if m.type in kinds and m.start not in seen:
            seen.add(m.start)
            cands.append(m)
    if not cands:
        return [], []
    slots = _slots(tok)
    up = [tok, *tok.ancestors]
    in_sent = {m.start for m in mentions}
    lang = syn.doc.lang_
    rank: dict[int, str] = {}
    context: list[str] = []
    for t in (PER, ORG, LOC):
        same = [m for m in mentions if m.type == t]
        context.append(f"sent_{t.value}={min(len(same), 2)}")
        for n, m in enumerate(same):
            rank[m.start] = "only" if len(same) == 1 else ("first" if n == 0 else "later")
    feats = []
    for m in cands:
        head = None
        name: list[str] | None = None
        if m.start in in_sent:
            span = covering_span(syn.doc, m.start, m.end)
            head = span.root if span is not None and len(span) else None
        if head is not None:
            name = syn.memo.get(("name", head.i))
            if name is None:
                name = syn.memo[("name", head.i)] = name_features(head)
        where = _slots_of(head, tok, slots) if head is not None else set()
        f = role_features(
            event_type,
            tok,
            head,
            m.type.value,
            lang,
            frozenset(where | tags.get(m.start, set())),
            rule_role.get(m.entity_id or str(m.start), NO_ROLE),
            rank.get(m.start, "outside"),
            name,
            up,
        )
        f += context
        f += [f"{event_type}|{c}|{m.type.value}" for c in context]
        feats.append(f)
    return cands, feats


def readings(
    model_: LinearModel, event_type: str, feats: Sequence[Sequence[str]]
) -> list[dict[str, float]]:
    """Each name's probability of each of the type's roles and none (a softmax over them)."""
    names = [r for r in (*TYPE_ROLES.get(event_type, ()), NO_ROLE) if r in model_.labels]
    cols = [model_.labels.index(r) for r in names]
    out = []
    for z in model_.sparse_scores(feats, cols).tolist():
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        out.append({r: v / total for r, v in zip(names, e, strict=True)})
    return out


def refill(
    event_type: str,
    tok: Token | None,
    syn: sx.Syntax | None,
    mentions: Sequence[EntityMention],
    roles: Roles,
    around: dict[str, Sequence[EntityMention]] | None = None,
    floor: float | None = None,
) -> Roles:
    """The rule's roles with the model's confident readings in place (see the module)."""
    floor = ROLE_FLOOR if floor is None else floor
    model_ = model()
    if model_ is None or tok is None or syn is None or event_type not in TYPE_ROLES:
        return roles
    cands, feats = candidates(event_type, tok, syn, mentions, roles, around)
    if len(cands) < 2 and all(any(m in ms for ms in roles.values()) for m in cands):
        return roles  # one name, the rule's own: nothing the model could change
    picked: dict[str, list[tuple[float, EntityMention]]] = {}
    rejected: set[str] = set()
    read = readings(model_, event_type, feats)
    if MODE == "event":
        if min(max(p.values()) for p in read) < floor:
            return roles
        floor = 0.0
    for m, probs in zip(cands, read, strict=True):
        best = max(probs, key=lambda k: probs[k])
        if probs[best] < floor:
            continue
        if best == NO_ROLE:
            rejected.add(_key(m))
        elif (event_type, best) in NEVER_ADDED and best not in roles:
            continue
        else:
            picked.setdefault(best, []).append((probs[best], m))
    if not picked and not rejected:
        return roles
    out: Roles = {}
    taken: set[str] = set()
    for role, scored in picked.items():
        scored.sort(key=lambda x: -x[0])
        chosen: list[EntityMention] = []
        for _, m in scored if role in MULTI else scored[:1]:
            if _key(m) not in {_key(x) for x in chosen}:
                chosen.append(m)
        out[role] = chosen
        taken |= {_key(m) for m in chosen}
    for role, ms in roles.items():
        if role in out:
            continue
        # a name the model gave another role, or (in a role of many) none, leaves it;
        # the role is never left empty
        kept = [
            m for m in ms if _key(m) not in taken and not (role in MULTI and _key(m) in rejected)
        ]
        out[role] = kept or ms
    return {r: ms for r, ms in out.items() if ms}


def _key(m: EntityMention) -> str:
    return m.entity_id or str(m.start)
