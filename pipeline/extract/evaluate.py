"""Scoring extraction against the gold set (eval/gold): precision, recall, F1.

Pure functions: the gold annotations and the enriched Dispatches come in, counts
come out. `wire eval` runs the real stages over the gold files and prints them.

Entities are scored typed (PER, ORG, LOC; MISC is not annotated) and canonical:
one gold entity is matched by one predicted entity of the same type whose name
or aliases share a form with the gold name or aliases. A person split in two
('Karin Lövgren' and 'Lövgren' as two entities) costs a false positive.
Events are scored strictly: same type and, role by role, the same entities
(no role missing, none extra). A 'type only' count is printed beside it.
Funding rounds are compared with their lead investors under `lead_investor` only (a
lead listed under `investor` too, the older convention, is taken out of `investor` on
both sides), so both conventions score alike.

`non_facts` (denied, rumoured, planned, background) are what a dispatch mentions but
does not report as done: an asserted prediction that matches no gold event but shares
a role filler (same role) with a non-fact of its type is a "non-fact asserted" error,
counted per status. Reports break the figures down per type and per language, with a
confusion table of event types (gold row, predicted column) and of entity types.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from pipeline.extract.entities import slug
from schemas import Dispatch, Entity, EntityType, Event

SCORED_TYPES = (EntityType.PER, EntityType.ORG, EntityType.LOC)
T = TypeVar("T")
NONE = "-"  # the confusion tables' "nothing" row / column


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(slug(n) for n in (self.name, *self.aliases))


NON_FACT_STATUSES = ("denied", "rumoured", "planned", "background")


@dataclass(frozen=True)
class GoldEvent:
    type: str
    roles: dict[str, tuple[str, ...]]
    amount: float | None = None
    currency: str | None = None
    head_count: int | None = None
    status: str = "asserted"


@dataclass(frozen=True)
class GoldDispatch:
    file: Path
    entities: tuple[GoldEntity, ...]
    events: tuple[GoldEvent, ...]
    ignore: frozenset[str] = frozenset()
    non_facts: tuple[GoldEvent, ...] = ()

    @property
    def language(self) -> str:
        """From the file name ('afp-fr-…'): the gold set names every file so."""
        parts = self.file.name.split("-")
        return parts[1] if len(parts) > 2 and len(parts[1]) == 2 else "?"

    def keys_of(self, name: str) -> frozenset[str]:
        """A role filler's forms: those of the gold entity it names, else its own."""
        key = slug(name)
        for e in self.entities:
            if key in e.keys:
                return e.keys
        return frozenset({key})


class GoldError(ValueError):
    """The gold file is malformed: say where."""


def normal_roles(
    type_: str, roles: dict[str, list[T]], key: Callable[[T], str]
) -> dict[str, list[T]]:
    """Roles as scored: no empty role; a funding round's leads under `lead_investor` only."""
    out = {r: list(v) for r, v in roles.items() if v}
    if type_ == "funding_round" and "lead_investor" in out and "investor" in out:
        leads = {key(x) for x in out["lead_investor"]}
        out["investor"] = [x for x in out["investor"] if key(x) not in leads]
        if not out["investor"]:
            del out["investor"]
    return out


def _gold_event(ev: dict[str, Any], status: str = "asserted") -> GoldEvent:
    roles = normal_roles(ev["type"], {r: list(n) for r, n in ev["roles"].items()}, slug)
    if status not in ("asserted", *NON_FACT_STATUSES):
        raise ValueError(f"unknown status {status!r}")
    return GoldEvent(
        ev["type"],
        {r: tuple(names) for r, names in roles.items()},
        float(ev["amount"]) if "amount" in ev else None,
        ev.get("currency"),
        int(ev["head_count"]) if "head_count" in ev else None,
        status,
    )


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
            events = tuple(_gold_event(ev) for ev in rec.get("events", []))
            non_facts = tuple(_gold_event(ev, ev["status"]) for ev in rec.get("non_facts", []))
        except (KeyError, ValueError, TypeError) as exc:
            raise GoldError(f"{where}: {exc!r}") from exc
        if not file.is_file():
            raise GoldError(f"{where}: no file {file}")
        gold = GoldDispatch(
            file, entities, events, frozenset(slug(n) for n in rec.get("ignore", [])), non_facts
        )
        known = set().union(*(e.keys for e in entities)) if entities else set()
        for ev in events + non_facts:
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


