"""A search node that sheds bulk items under load: retried, not dead-lettered."""

from __future__ import annotations

from pipeline.store.documents import bulk_outcome


def test_items_refused_for_now_are_retried_and_bad_ones_fail() -> None:
    resp = {
        "items": [
            {"index": {"_id": "ok", "status": 201}},
            {"index": {"_id": "old", "status": 409}},
            {
                "index": {
                    "_id": "busy",
                    "status": 429,
                    "error": {"type": "es_rejected_execution_exception", "reason": "queue full"},
                }
            },
            {
                "index": {
                    "_id": "bad",
                    "status": 400,
                    "error": {"type": "mapper_parsing_exception", "reason": "bad date"},
                }
            },
            {"delete": {"_id": "gone", "status": 404}},
        ]
    }
    out = bulk_outcome(resp)
    assert out.indexed == 1 and out.stale == ["old"]
    assert list(out.retry) == ["busy"] and list(out.failed) == ["bad"]
