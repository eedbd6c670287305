"""The gold set and its scorer (pipeline.extract.evaluate): pure functions, then the real stages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.sources.files import read_file
from pipeline.extract.batch import extract_batch
from pipeline.extract.evaluate import (
    Counts,
    GoldDispatch,
    GoldEntity,
    GoldError,
    GoldEvent,
    Report,
    load_gold,
    match_entities,
    match_events,
    score,
)
from pipeline.extract.events.types import EVENT_TYPES
from pipeline.extract.normalise import normalise
from schemas import Dispatch, Entity, EntityType, Event, EventRole
from tests.helpers import ROOT

GOLD = ROOT / "eval" / "gold"
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _gold(**kw: object) -> GoldDispatch:
    base: dict[str, object] = {
        "file": Path("x.txt"),
        "entities": (
            GoldEntity("Karin Lövgren", EntityType.PER, ("Lövgren",)),
            GoldEntity("Siemens Energy", EntityType.ORG),
            GoldEntity("Orsted", EntityType.ORG),
        ),
        "events": (
            GoldEvent(
                "personnel.hire",
                {"person": ("Karin Lövgren",), "organization": ("Siemens Energy",)},
            ),
        ),
    }
    base.update(kw)
    return GoldDispatch(**base)  # type: ignore[arg-type]


def _entity(name: str, type_: EntityType, *aliases: str) -> Entity:
    return Entity(
        id=f"{type_.value.lower()}:{name.lower()}", name=name, type=type_, aliases=list(aliases)
    )


def _event(type_: str, confidence: float = 0.85, **roles: Entity) -> Event:
    return Event(
        id=type_,
        type=type_,
        dispatch_guid="g",
        dispatch_version=1,
        roles={r: [EventRole(entity_id=e.id, name=e.name, type=e.type)] for r, e in roles.items()},
        evidence="…",
        confidence=confidence,
    )


def _dispatch(entities: list[Entity], events: list[Event]) -> Dispatch:
    return Dispatch(
        guid="g", received_at=NOW, format="plaintext", source="t", entities=entities, events=events
    )


def test_counts_precision_recall_f1() -> None:
    c = Counts(tp=3, fp=1, fn=2)
    assert (round(c.precision, 2), round(c.recall, 2), round(c.f1, 3)) == (0.75, 0.6, 0.667)
    assert Counts().f1 == 1.0  # nothing expected, nothing found


def test_entities_match_by_type_and_alias() -> None:
    karin = _entity("Lövgren", EntityType.PER)  # the short form still names the gold person
    counts, errors = match_entities(
        _gold(),
        [karin, _entity("Siemens Energy", EntityType.ORG), _entity("Orsted", EntityType.LOC)],
    )
    assert (counts["PER"].tp, counts["ORG"].tp, counts["ORG"].fn, counts["LOC"].fp) == (1, 1, 1, 1)
    assert errors.missed == ["ORG Orsted"] and errors.spurious == ["LOC Orsted"]
    untyped, _ = match_entities(_gold(), [_entity("Orsted", EntityType.LOC)], typed=False)
    assert untyped["ORG"].tp == 1


def test_a_person_split_in_two_costs_a_false_positive() -> None:
    counts, _ = match_entities(
        _gold(entities=(GoldEntity("Karin Lövgren", EntityType.PER, ("Lövgren",)),)),
        [_entity("Karin Lövgren", EntityType.PER), _entity("Lövgren", EntityType.PER)],
    )
    assert (counts["PER"].tp, counts["PER"].fp) == (1, 1)


def test_ignored_names_and_misc_are_not_scored() -> None:
    counts, _ = match_entities(
        _gold(entities=(), ignore=frozenset({"dove"})),
        [_entity("Dove", EntityType.ORG), _entity("Twingo", EntityType.MISC)],
    )
    assert all(c.fp == 0 for c in counts.values())


def test_events_need_the_type_and_every_role() -> None:
    karin, siemens = (
        _entity("Karin Lövgren", EntityType.PER),
        _entity("Siemens Energy", EntityType.ORG),
    )
    right = _event("personnel.hire", person=karin, organization=siemens)
    no_org = _event("personnel.hire", person=karin)
    wrong_type = _event("personnel.departure", person=karin, organization=siemens)
    for preds, tp in (([right], 1), ([no_org], 0), ([wrong_type], 0)):
        s, _ = match_events(_gold(), _dispatch([karin, siemens], preds), min_confidence=0.5)
        assert s.strict["personnel.hire"].tp == tp
    s, _ = match_events(_gold(), _dispatch([karin, siemens], [no_org]), 0.5)
    assert s.type_only["personnel.hire"].tp == 1  # right type, wrong roles


def test_events_below_the_confidence_floor_are_not_asserted() -> None:
    karin, siemens = (
        _entity("Karin Lövgren", EntityType.PER),
        _entity("Siemens Energy", EntityType.ORG),
    )
    rumour = _event("personnel.hire", 0.42, person=karin, organization=siemens)
    s, _ = match_events(_gold(), _dispatch([karin, siemens], [rumour]), min_confidence=0.5)
    assert (s.strict["personnel.hire"].tp, s.strict["personnel.hire"].fn) == (0, 1)


def test_load_gold_says_where_it_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "a.txt").write_text("x", encoding="utf-8")
    bad = tmp_path / "dev.toml"
    bad.write_text(
        '[[dispatch]]\nfile = "a.txt"\nentities = [{ name = "Atos", type = "ORG" }]\n'
        'events = [{ type = "layoffs", roles = { company = ["Michelin"] } }]\n',
        encoding="utf-8",
    )
    with pytest.raises(GoldError, match=r"dispatch #1: layoffs.company names unknown entity"):
        load_gold(bad)
    bad.write_text('[[dispatch]]\nfile = "missing.txt"\n', encoding="utf-8")
    with pytest.raises(GoldError, match="no file"):
        load_gold(bad)


@pytest.fixture(scope="module")
def splits() -> dict[str, list[GoldDispatch]]:
    return {name: load_gold(GOLD / f"{name}.toml") for name in ("dev", "heldout")}


def test_gold_set_covers_every_type_in_both_languages_and_splits(
    splits: dict[str, list[GoldDispatch]],
) -> None:
    assert sum(len(g) for g in splits.values()) >= 60
    wanted = set(EVENT_TYPES) - {"dispatch.killed"}
    for name, gold in splits.items():
        types = {e.type for g in gold for e in g.events}
        assert types == wanted, (name, wanted - types)
        langs = {g.file.name.split("-")[1] for g in gold}
        assert langs == {"fr", "en"}, name
        assert any(not g.events for g in gold), f"{name}: no dispatch without events"


def _run(gold: list[GoldDispatch]) -> Report:
    parsed = []
    for g in gold:
        r = read_file(g.file, received_at=NOW, max_bytes=1 << 20)
        assert r.error is None and len(r.dispatches) == 1, g.file
        parsed.append(normalise(r.dispatches[0]))
    return score("x", gold, extract_batch(parsed))


def test_scores_on_the_gold_set_stay_above_their_floors(
    splits: dict[str, list[GoldDispatch]],
) -> None:
    """A regression guard, not a target: the floors sit under the figures in eval/README.md."""
    dev, held = _run(splits["dev"]), _run(splits["heldout"])
    # dev grew from 85 to 158 dispatches (rounds 5 and 6, harder copy): floors re-set
    assert dev.entity_total.f1 >= 0.93 and dev.event_total.f1 >= 0.93
    assert held.entity_total.f1 >= 0.88 and held.event_total.f1 >= 0.80
    assert not dev.events.non_facts_asserted  # no denied/rumoured/planned/background as fact


def test_a_non_fact_asserted_is_counted_by_its_status() -> None:
    kering, valentino, puig = (
        _entity("Kering", EntityType.ORG),
        _entity("Valentino", EntityType.ORG),
        _entity("Puig", EntityType.ORG),
    )
    gold = _gold(
        entities=tuple(GoldEntity(n, EntityType.ORG) for n in ("Kering", "Valentino", "Puig")),
        events=(),
        non_facts=(
            GoldEvent(
                "acquisition", {"acquirer": ("Kering",), "target": ("Valentino",)}, status="denied"
            ),
        ),
    )
    denied = _event("acquisition", acquirer=kering, target=valentino)
    other = _event("partnership", partner=puig)
    s, errors = match_events(gold, _dispatch([kering, valentino, puig], [denied, other]), 0.5)
    assert s.non_facts_asserted == {"denied": 1} and s.non_facts == {"denied": 1}
    assert s.strict["acquisition"].fp == 1 and any("denied non-fact" in e for e in errors.spurious)
    assert s.confusion[("-", "acquisition")] == 1 and s.confusion[("-", "partnership")] == 1
    # kept with its status, it is not asserted: no error
    kept = (
        denied.model_copy(update={"status": "denied"}) if "status" in Event.model_fields else None
    )
    if kept is not None:
        s, _ = match_events(gold, _dispatch([kering, valentino], [kept]), 0.5)
        assert not s.non_facts_asserted and not s.strict.get("acquisition")


def test_lead_investors_score_alike_under_either_convention() -> None:
    names = ("Lengow", "Eurazeo", "Bpifrance")
    gold = _gold(
        entities=tuple(GoldEntity(n, EntityType.ORG) for n in names),
        events=(
            GoldEvent(
                "funding_round",
                {
                    "target": ("Lengow",),
                    "investor": ("Eurazeo", "Bpifrance"),  # older convention: the lead twice
                    "lead_investor": ("Eurazeo",),
                },
            ),
        ),
    )
    lengow, eurazeo, bpi = (_entity(n, EntityType.ORG) for n in names)
    pred = _event("funding_round", target=lengow, investor=bpi, lead_investor=eurazeo)
    s, _ = match_events(gold, _dispatch([lengow, eurazeo, bpi], [pred]), 0.5)
    assert s.strict["funding_round"].tp == 1


def test_missed_events_pair_with_the_prediction_that_took_their_entities() -> None:
    karin, siemens = (
        _entity("Karin Lövgren", EntityType.PER),
        _entity("Siemens Energy", EntityType.ORG),
    )
    wrong_type = _event("personnel.departure", person=karin, organization=siemens)
    s, _ = match_events(_gold(), _dispatch([karin, siemens], [wrong_type]), 0.5)
    assert s.confusion == {("personnel.hire", "personnel.departure"): 1}


def test_load_gold_reads_non_facts_and_head_counts(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "afp-fr-a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "dev.toml").write_text(
        '[[dispatch]]\nfile = "afp-fr-a.txt"\nentities = [{ name = "Atos", type = "ORG" }]\n'
        'events = [{ type = "layoffs", roles = { company = ["Atos"] }, head_count = 900 }]\n'
        'non_facts = [{ type = "layoffs", roles = { company = ["Atos"] }, status = "planned" }]\n',
        encoding="utf-8",
    )
    [g] = load_gold(tmp_path / "dev.toml")
    assert g.events[0].head_count == 900 and g.non_facts[0].status == "planned"
    assert g.language == "fr"
