"""Index documents, bulk bodies and search bodies are plain data: test them as such."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.extract.batch import extract_batch
from pipeline.extract.normalise import normalise
from pipeline.settings import Settings
from pipeline.store.documents import (
    bulk_operations,
    bulk_outcome,
    dispatch_document,
    dispatch_mappings,
)
from pipeline.store.search import Near, SearchQuery, build_search, parse_search
from schemas import Dispatch
from tests.helpers import SEED, parse_file


@pytest.fixture(scope="module")
def seed() -> Dispatch:
    [d] = extract_batch([normalise(x) for x in parse_file(SEED)])
    return d


def test_document_has_facets_and_language_fields(seed: Dispatch) -> None:
    doc = dispatch_document(seed)
    assert "Amazon" in doc["orgs"] and "Rivian" in doc["orgs"]
    assert "Alicia Boler Davis" in doc["people"]
    assert doc["places"][0] == "New York"
    assert 700e6 in doc["amount_values"]
    assert doc["event_types"] == [
        "funding_round",
        "investment",
        "personnel.departure",
        "personnel.hire",
    ]
    assert doc["body_fr"] == seed.text and "body_en" not in doc
    assert Dispatch.model_validate(doc["dispatch"]) == seed
    assert set(doc) <= set(dispatch_mappings()["properties"])  # mapping is strict


def test_bulk_uses_guid_ids_and_external_versions(seed: Dispatch) -> None:
    s = Settings(index_prefix="t")
    ops = bulk_operations(s, [seed.model_copy(update={"version": 3})])
    head = ops[0]["index"]
    assert head == {
        "_index": "t-dispatches",
        "_id": seed.guid,
        "version": 3,
        "version_type": "external_gte",
    }
    event_heads = [o["index"] for o in ops[2::2]]
    assert {h["_index"] for h in event_heads} == {"t-events"}
    assert len(event_heads) == len(seed.events)


def test_bulk_outcome_separates_stale_versions_from_failures() -> None:
    resp = {
        "items": [
            {"index": {"_id": "a", "status": 201}},
            {
                "index": {
                    "_id": "b",
                    "status": 409,
                    "error": {"type": "version_conflict_engine_exception"},
                }
            },
            {
                "index": {
                    "_id": "c",
                    "status": 400,
                    "error": {"type": "mapper_parsing_exception", "reason": "bad"},
                }
            },
        ]
    }
    out = bulk_outcome(resp)
    assert (out.indexed, out.stale, out.failed) == (
        1,
        ["b"],
        {"c": "mapper_parsing_exception: bad"},
    )


def test_search_near_a_point_and_by_country() -> None:
    body = build_search(SearchQuery(near=Near.parse("48.85,2.35,50"), countries=["FR"]))
    filters = body["query"]["bool"]["filter"]
    assert {"geo_distance": {"distance": "50.0km", "geo": {"lat": 48.85, "lon": 2.35}}} in filters
    assert {"term": {"countries": "FR"}} in filters
    for bad in ("48.85,2.35", "a,b,c", "91,0,10", "0,0,-1"):
        with pytest.raises(ValueError):
            Near.parse(bad)


def test_search_body_filters_and_safety() -> None:
    q = SearchQuery(
        text='Rivian AND (("',
        orgs=["Amazon"],
        language="fr",
        since=datetime(2019, 1, 1, tzinfo=UTC),
    )
    body = build_search(q)
    must = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert must["query"] == 'Rivian AND (("'  # syntax errors are tolerated by simple_query_string
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"orgs": "Amazon"}} in filters
    assert {"term": {"language": "fr"}} in filters
    assert {"range": {"published": {"gte": "2019-01-01T00:00:00+00:00"}}} in filters
    assert body["query"]["bool"]["must_not"] == [{"terms": {"pubstatus": ["canceled", "withheld"]}}]
    assert body["sort"] == [{"_score": "desc"}, {"guid": "asc"}]  # relevance, total order
    assert set(body["aggs"]) == {
        "orgs",
        "people",
        "places",
        "event_types",
        "language",
        "provider",
        "story_id",
        "countries",
        "topics",
    }


def test_empty_query_sorts_by_time_and_killed_can_be_included() -> None:
    body = build_search(SearchQuery(include_killed=True))
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"][0] == {"published": "desc"}
    assert body["query"]["bool"]["must_not"] == []


def test_parse_search_reads_hits_highlights_and_facets() -> None:
    resp = {
        "hits": {
            "total": {"value": 1, "relation": "eq"},
            "hits": [
                {
                    "_id": "g1",
                    "_score": 2.5,
                    "_source": {"guid": "g1", "version": 2, "headline": "H", "orgs": ["Amazon"]},
                    "highlight": {
                        "body_fr": ["dans <em>Rivian</em>"],
                        "body": ["dans <em>Rivian</em>"],
                    },
                }
            ],
        },
        "aggregations": {"orgs": {"buckets": [{"key": "Amazon", "doc_count": 1}]}},
    }
    r = parse_search(resp)
    assert r.total == 1 and r.hits[0].version == 2
    assert r.hits[0].snippets == ["dans <em>Rivian</em>"]
    assert r.facets["orgs"][0].value == "Amazon"


def test_facets_use_canonical_names_and_written_case() -> None:
    """'PARIS' in a dateline and 'Paris' in the text are one facet value; capitals from a
    dateline or a headline read as people write the name; acronyms stay."""
    from pipeline.store.documents import display_case, facet_names, facet_places
    from schemas import Entity, EntityType, Place

    assert display_case("BOULOGNE-BILLANCOURT") == "Boulogne-Billancourt"
    assert display_case("GENERAL MOTORS") == "General Motors"
    assert display_case("LVMH") == "LVMH" and display_case("SNCF") == "SNCF"
    assert display_case("iPhone") == "iPhone" and display_case("McDonald's") == "McDonald's"
    d = Dispatch.model_validate(
        {
            "guid": "g",
            "received_at": "2026-11-24T04:56:00Z",
            "format": "plaintext",
            "source": "t",
            "dateline": {"place": "PARIS"},
            "entities": [
                Entity(id="loc:paris", name="Paris", type=EntityType.LOC).model_dump(),
                Entity(id="loc:saragosse", name="Saragosse", type=EntityType.LOC).model_dump(),
                Entity(id="loc:nowhere", name="NOWHERETOWN", type=EntityType.LOC).model_dump(),
                Entity(id="org:gm", name="GENERAL MOTORS", type=EntityType.ORG).model_dump(),
                Entity(id="org:gm2", name="General Motors", type=EntityType.ORG).model_dump(),
            ],
            "places": [
                Place(name="PARIS", canonical="Paris", kind="city", source="dateline").model_dump(),
                Place(
                    name="Saragosse",
                    canonical="Zaragoza",
                    kind="city",
                    source="text",
                    entity_id="loc:saragosse",
                ).model_dump(),
            ],
        }
    )
    assert facet_places(d) == ["Paris", "Zaragoza", "Nowheretown"]
    assert facet_names(d)[EntityType.ORG] == ["General Motors"]
    doc = dispatch_document(d)
    assert doc["places"] == ["Paris", "Zaragoza", "Nowheretown"]
    assert doc["dateline_place"] == "PARIS"  # the dateline as printed stays on the card


def test_undated_copy_says_received() -> None:
    from pipeline.store.search import time_kind

    at = "2026-11-30T04:20:00+00:00"
    assert time_kind({"published": at, "received_at": at, "versioncreated": None}) == "received"
    assert time_kind({"published": at, "received_at": at, "versioncreated": at}) == "published"
    dated = {"published": "2026-11-24T04:56:00+00:00", "received_at": at}
    assert time_kind(dated | {"versioncreated": None}) == "published"  # dateline date
    hit = {"_id": "g", "_source": {"guid": "g", "published": at, "received_at": at}}
    [h] = parse_search({"hits": {"hits": [hit], "total": 1}}).hits
    assert h.time_kind == "received"
