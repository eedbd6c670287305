"""Events read from the parse, with a status: only asserted events are facts (published);
denied, rumoured, planned and background ones stay on the dispatch (`non_facts`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.dedup.versioning import gate
from pipeline.extract.batch import extract_batch
from pipeline.extract.events.measures import head_count, percent
from pipeline.extract.geo import fold, geocode
from pipeline.extract.knowledge import given_names, known_organisation, legal_form_after
from pipeline.worker.batch import deliveries, publishable, settle
from schemas import Dateline, Dispatch, Entity, EntityType, Event, EventStatus
from tests.helpers import wire_copy

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _extract(body: str, language: str = "en", place: str = "PARIS") -> Dispatch:
    [out] = extract_batch([wire_copy(language, body, place=place)])
    return out


def _roles(e: Event) -> dict[str, list[str]]:
    return {k: [r.name for r in v] for k, v in e.roles.items()}


def _of(events: list[Event], type_: str) -> list[Event]:
    return [e for e in events if e.type == type_]


def test_xcomp_gives_the_subject_not_the_nearest_name() -> None:
    d = _extract(
        "Corvane Motors plans to cut 900 jobs at its electric-vehicle unit after rival "
        "Tessaro slashed prices across its range, the carmaker said on Tuesday."
    )
    [cut] = _of(d.events, "layoffs")
    assert _roles(cut) == {"company": ["Corvane Motors"]}
    assert cut.head_count == 900 and cut.status is EventStatus.asserted


def test_agreed_to_buy_and_a_background_deal_with_a_year() -> None:
    d = _extract(
        "Norwegian industrial group Halvorsen said on Thursday it had agreed to buy software "
        "maker Fjordline Systems for $2.1 billion.\n\nHalvorsen, which bought Danish rival "
        "Kvist Marine in 2019, has been looking for a software business."
    )
    [deal] = _of(d.events, "acquisition")
    assert _roles(deal) == {"acquirer": ["Halvorsen"], "target": ["Fjordline Systems"]}
    assert deal.amount is not None and deal.amount.value == 2.1e9
    [old] = _of(d.non_facts, "acquisition")
    assert old.status is EventStatus.background and _roles(old)["target"] == ["Kvist Marine"]


def test_french_passive_fine_names_its_authority() -> None:
    d = _extract(
        "Le distributeur Maxiprix a été condamné à une amende de 4 millions d'euros par "
        "l'Autorité de la concurrence, a annoncé mercredi l'institution.",
        language="fr",
    )
    [fine] = _of(d.events, "legal.fine")
    assert _roles(fine) == {
        "authority": ["Autorité de la concurrence"],
        "defendant": ["Maxiprix"],
    }


@pytest.mark.parametrize(
    ("body", "language", "status"),
    [
        ("Kering a démenti jeudi tout projet de rachat de la maison Valentino.", "fr", "denied"),
        ("Unilever denied on Wednesday that it was in talks to buy snack maker Crunchwell.", "en", "denied"),
        ("Shell is in early talks to buy rival BP, people familiar with the matter said.", "en", "rumoured"),
        ("LVMH envisagerait de racheter la marque Marc Jacobs, selon Le Figaro.", "fr", "rumoured"),
        ("Sony said it was considering legal action against Kairo Studios.", "en", "planned"),
    ],
)  # fmt: skip
def test_denied_rumoured_and_planned_events_are_never_facts(
    body: str, language: str, status: str
) -> None:
    d = _extract(body, language)
    assert d.events == []
    assert [e.status.value for e in d.non_facts] == [status]
    assert all(e.confidence < 0.5 for e in d.non_facts)


def test_a_month_is_not_a_modal() -> None:
    d = _extract("Boeing, which sued Airbus in May, said on Monday it had agreed to buy Spirit.")
    assert "acquisition" in [e.type for e in d.events]
    d = _extract("Boeing may buy Spirit AeroSystems, people familiar with the matter said.")
    assert d.events == [] and [e.status.value for e in d.non_facts] == ["rumoured"]


def test_the_worker_publishes_only_asserted_events() -> None:
    d = _extract("Northwind Airlines has filed a lawsuit against Boeing over delivery delays.")
    denied = d.events[0].model_copy(update={"id": "x", "status": EventStatus.denied})
    d = d.model_copy(update={"events": [*d.events, denied]})
    assert publishable(d.events) == d.events[:1]
    g = gate([d], {}, {}, "2")
    out = settle([d], g, deliveries([d], g, {}, NOW), failed={}, stale=set())
    assert [e.status for _, events in out.events for e in events] == [EventStatus.asserted]


def test_head_count_and_percent() -> None:
    text = "Streamly will lay off 12 percent of its workforce, or about 1,300 employees."
    assert head_count(text, text.index("lay off")) == 1300
    assert percent(text) == 12
    assert head_count("Solvay va supprimer 1.350 postes en Belgique.", 0) == 1350


def test_knowledge_lists() -> None:
    assert fold("Élodie") in given_names() and fold("Ingrid") in given_names()
    assert known_organisation("Salesforce") and known_organisation("Cnil")
    assert known_organisation("Estée Lauder")  # 'The Estée Lauder Companies'
    assert legal_form_after().match(" SA, le groupe") and legal_form_after().match(", Inc.")
    assert not legal_form_after().match(" said")


def test_companies_named_like_people_and_cities_read_as_places() -> None:
    d = _extract(
        "Le groupe familial Dumas Martin a décidé de racheter le fabricant de vélos "
        "Cyclonord. Veridia Pharma a été sanctionnée à Florence.",
        language="fr",
    )
    types = {e.name: e.type for e in d.entities}
    assert types["Dumas Martin"] is EntityType.ORG
    assert types["Veridia Pharma"] is EntityType.ORG
    assert types["Florence"] is EntityType.LOC


def _place_dispatch(body: str, place: str, printed: str, locs: tuple[str, ...]) -> Dispatch:
    return Dispatch(
        guid="g",
        received_at=NOW,
        format="plaintext",
        source="t",
        language="en",
        body=[body],
        dateline=Dateline(place=place, text=printed),
        entities=[Entity(id=f"loc:{fold(n)}", name=n, type=EntityType.LOC) for n in locs],
    )


def test_a_bureau_dateline_wins_over_the_countries_a_story_names() -> None:
    d = _place_dispatch(
        "Renault and Qualcomm will work in the United States.",
        "PARIS",
        "PARIS, Dec 2, 2026 (AFP)",
        ("United States",),
    )
    assert geocode(d)[0].country == "FR"
    texas = _place_dispatch("A tornado hit the town.", "PARIS", "PARIS, Texas, Dec 4 (AFP)", ())
    assert geocode(texas)[0].country == "US"
    canada = _place_dispatch("A quake.", "VICTORIA", "VICTORIA, Canada, Nov 29 (AFP)", ())
    assert geocode(canada)[0].country == "CA"
