"""Entity timelines as data: name -> id, the searches, the assembled timeline."""

from __future__ import annotations

from pipeline.store.entities import (
    assemble,
    build_dispatches,
    build_events,
    build_resolve,
    candidate_ids,
    resolve,
    slug,
)


def test_slug_is_the_extractors() -> None:
    from pipeline.extract.entities import slug as extract_slug

    for name in ("Général Motors", "L'Oréal", "Alicia Boler Davis", "BOULOGNE-BILLANCOURT"):
        assert slug(name) == extract_slug(name)


def test_names_and_ids() -> None:
    assert candidate_ids("org:amazon") == ["org:amazon"]
    assert candidate_ids("Amazon") == ["org:amazon", "per:amazon", "loc:amazon", "misc:amazon"]
    assert candidate_ids("Elon Musk")[1] == "per:elon-musk"
    body = build_resolve("AMAZON")
    assert {"terms": {"orgs": ["AMAZON", "Amazon"]}} in body["query"]["bool"]["should"]
    resp = {
        "aggregations": {
            "ids": {
                "buckets": [
                    {"key": "loc:seattle", "doc_count": 9},  # a server that ignored `include`
                    {"key": "org:amazon", "doc_count": 3},
                ]
            }
        }
    }
    assert resolve("Amazon", resp) == "org:amazon"
    by_alias = {
        "aggregations": {"ids": {"buckets": []}},
        "hits": {
            "hits": [
                {
                    "_source": {
                        "dispatch": {
                            "entities": [
                                {
                                    "id": "org:general-motors",
                                    "name": "General Motors",
                                    "aliases": ["GM"],
                                }
                            ]
                        }
                    }
                }
            ]
        },
    }
    assert resolve("gm", by_alias) == "org:general-motors"
    assert resolve("Nobody", {"hits": {"hits": []}}) is None


def _dispatch(
    guid: str, published: str, entities: list[dict[str, object]], **kw: object
) -> dict[str, object]:
    return {
        "_id": guid,
        "_source": {
            "guid": guid,
            "headline": f"headline {guid}",
            "published": published,
            "received_at": published,
            "versioncreated": published,
            "provider": "AFP",
            "language": "fr",
            "dispatch": {"entities": entities},
            **kw,
        },
    }


def test_assemble_orders_events_and_names_related_entities() -> None:
    amazon = {"id": "org:amazon", "name": "Amazon", "type": "ORG", "aliases": ["AMAZON"]}
    rivian = {"id": "org:rivian", "name": "Rivian", "type": "ORG", "aliases": []}
    bezos = {"id": "per:jeff-bezos", "name": "Jeff Bezos", "type": "PER", "aliases": []}
    dispatches = {
        "hits": {
            "total": {"value": 2},
            "hits": [
                _dispatch("g2", "2026-11-24T04:56:00Z", [amazon, rivian], urgency=2),
                _dispatch("g1", "2026-11-20T08:00:00Z", [amazon, bezos]),
            ],
        },
        "aggregations": {
            "related": {
                "buckets": [
                    {"key": "org:amazon", "doc_count": 2},
                    {"key": "org:rivian", "doc_count": 1},
                    {"key": "per:jeff-bezos", "doc_count": 1},
                    {"key": "loc:seattle", "doc_count": 1},
                ]
            },
            "first": {"value_as_string": "2026-11-20T08:00:00.000Z"},
            "last": {"value_as_string": "2026-11-24T04:56:00.000Z"},
        },
    }
    role = {"entity_id": "org:amazon", "name": "Amazon", "type": "ORG"}
    events = {
        "hits": {
            "total": {"value": 2},
            "hits": [
                {
                    "_source": {
                        "event": {
                            "id": "e1",
                            "type": "investment",
                            "dispatch_guid": "g0",
                            "language": "fr",
                            "roles": {"investor": [role]},
                            "amount": {"value": 7e8, "currency": "USD", "text": "x"},
                            "versioncreated": "2026-11-01T00:00:00Z",
                        }
                    }
                },
                {
                    "_source": {
                        "event": {
                            "id": "e2",
                            "type": "personnel.hire",
                            "dispatch_guid": "g2",
                            "roles": {"organisation": [role]},
                            "versioncreated": "2026-11-24T04:56:00Z",
                        }
                    }
                },
            ],
        }
    }
    old_source = {  # a search by ids (an mget is refused once the alias spans generations)
        "hits": {
            "hits": [
                {
                    "_id": "g0",
                    "_index": "wire-dispatches-000001",
                    "_source": {"guid": "g0", "provider": "Reuters", "headline": "old"},
                }
            ]
        }
    }
    t = assemble("org:amazon", dispatches, events, old_source)
    assert (t.entity.name, t.entity.type, t.entity.aliases) == ("Amazon", "ORG", ["AMAZON"])
    assert (t.dispatch_count, t.event_count) == (2, 2)
    assert t.first_seen and t.first_seen.startswith("2026-11-20")
    assert [e["id"] for e in t.events] == ["e1", "e2"]
    assert t.events[0]["amount"]["display"] == "700 millions de dollars"
    assert t.events[0]["type_label"]["fr"] == "Investissement"
    assert t.events[0]["roles_of_entity"] == ["investor"]
    assert t.events[0]["source"]["provider"] == "Reuters"  # from the search by ids
    assert t.events[1]["source"]["headline"] == "headline g2"
    assert [d.guid for d in t.dispatches] == ["g2", "g1"] and t.dispatches[0].urgency == 2
    assert [(r.id, r.name, r.count) for r in t.related] == [
        ("org:rivian", "Rivian", 1),
        ("per:jeff-bezos", "Jeff Bezos", 1),
        ("loc:seattle", "Seattle", 1),  # not in the page of dispatches: named from its id
    ]


def test_searches_filter_on_the_id_and_leave_killed_copy_out() -> None:
    d = build_dispatches("org:amazon", 50)
    assert {"term": {"entity_ids": "org:amazon"}} in d["query"]["bool"]["filter"]
    assert d["query"]["bool"]["must_not"]
    assert d["sort"][0] == {"published": "desc"}
    assert build_events("org:amazon", 10)["sort"][0] == {"versioncreated": "asc"}
