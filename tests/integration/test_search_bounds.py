"""One huge dispatch cannot freeze search: a 900 KB text (the one that froze the local
node for 13 minutes) is written in its stored shape, then searched for everything, for
a prefix every word shares and for a word; each answers in seconds, with bounded
snippets, and its events carry bounded evidence."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from pipeline.settings import Settings
from pipeline.store.documents import bulk_operations
from pipeline.store.search import SNIPPET_MAX_CHARS, SearchQuery, search
from pipeline.store.writes import ensure_indices
from schemas import Event
from schemas.dispatch import EVIDENCE_MAX_CHARS
from tests.helpers import SEED, parse_file

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def big(settings: Settings, es: Elasticsearch) -> Iterator[Settings]:
    s = settings.model_copy(update={"index_prefix": settings.index_prefix + "big"})
    ensure_indices(es, s)
    rng = random.Random(13)
    words = [
        "".join(rng.choice("abcdefghilmnoprstuv") for _ in range(rng.randint(3, 9)))
        for _ in range(4000)
    ]
    text = " ".join(["marché"] + [rng.choice(words) for _ in range(150_000)])[:900_000]
    [seed] = parse_file(SEED)
    event = Event(
        id="big-event",
        type="investment",
        dispatch_guid="urn:test:big",
        dispatch_version=1,
        language="fr",
        evidence=text[:875_814],
        confidence=0.9,
    )
    huge = seed.model_copy(
        update={"guid": "urn:test:big", "body": [text], "language": "fr", "events": [event]}
    )
    resp = es.bulk(operations=bulk_operations(s, [huge, seed]), refresh=True)
    assert not resp["errors"], resp
    yield s


@pytest.mark.parametrize("words", ["*", "marché", "ab*", "a* | b* | c*"])
def test_a_huge_dispatch_answers_any_search_in_seconds(
    big: Settings, es: Elasticsearch, words: str
) -> None:
    t0 = time.monotonic()
    page = search(es, big, SearchQuery(text=words, size=20))
    took = time.monotonic() - t0
    print(f"{words!r}: {page.total} hit(s) in {took:.2f} s")
    assert took < big.es_request_timeout_s, took
    assert page.total >= 1
    for hit in page.hits:
        assert all(len(s) <= SNIPPET_MAX_CHARS + len("</em>…") for s in hit.snippets)


def test_its_events_carry_bounded_evidence(big: Settings, es: Elasticsearch) -> None:
    got = es.get(index=big.event_alias, id="big-event")["_source"]
    assert len(got["evidence"]) == EVIDENCE_MAX_CHARS
    assert len(got["event"]["evidence"]) == EVIDENCE_MAX_CHARS
    stored = es.get(index=big.dispatch_alias, id="urn:test:big")["_source"]
    assert len(stored["body"]) <= big.index_max_text_chars
    assert len(stored["dispatch"]["body"][0]) == 900_000  # kept whole, not analysed
