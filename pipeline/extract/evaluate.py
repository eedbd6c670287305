"""Scoring extraction against the gold set (eval/gold): precision, recall, F1.

Pure functions: the gold annotations and the enriched Dispatches come in, counts
come out. `wire eval` runs the real stages over the gold files and prints them.

Entities are scored typed (PER, ORG, LOC; MISC is not annotated) and canonical:
one gold entity is matched by one predicted entity of the same type whose name
or aliases share a form with the gold name or aliases. A person split in two
('Karin Lövgren' and 'Lövgren' as two entities) costs a false positive.
Events are scored strictly: same type and, role by role, the same entities
(no role missing, none extra). A 'type only' count is printed beside it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract.entities import slug
from schemas import Dispatch, Entity, EntityType, Event

SCORED_TYPES = (EntityType.PER, EntityType.ORG, EntityType.LOC)


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(slug(n) for n in (self.name, *self.aliases))


@dataclass(frozen=True)
class GoldEvent:
    type: str
    roles: dict[str, tuple[str, ...]]
    amount: float | None = None
    currency: str | None = None


@dataclass(frozen=True)
class GoldDispatch:
    file: Path
    entities: tuple[GoldEntity, ...]
    events: tuple[GoldEvent, ...]
    ignore: frozenset[str] = frozenset()

    def keys_of(self, name: str) -> frozenset[str]:
        """A role filler's forms: those of the gold entity it names, else its own."""
        key = slug(name)
        for e in self.entities:
            if key in e.keys:
                return e.keys
        return frozenset({key})


class GoldError(ValueError):
    """The gold file is malformed: say where."""


