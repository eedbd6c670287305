"""Offline geocoding (pipeline.extract.geo) and IPTC Media Topics (pipeline.extract.subjects): no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.extract.geo import Gazetteer, fold, gazetteer, geocode
from pipeline.extract.subjects import classify, with_topics
from schemas import Dateline, Dispatch, Entity, EntityType, Event, Subject

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _dispatch(
    body: str, *, place: str | None = None, locs: tuple[str, ...] = (), **kw: object
) -> Dispatch:
    entities = [Entity(id=f"loc:{fold(n)}", name=n, type=EntityType.LOC) for n in locs]
    return Dispatch(
        guid="g",
        received_at=NOW,
        format="plaintext",
        source="t",
        body=[body],
        dateline=Dateline(place=place),
        entities=entities,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return gazetteer()


def test_french_and_english_names_resolve_to_one_place(gaz: Gazetteer) -> None:
    for written, canonical, country in (
        ("Londres", "London", "GB"),
        ("Saragosse", "Zaragoza", "ES"),
        ("Allemagne", "Germany", "DE"),
        ("États-Unis", "United States", "US"),
        ("UK", "United Kingdom", "GB"),
        ("BOULOGNE-BILLANCOURT", "Boulogne-Billancourt", "FR"),
    ):
        r = gaz.resolve(written)
        assert r is not None and (r.name, r.country) == (canonical, country), written
    assert gaz.resolve("Atlantide") is None


def test_ambiguous_city_follows_the_countries_the_story_names(gaz: Gazetteer) -> None:
    assert gaz.resolve("Valencia").country == "VE"  # type: ignore[union-attr]  # most people
    assert gaz.resolve("Valencia", frozenset({"ES"})).country == "ES"  # type: ignore[union-attr]
    assert gaz.countries_named("Floods in the eastern Spanish region of Valencia") == {"ES"}
    assert gaz.countries_named("Un séisme frappe le sud du Maroc") == {"MA"}


def test_geocode_dateline_and_place_entities() -> None:
    d = _dispatch(
        "La voiture sera assemblée à Saragosse, en Espagne, et vendue en Europe.",
        place="FLINS (France)",
        locs=("Saragosse", "Espagne", "Europe", "Atlantide"),
    )
    places = {p.name: p for p in geocode(d)}
    assert set(places) == {"Saragosse", "Espagne", "Europe"}  # Flins is under 15,000 people
    zaragoza = places["Saragosse"]
    assert (zaragoza.kind, zaragoza.country, zaragoza.source) == ("city", "ES", "text")
    assert zaragoza.latitude == pytest.approx(41.656, abs=0.01)
    assert zaragoza.entity_id == "loc:saragosse"
    assert places["Europe"].kind == "continent" and places["Europe"].country is None
    d = _dispatch("Le constructeur a nommé un directeur.", place="BOULOGNE-BILLANCOURT (France)")
    [home] = geocode(d)
    assert (home.canonical, home.source, home.country) == ("Boulogne-Billancourt", "dateline", "FR")


def _event(type_: str) -> Event:
    return Event(
        id=type_, type=type_, dispatch_guid="g", dispatch_version=1, evidence="…", confidence=0.9
    )


def test_topics_from_events_and_keyword_families() -> None:
    quake = _dispatch("Un séisme a fait 31 morts.", events=[_event("disaster")])
    assert [s.code for s in classify(quake)] == ["medtop:03000000", "medtop:20000148"]
    vote = _dispatch("Le parti a remporté le scrutin devant la coalition sortante.")
    assert "medtop:11000000" in {s.code for s in classify(vote)}
    one_word = _dispatch("Le match a été reporté.")  # one sport word is not enough
    assert classify(one_word) == []
    shares = _dispatch(
        "Le titre a terminé en hausse de 3% à la Bourse de Paris, les investisseurs saluant "
        "la croissance du chiffre d'affaires.",
    )
    codes = {s.code for s in classify(shares)}
    assert {"medtop:04000000", "medtop:20000385"} <= codes


def test_provider_subjects_are_kept_and_not_repeated() -> None:
    d = _dispatch(
        "Le groupe va supprimer 1.250 postes.",
        events=[_event("layoffs")],
        subjects=[Subject(code="medtop:09000000", name="labour", scheme="medtop")],
    )
    codes = [s.code for s in with_topics(d)]
    assert codes[0] == "medtop:09000000" and codes.count("medtop:09000000") == 1
    assert "medtop:20000509" in codes


def test_french_exonyms_the_city_index_lacks_resolve(gaz: Gazetteer) -> None:
    for written, canonical, country in (
        ("Abou Dhabi", "Abu Dhabi", "AE"),
        ("Tombouctou", "Timbuktu", "ML"),
    ):
        r = gaz.resolve(written)
        assert r is not None and (r.name, r.country) == (canonical, country), written


def test_an_english_story_datelined_paris_naming_the_us_stays_in_france() -> None:
    # the bureau prior and the dateline outweigh the countries the story names
    d = _dispatch(
        "Paris-based Vireo said on Monday it would open offices in the United States, where "
        "it already sells its software to hospitals in Texas.",
        place="PARIS",
        locs=("Paris", "United States", "Texas"),
        language="en",
    )
    places = {(p.name, p.source): p for p in geocode(d)}
    assert places[("PARIS", "dateline")].country == "FR"
    d = _dispatch("A tornado tore through the town on Thursday.", place="PARIS, Texas")
    d = d.model_copy(update={"dateline": Dateline(place="PARIS", text="PARIS, Texas, Dec 4 (AFP)")})
    [home] = geocode(d)
    assert (home.canonical, home.country) == ("Paris", "US")


def test_keyword_families_read_at_the_starts_of_one_scan_find_what_each_scan_finds() -> None:
    from pipeline.extract.subjects import KEYWORDS, keyword_starts

    text = (
        "Les inondations et les incendies ont fait des victimes; the floods, a flood, "
        "Wildfires and a CRASH; le tribunal a condamné la société à une amende; fined."
    )
    lowered = text.lower()
    starts = keyword_starts(text, lowered)
    for code, family in KEYWORDS.items():
        assert family.found(text, lowered, starts) == family.found(text, lowered), code
    assert KEYWORDS["03000000"].found(text, lowered, starts) >= {"floods", "flood", "crash"}


def test_a_topic_keyword_is_a_literal_or_a_final_optional_letter() -> None:
    from pipeline.extract.subjects import _family, _forms

    assert _forms("floods?") == ("flood", "floods")
    with pytest.raises(ValueError, match="only literals"):
        _family("lay(?:off|offs)")