def entity_confusion(gold: GoldDispatch, predicted: Sequence[Entity]) -> Counter[tuple[str, str]]:
    """(gold type, predicted type) per entity: the same entity found with the right type,
    another type (MISC included), or not at all ('-'); predictions no gold entity names
    are ('-', type)."""
    table: Counter[tuple[str, str]] = Counter()
    preds = [e for e in predicted if not (_entity_keys(e) & gold.ignore)]
    used: set[int] = set()
    for g in gold.entities:
        candidates = [i for i, p in enumerate(preds) if i not in used and _entity_keys(p) & g.keys]
        hit = next((i for i in candidates if preds[i].type == g.type), None)
        if hit is None and candidates:
            hit = candidates[0]
        if hit is None:
            table[(g.type.value, NONE)] += 1
            continue
        used.add(hit)
        table[(g.type.value, preds[hit].type.value)] += 1
    for i, p in enumerate(preds):
        if i not in used and p.type in SCORED_TYPES:
            table[(NONE, p.type.value)] += 1
    return table


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
    pred_roles = normal_roles(p.type, p.roles, lambda f: f.entity_id)
    gold_roles = normal_roles(g.type, {r: list(v) for r, v in g.roles.items()}, slug)
    if set(pred_roles) != set(gold_roles):
        return False
    return all(
        _role_matches(
            gold,
            gold_roles[role],
            [forms.get(f.entity_id, frozenset({slug(f.name)})) for f in pred_roles[role]],
        )
        for role in gold_roles
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
    head_counts_right: int = 0
    head_counts_expected: int = 0
    # asserted predictions that state a non-fact, per status (denied, rumoured, ...)
    non_facts_asserted: Counter[str] = field(default_factory=Counter)
    non_facts: Counter[str] = field(default_factory=Counter)  # gold non-facts, per status
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: EventScore) -> None:
        for mine, theirs in ((self.strict, other.strict), (self.type_only, other.type_only)):
            for t, c in theirs.items():
                mine.setdefault(t, Counts()).add(c)
        self.amounts_right += other.amounts_right
        self.amounts_expected += other.amounts_expected
        self.head_counts_right += other.head_counts_right
        self.head_counts_expected += other.head_counts_expected
        self.non_facts_asserted.update(other.non_facts_asserted)
        self.non_facts.update(other.non_facts)
        self.confusion.update(other.confusion)


def is_asserted(p: Event, min_confidence: float) -> bool:
    """What goes out as a fact: status asserted and confidence at the floor or above."""
    return p.confidence >= min_confidence and getattr(p, "status", "asserted") == "asserted"


def _fillers(
    gold: GoldDispatch, roles: dict[str, tuple[str, ...]]
) -> set[tuple[str, frozenset[str]]]:
    return {(r, gold.keys_of(n)) for r, names in roles.items() for n in names}


def _overlaps(gold: GoldDispatch, g: GoldEvent, p: Event, forms: dict[str, frozenset[str]]) -> int:
    """How many of `g`'s role fillers `p` has in the same role."""
    pred = normal_roles(p.type, p.roles, lambda f: f.entity_id)
    shared = 0
    for role, keys in _fillers(gold, g.roles):
        if any(
            forms.get(f.entity_id, frozenset({slug(f.name)})) & keys for f in pred.get(role, [])
        ):
            shared += 1
    return shared


