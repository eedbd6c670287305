"""Saved-search matching on both paths (pipeline.worker.alerts), against a stand-in node:
the percolator where the node has it, `_msearch` in chunks where it has not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import BadRequestError

from pipeline.extract.normalise import normalise
from pipeline.settings import Settings
from pipeline.store.saved_searches import (
    SavedSearch,
    alerts_from_percolate,
    build_percolate,
    percolator_entry,
    percolator_mappings,
    saved_search_id,
)
from pipeline.store.search import SearchQuery
from pipeline.worker import alerts as alerts_module
from pipeline.worker.alerts import AlertMatcher
from tests.helpers import SAMPLES, parse_file

SETTINGS = Settings(index_prefix="t", saved_search_refresh_s=0.01)


def saved(name: str, text: str) -> SavedSearch:
    return SavedSearch(
        id=saved_search_id("anonymous", name),
        name=name,
        query=SearchQuery(text=text),
        created=datetime(2026, 11, 30, tzinfo=UTC),
    )


class Node:
    """Just enough of AsyncElasticsearch: saved searches, a percolator or not."""

    def __init__(self, searches: list[SavedSearch], percolator: bool) -> None:
        self.searches = searches
        self.percolator = percolator
        self.indices = self
        self.calls: list[str] = []
        self.stored: dict[str, dict[str, Any]] = {}

    async def exists(self, index: str) -> bool:
        return False

    async def create(self, index: str, mappings: dict[str, Any]) -> None:
        self.calls.append("create")

    async def delete(self, index: str) -> None:
        self.calls.append("delete")

    async def search(self, index: str, **body: Any) -> dict[str, Any]:
        query = body.get("query", {})
        if "percolate" in query:
            if not self.percolator:
                raise BadRequestError("no percolate", meta=None, body={})  # type: ignore[arg-type]
            self.calls.append("percolate")
            docs = query["percolate"].get("documents", [])
            hits = [
                {"_source": {"saved_search_id": i}, "fields": {"_percolator_document_slot": [0]}}
                for i in self.stored
                if docs and "Rivian" in str(self.stored[i])
            ]
            return {"hits": {"hits": hits}}
        after = body.get("search_after")
        start = 0 if after is None else [s.id for s in self.searches].index(after[0]) + 1
        page = self.searches[start : start + body["size"]]
        return {
            "hits": {"hits": [{"_source": s.model_dump(mode="json"), "sort": [s.id]} for s in page]}
        }

    async def bulk(self, operations: list[dict[str, Any]], refresh: str | bool) -> None:
        if operations and operations[0]["index"]["_index"] == SETTINGS.alerts_index:
            assert refresh is True  # the history is readable when the alert goes out
            self.calls.append("history")
            return
        self.calls.append("bulk")
        for op, body in zip(operations[::2], operations[1::2], strict=False):
            if "index" in op:
                self.stored[op["index"]["_id"]] = body

    async def msearch(self, searches: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(f"msearch:{len(searches) // 2}")
        return {"responses": [{"hits": {"hits": []}} for _ in searches[1::2]]}


def test_the_percolator_when_the_node_has_it_msearch_in_chunks_when_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [d] = [normalise(x) for x in parse_file(SAMPLES / "afp-fr-amazon-gm-rivian.txt")]
    many = sorted(
        [saved(f"s{i}", f"mot{i}") for i in range(450)] + [saved("rivian", "Rivian")],
        key=lambda s: s.id,
    )
    monkeypatch.setattr(alerts_module, "PAGE", 100)  # several pages of saved searches

    local = Node(many, percolator=False)
    m = AlertMatcher(SETTINGS)
    assert asyncio.run(m.match(local, [d])) == []  # type: ignore[arg-type]
    assert m.percolator is False
    assert local.calls == ["create", "delete", "msearch:200", "msearch:200", "msearch:51"]

    real = Node(many, percolator=True)
    m = AlertMatcher(SETTINGS)
    [alert] = asyncio.run(m.match(real, [d]))  # type: ignore[arg-type]
    assert m.percolator is True and alert.saved_search_name == "rivian" and alert.guid == d.guid
    # probe, sync, match, the alert kept in the history
    assert real.calls == ["create", "percolate", "bulk", "percolate", "history"]
    assert len(real.stored) == 451
    asyncio.run(asyncio.sleep(0.02))
    asyncio.run(m.match(real, [d]))  # type: ignore[arg-type]
    assert real.calls[-2:] == ["percolate", "history"]
    assert real.calls.count("bulk") == 1  # nothing changed: no sync


def test_percolator_entries_mean_what_the_search_page_means() -> None:
    s = saved("rivian", "Rivian")
    entry = percolator_entry(s)
    assert entry["saved_search_id"] == s.id
    assert entry["query"]["bool"]["must"][0]["simple_query_string"]["query"] == "Rivian"
    assert {"terms": {"pubstatus": ["canceled", "withheld"]}} in entry["query"]["bool"]["must_not"]
    props = percolator_mappings()["properties"]
    assert props["query"] == {"type": "percolator"} and "headline_fr" in props
    body = build_percolate([{"guid": "a"}, {"guid": "b"}], size=10)
    assert body["query"]["percolate"] == {
        "field": "query",
        "documents": [{"guid": "a"}, {"guid": "b"}],
    }
    [d] = [normalise(x) for x in parse_file(SAMPLES / "afp-fr-amazon-gm-rivian.txt")]
    response = {
        "hits": {
            "hits": [
                {
                    "_source": {"saved_search_id": s.id},
                    "fields": {"_percolator_document_slot": [0]},
                },
                {
                    "_source": {"saved_search_id": "deleted"},
                    "fields": {"_percolator_document_slot": [0]},
                },
            ]
        }
    }
    [a] = alerts_from_percolate([s], response, [d])
    assert a.id == f"{s.id}:{d.guid}:{d.version}"