def load_gold(path: Path) -> list[GoldDispatch]:
    """Read one split (`dev.toml` / `heldout.toml`); files are looked up in `<split>/`."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    folder = path.with_suffix("")
    out: list[GoldDispatch] = []
    for i, rec in enumerate(data.get("dispatch", [])):
        where = f"{path.name} dispatch #{i + 1}"
        try:
            file = folder / rec["file"]
            entities = tuple(
                GoldEntity(e["name"], EntityType(e["type"]), tuple(e.get("aliases", ())))
                for e in rec.get("entities", [])
            )
            events = tuple(
                GoldEvent(
                    ev["type"],
                    {r: tuple(names) for r, names in ev["roles"].items()},
                    float(ev["amount"]) if "amount" in ev else None,
                    ev.get("currency"),
                )
                for ev in rec.get("events", [])
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise GoldError(f"{where}: {exc!r}") from exc
        if not file.is_file():
            raise GoldError(f"{where}: no file {file}")
        gold = GoldDispatch(
            file, entities, events, frozenset(slug(n) for n in rec.get("ignore", []))
        )
        known = set().union(*(e.keys for e in entities)) if entities else set()
        for ev in events:
            for role, names in ev.roles.items():
                missing = [n for n in names if slug(n) not in known]
                if missing:
                    raise GoldError(f"{where}: {ev.type}.{role} names unknown entity {missing}")
        out.append(gold)
    return out


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Errors:
    """What a dispatch got wrong, for reading (dev split only)."""

    file: str
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)


def _entity_keys(e: Entity) -> frozenset[str]:
    return frozenset(slug(n) for n in (e.name, *e.aliases))


def match_entities(
    gold: GoldDispatch, predicted: Sequence[Entity], typed: bool = True
) -> tuple[dict[str, Counts], Errors]:
    """Per entity type counts; one gold entity takes at most one predicted entity."""
    counts = {t.value: Counts() for t in SCORED_TYPES}
    errors = Errors(gold.file.name)
    preds = [e for e in predicted if e.type in SCORED_TYPES and not (_entity_keys(e) & gold.ignore)]
    used: set[int] = set()
    for g in gold.entities:
        hit = next(
            (
                i
                for i, p in enumerate(preds)
                if i not in used and (p.type == g.type or not typed) and _entity_keys(p) & g.keys
            ),
            None,
        )
        if hit is None:
            counts[g.type.value].fn += 1
            errors.missed.append(f"{g.type.value} {g.name}")
        else:
            used.add(hit)
            counts[g.type.value].tp += 1
    for i, p in enumerate(preds):
        if i not in used:
            counts[p.type.value].fp += 1
            errors.spurious.append(f"{p.type.value} {p.name}")
    return counts, errors


def _role_matches(
    gold: GoldDispatch, names: Sequence[str], fillers: Sequence[frozenset[str]]
) -> bool:
    if len(names) != len(fillers):
        return False
    left = list(fillers)
    for n in names:
        keys = gold.keys_of(n)
        hit = next((i for i, f in enumerate(left) if f & keys), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def event_matches(
    gold: GoldDispatch, g: GoldEvent, p: Event, forms: dict[str, frozenset[str]]
) -> bool:
    if p.type != g.type:
        return False
    pred_roles = {r: v for r, v in p.roles.items() if v}
    if set(pred_roles) != set(g.roles):
        return False
    return all(
        _role_matches(
            gold,
            g.roles[role],
            [forms.get(f.entity_id, frozenset({slug(f.name)})) for f in pred_roles[role]],
        )
        for role in g.roles
    )


def _describe(ev: Event | GoldEvent) -> str:
    if isinstance(ev, GoldEvent):
        roles = {r: "/".join(v) for r, v in ev.roles.items()}
    else:
        roles = {r: "/".join(f.name for f in v) for r, v in ev.roles.items() if v}
    return f"{ev.type}(" + ", ".join(f"{r}={v}" for r, v in sorted(roles.items())) + ")"


@dataclass
class EventScore:
    strict: dict[str, Counts] = field(default_factory=dict)
    type_only: dict[str, Counts] = field(default_factory=dict)
    amounts_right: int = 0
    amounts_expected: int = 0


def match_events(
    gold: GoldDispatch, dispatch: Dispatch, min_confidence: float
) -> tuple[EventScore, Errors]:
    score = EventScore()
    errors = Errors(gold.file.name)
    forms = {e.id: _entity_keys(e) for e in dispatch.entities}
    preds = [e for e in dispatch.events if e.confidence >= min_confidence]

    def bucket(table: dict[str, Counts], type_: str) -> Counts:
        return table.setdefault(type_, Counts())

    used: set[int] = set()
    for g in gold.events:
        hit = next(
            (i for i, p in enumerate(preds) if i not in used and event_matches(gold, g, p, forms)),
            None,
        )
        if hit is None:
            bucket(score.strict, g.type).fn += 1
            errors.missed.append(_describe(g))
            continue
        used.add(hit)
        bucket(score.strict, g.type).tp += 1
        if g.amount is not None:
            score.amounts_expected += 1
            a = preds[hit].amount
            if (
                a is not None
                and a.currency == g.currency
                and abs(a.value - g.amount) <= 0.005 * g.amount
            ):
                score.amounts_right += 1
            else:
                got = f"{a.value:,.0f} {a.currency}" if a else "none"
                errors.spurious.append(
                    f"amount of {g.type}: {got}, not {g.amount:,.0f} {g.currency}"
                )
    for i, p in enumerate(preds):
        if i not in used:
            bucket(score.strict, p.type).fp += 1
            errors.spurious.append(f"{_describe(p)} [{p.confidence}]")
    # type only: as many of each type as gold has
    for type_ in {g.type for g in gold.events} | {p.type for p in preds}:
        g_n = sum(1 for g in gold.events if g.type == type_)
        p_n = sum(1 for p in preds if p.type == type_)
        c = bucket(score.type_only, type_)
        c.tp += min(g_n, p_n)
        c.fp += max(0, p_n - g_n)
        c.fn += max(0, g_n - p_n)
    return score, errors


@dataclass
class Report:
    split: str
    dispatches: int = 0
    entities: dict[str, Counts] = field(default_factory=dict)
    entities_untyped: Counts = field(default_factory=Counts)
    events: EventScore = field(default_factory=EventScore)
    errors: list[Errors] = field(default_factory=list)

    @property
    def entity_total(self) -> Counts:
        return _total(self.entities.values())

    @property
    def event_total(self) -> Counts:
        return _total(self.events.strict.values())

    @property
    def event_type_only_total(self) -> Counts:
        return _total(self.events.type_only.values())


def _total(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in parts:
        total.add(c)
    return total


def score(
    split: str,
    gold: Sequence[GoldDispatch],
    predicted: Sequence[Dispatch],
    min_confidence: float = 0.5,
) -> Report:
    """Compare each gold dispatch with the Dispatch extracted from its file (same order)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold dispatches but {len(predicted)} predictions")
    report = Report(split, dispatches=len(gold))
    for g, d in zip(gold, predicted, strict=True):
        ent_counts, ent_errors = match_entities(g, d.entities)
        for t, c in ent_counts.items():
            report.entities.setdefault(t, Counts()).add(c)
        untyped, _ = match_entities(g, d.entities, typed=False)
        report.entities_untyped.add(_total(untyped.values()))
        ev_score, ev_errors = match_events(g, d, min_confidence)
        for t, c in ev_score.strict.items():
            report.events.strict.setdefault(t, Counts()).add(c)
        for t, c in ev_score.type_only.items():
            report.events.type_only.setdefault(t, Counts()).add(c)
        report.events.amounts_right += ev_score.amounts_right
        report.events.amounts_expected += ev_score.amounts_expected
        merged = Errors(
            g.file.name,
            ent_errors.missed + ev_errors.missed,
            ent_errors.spurious + ev_errors.spurious,
        )
        if merged.missed or merged.spurious:
            report.errors.append(merged)
    return report