def match_events(
    gold: GoldDispatch, dispatch: Dispatch, min_confidence: float
) -> tuple[EventScore, Errors]:
    score = EventScore()
    errors = Errors(gold.file.name)
    forms = {e.id: _entity_keys(e) for e in dispatch.entities}
    preds = [e for e in dispatch.events if is_asserted(e, min_confidence)]

    def bucket(table: dict[str, Counts], type_: str) -> Counts:
        return table.setdefault(type_, Counts())

    used: set[int] = set()
    missed: list[GoldEvent] = []
    for g in gold.events:
        hit = next(
            (i for i, p in enumerate(preds) if i not in used and event_matches(gold, g, p, forms)),
            None,
        )
        if hit is None:
            bucket(score.strict, g.type).fn += 1
            errors.missed.append(_describe(g))
            missed.append(g)
            continue
        used.add(hit)
        bucket(score.strict, g.type).tp += 1
        score.confusion[(g.type, g.type)] += 1
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
        if g.head_count is not None:
            score.head_counts_expected += 1
            got_count = getattr(preds[hit], "head_count", None)
            if got_count == g.head_count:
                score.head_counts_right += 1
            else:
                errors.spurious.append(f"head count of {g.type}: {got_count}, not {g.head_count}")
    for nf in gold.non_facts:
        score.non_facts[nf.status] += 1
    unmatched = [i for i in range(len(preds)) if i not in used]
    for i in unmatched:
        p = preds[i]
        bucket(score.strict, p.type).fp += 1
        stated = max(
            (nf for nf in gold.non_facts if nf.type == p.type),
            key=lambda nf: _overlaps(gold, nf, p, forms),
            default=None,
        )
        if stated is not None and _overlaps(gold, stated, p, forms):
            score.non_facts_asserted[stated.status] += 1
            errors.spurious.append(
                f"{_describe(p)} [{p.confidence}] states a {stated.status} non-fact"
            )
        else:
            errors.spurious.append(f"{_describe(p)} [{p.confidence}]")
    # confusion: a missed gold event pairs with an unmatched prediction sharing an entity
    # (another type, or its own type with other roles); the rest pair with nothing.
    free = list(unmatched)
    for g in missed:
        keys = {k for _, k in _fillers(gold, g.roles)}
        pair = max(
            free,
            key=lambda i: (
                preds[i].type == g.type,
                sum(
                    1
                    for fs in preds[i].roles.values()
                    for f in fs
                    if any(forms.get(f.entity_id, frozenset({slug(f.name)})) & k for k in keys)
                ),
            ),
            default=None,
        )
        shares = pair is not None and (
            preds[pair].type == g.type
            or any(
                forms.get(f.entity_id, frozenset({slug(f.name)})) & k
                for fs in preds[pair].roles.values()
                for f in fs
                for k in keys
            )
        )
        if pair is not None and shares:
            free.remove(pair)
            score.confusion[(g.type, preds[pair].type)] += 1
        else:
            score.confusion[(g.type, NONE)] += 1
    for i in free:
        score.confusion[(NONE, preds[i].type)] += 1
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
    # per language ('fr', 'en'): entity and event counts (all types together)
    entities_by_language: dict[str, Counts] = field(default_factory=dict)
    events_by_language: dict[str, EventScore] = field(default_factory=dict)
    entity_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

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
        lang = d.language or g.language
        ent_counts, ent_errors = match_entities(g, d.entities)
        for t, c in ent_counts.items():
            report.entities.setdefault(t, Counts()).add(c)
        report.entities_by_language.setdefault(lang, Counts()).add(_total(ent_counts.values()))
        report.entity_confusion.update(entity_confusion(g, d.entities))
        untyped, _ = match_entities(g, d.entities, typed=False)
        report.entities_untyped.add(_total(untyped.values()))
        ev_score, ev_errors = match_events(g, d, min_confidence)
        report.events.add(ev_score)
        report.events_by_language.setdefault(lang, EventScore()).add(ev_score)
        merged = Errors(
            g.file.name,
            ent_errors.missed + ev_errors.missed,
            ent_errors.spurious + ev_errors.spurious,
        )
        if merged.missed or merged.spurious:
            report.errors.append(merged)
    return report


# ------------------------------------------------------------------ reporting


# Held-out splits already measured once and reported (eval/README.md): spent, so they serve
# as development copy from then on (their errors may be read, the learned models trained on
# them). A split is added here only after its one measurement is written down.
SPENT_SPLITS = frozenset(
    {"heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7"}
)


def is_blind(split: str) -> bool:
    """A held-out split not yet spent: never trained on, its errors never shown."""
    return split.startswith("heldout") and split not in SPENT_SPLITS


def errors_allowed(split: str) -> bool:
    """Development and spent splits may show what they get wrong; blind ones never do."""
    return not is_blind(split)


def _scores(c: Counts) -> dict[str, float | int]:
    return {
        "tp": c.tp,
        "fp": c.fp,
        "fn": c.fn,
        "precision": round(c.precision, 3),
        "recall": round(c.recall, 3),
        "f1": round(c.f1, 3),
    }


