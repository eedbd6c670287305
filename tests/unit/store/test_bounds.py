"""No single dispatch or query can freeze search: what is indexed, highlighted and handed
out is bounded (text per field, highlight offset, snippets, evidence)."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.settings import Settings
from pipeline.store.documents import MAX_HEADLINE_CHARS, bulk_operations, dispatch_document
from pipeline.store.search import (
    SNIPPET_MAX_CHARS,
    SearchQuery,
    bounded_snippet,
    build_search,
    has_words,
    parse_search,
    search,
)
from schemas import Event, EventRetraction
from schemas.dispatch import EVIDENCE_MAX_CHARS
from tests.helpers import SEED, parse_file

HUGE = ("mot " * 250_000).strip()  # ~1 MB of text without a sentence break


def huge_dispatch() -> object:
    [d] = parse_file(SEED)
    return d.model_copy(update={"body": [HUGE], "headline": "Titre " * 1000, "language": "fr"})


def test_each_indexed_text_field_is_bounded_and_the_whole_text_kept() -> None:
    d = huge_dispatch()
    doc = dispatch_document(d, max_chars=32_000)  # type: ignore[arg-type]
    for field in ("body", "body_fr"):
        assert 31_800 <= len(doc[field]) <= 32_000
        assert not doc[field].endswith(" ")
    for field in ("headline", "headline_fr"):
        assert len(doc[field]) <= MAX_HEADLINE_CHARS
    assert len(doc["dispatch"]["body"][0]) == len(HUGE)  # stored, not analysed
    ops = bulk_operations(Settings(index_max_text_chars=5_000), [d])  # type: ignore[list-item]
    assert len(ops[1]["body"]) <= 5_000


def test_highlighting_is_bounded_and_wildcards_alone_are_no_words() -> None:
    body = build_search(SearchQuery(text="Rivian"), highlight_max_chars=10_000)
    hl = body["highlight"]
    assert hl["max_analyzed_offset"] == 10_000
    assert all(
        f["fragment_size"] == 160 and f["number_of_fragments"] == 2 for f in hl["fields"].values()
    )
    for text in ("*", " * ", "* | *", "-", '""', "()"):
        assert not has_words(text)
        b = build_search(SearchQuery(text=text))
        assert b["query"]["bool"]["must"] == [{"match_all": {}}] and "highlight" not in b
        assert b["sort"][0] == {"published": "desc"}
    assert has_words("Rivian*") and has_words("-Tesla voiture")


def test_search_sends_a_server_side_timeout() -> None:
    sent: dict[str, object] = {}

    class FakeES:
        def search(self, index: str, body: dict[str, object]) -> dict[str, object]:
            sent.update(body)
            return {"hits": {"hits": [], "total": {"value": 0}}}

    search(
        FakeES(), Settings(es_request_timeout_s=5, highlight_max_chars=2000), SearchQuery(text="x")
    )  # type: ignore[arg-type]
    assert sent["timeout"] == "4000ms"
    assert sent["highlight"]["max_analyzed_offset"] == 2000  # type: ignore[index]


def test_snippets_are_bounded_and_keep_their_tags_whole() -> None:
    long = "a " * 300 + "<em>Rivian</em> " + "b " * 300
    cut = bounded_snippet(long)
    assert len(cut) <= SNIPPET_MAX_CHARS + len("</em>…")
    assert cut.endswith("…") and cut.count("<em>") == cut.count("</em>")
    mid = "x" * (SNIPPET_MAX_CHARS - 3) + "<em>Rivian</em>"
    assert "<e…" not in bounded_snippet(mid) and "<em" not in bounded_snippet(mid)[-6:]
    resp = {
        "hits": {"hits": [{"_id": "g", "_source": {"guid": "g"}, "highlight": {"body": [long]}}]}
    }
    assert all(len(s) <= SNIPPET_MAX_CHARS + 6 for s in parse_search(resp).hits[0].snippets)


def test_evidence_is_bounded_wherever_an_event_is_built() -> None:
    e = Event(
        id="e1",
        type="investment",
        dispatch_guid="g",
        dispatch_version=1,
        evidence=HUGE,
        confidence=0.9,
    )
    assert len(e.evidence) == EVIDENCE_MAX_CHARS and e.evidence.endswith("…")
    r = EventRetraction(
        retracts="e1",
        type="investment",
        dispatch_guid="g",
        dispatch_version=2,
        reason="killed",  # type: ignore[arg-type]
        evidence=HUGE,
        retracted_at=datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert len(r.evidence) == EVIDENCE_MAX_CHARS
    assert Event.model_json_schema()["properties"]["evidence"]["maxLength"] == EVIDENCE_MAX_CHARS
    short = e.model_copy(update={"evidence": "Amazon investit."})
    assert Event.model_validate(short.model_dump()).evidence == "Amazon investit."