def _confusion_json(table: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (g, p), n in sorted(table.items()):
        out.setdefault(g, {})[p] = n
    return out


def report_json(r: Report) -> dict[str, object]:
    """The report as one JSON-ready object (`wire eval --json`)."""
    return {
        "split": r.split,
        "dispatches": r.dispatches,
        "entities": {"all": _scores(r.entity_total)}
        | {t: _scores(c) for t, c in sorted(r.entities.items())},
        "entities_untyped": _scores(r.entities_untyped),
        "entities_by_language": {k: _scores(c) for k, c in sorted(r.entities_by_language.items())},
        "events": {"all": _scores(r.event_total)}
        | {t: _scores(c) for t, c in sorted(r.events.strict.items())},
        "events_by_language": {
            k: {"all": _scores(_total(s.strict.values()))}
            | {t: _scores(c) for t, c in sorted(s.strict.items())}
            for k, s in sorted(r.events_by_language.items())
        },
        "events_type_only": _scores(r.event_type_only_total),
        "amounts": {"right": r.events.amounts_right, "expected": r.events.amounts_expected},
        "head_counts": {
            "right": r.events.head_counts_right,
            "expected": r.events.head_counts_expected,
        },
        "non_facts": {
            "gold": dict(sorted(r.events.non_facts.items())),
            "asserted": dict(sorted(r.events.non_facts_asserted.items())),
        },
        "event_confusion": _confusion_json(r.events.confusion),
        "entity_confusion": _confusion_json(r.entity_confusion),
    }


def _fmt(c: Counts) -> list[str]:
    return [str(c.tp), str(c.fp), str(c.fn), f"{c.precision:.2f}", f"{c.recall:.2f}", f"{c.f1:.2f}"]


def report_tables(r: Report, show_errors: bool = False) -> list[RenderableType]:
    """What `wire eval` prints: the scores per type and per language, the non-facts
    asserted, the confusion tables, and (development splits only) the errors."""
    table = Table(title=f"{r.split}: {r.dispatches} dispatches", title_justify="left")
    langs = sorted(r.events_by_language)
    for col in ("", "tp", "fp", "fn", "P", "R", "F1", *(f"F1 {k}" for k in langs)):
        table.add_column(col, justify="left" if not col else "right")

    def row(label: str, c: Counts, per_lang: list[Counts], style: str = "") -> None:
        table.add_row(label, *_fmt(c), *(f"{x.f1:.2f}" for x in per_lang), style=style)

    def lang_events(t: str | None) -> list[Counts]:
        out = []
        for k in langs:
            s = r.events_by_language[k]
            out.append(_total(s.strict.values()) if t is None else s.strict.get(t, Counts()))
        return out

    row("entities (typed)", r.entity_total, [r.entities_by_language[k] for k in langs], "bold")
    for t, c in sorted(r.entities.items()):
        row(f"  {t}", c, [])
    row("entities (untyped)", r.entities_untyped, [], "dim")
    row("events (type + roles)", r.event_total, lang_events(None), "bold")
    for t, c in sorted(r.events.strict.items()):
        row(f"  {t}", c, lang_events(t))
    row("events (type only)", r.event_type_only_total, [], "dim")
    out: list[RenderableType] = [table]
    ev = r.events
    lines = [f"amounts right on matched events: {ev.amounts_right}/{ev.amounts_expected}"]
    if ev.head_counts_expected:
        lines.append(
            f"head counts right on matched layoffs: {ev.head_counts_right}/{ev.head_counts_expected}"
        )
    if ev.non_facts:
        gold_nf = ", ".join(f"{k} {n}" for k, n in sorted(ev.non_facts.items()))
        asserted = sum(ev.non_facts_asserted.values())
        per = ", ".join(f"{k} {n}" for k, n in sorted(ev.non_facts_asserted.items())) or "none"
        lines.append(f"non-facts in gold: {gold_nf}; asserted as facts: {asserted} ({per})")
    out.extend(lines)
    out.append(_confusion_table("events: gold type (row) x predicted type (column)", ev.confusion))
    out.append(_confusion_table("entities: gold type (row) x predicted type", r.entity_confusion))
    if show_errors:
        for e in r.errors:
            out.append(f"[bold]{escape(e.file)}[/]")
            out.extend(f"  [red]missed[/]   {escape(m)}" for m in e.missed)
            out.extend(f"  [yellow]spurious[/] {escape(sp)}" for sp in e.spurious)
    return out


def _confusion_table(title: str, cells: Counter[tuple[str, str]]) -> Table:
    rows = [*sorted({g for g, _ in cells} - {NONE}), NONE]
    cols = [*sorted({p for _, p in cells} - {NONE}), NONE]
    table = Table(title=title, title_justify="left", padding=(0, 0))
    table.add_column("")
    for c in cols:
        table.add_column(short_type(c), justify="right")
    for g in rows:
        table.add_row(
            f"{g.removeprefix('personnel.')} ", *(f" {cells[(g, c)] or '.'}" for c in cols)
        )
    return table


def short_type(type_: str) -> str:
    """A column header three letters wide: 'personnel.hire' -> 'hir', 'legal.fine' -> 'fin'."""
    return type_ if type_ in (NONE, "PER", "ORG", "LOC", "MISC") else type_.split(".")[-1][:3]
