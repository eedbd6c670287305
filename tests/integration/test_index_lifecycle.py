"""`wire index migrate` and `wire index rollover` on a real (or the local) Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from pipeline.settings import Settings
from pipeline.store.client import make_es
from pipeline.store.lifecycle import alias_state, migrate, rollover, rollover_conditions
from pipeline.store.writes import ensure_indices

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh(settings: Settings) -> Iterator[tuple[Settings, Elasticsearch]]:
    s = settings.model_copy(update={"index_prefix": settings.index_prefix + "life"})
    es = make_es(s)
    ensure_indices(es, s)
    for i in range(3):
        es.index(
            index=s.dispatch_alias,
            id=f"g{i}",
            document={"guid": f"g{i}", "version": i + 2, "headline": f"h{i}"},
            version=i + 2,
            version_type="external_gte",
        )
    es.indices.refresh(index=s.dispatch_alias)
    yield s, es
    made = dict(es.indices.get(index=f"{s.index_prefix}-*", allow_no_indices=True))
    if made:
        es.indices.delete(index=",".join(made))  # by name: wildcards may be refused
    es.close()


def test_migrate_copies_with_versions_and_moves_the_alias(
    fresh: tuple[Settings, Elasticsearch],
) -> None:
    s, es = fresh
    done = migrate(es, s, s.dispatch_alias, replicas=0)
    assert (done.source, done.target, done.copied) == (
        [f"{s.dispatch_alias}-000001"],
        f"{s.dispatch_alias}-000002",
        3,
    )
    state = alias_state(es, s.dispatch_alias)
    assert state.indices == {f"{s.dispatch_alias}-000002": True}
    assert es.get(index=f"{s.dispatch_alias}-000002", id="g2")["_version"] == 4
    assert es.indices.exists(index=f"{s.dispatch_alias}-000001")  # kept unless --delete-old
    # writes through the alias land in the new index, still guarded by version
    es.index(
        index=s.dispatch_alias,
        id="g3",
        document={"guid": "g3"},
        version=1,
        version_type="external_gte",
    )
    assert es.get(index=f"{s.dispatch_alias}-000002", id="g3")["found"]
    again = migrate(es, s, s.dispatch_alias, delete_old=True)
    assert again.target == f"{s.dispatch_alias}-000003" and again.copied == 4
    assert not es.indices.exists(index=f"{s.dispatch_alias}-000002")


def test_rollover_reports_and_is_held_back(fresh: tuple[Settings, Elasticsearch]) -> None:
    s, es = fresh
    due = rollover_conditions(None, 1, None)
    report = rollover(es, s, due, dry_run=True)
    assert [(r.alias, r.new_index, r.rolled_over) for r in report] == [
        (s.dispatch_alias, f"{s.dispatch_alias}-000002", False),
        (s.event_alias, f"{s.event_alias}-000002", False),
    ]
    assert all(r.conditions == {"[max_docs: 1]": True} for r in report)
    with pytest.raises(PermissionError, match="held back"):
        rollover(es, s, due, dry_run=False)
    assert list(alias_state(es, s.dispatch_alias).indices) == [f"{s.dispatch_alias}-000001"]
    not_due = rollover(es, s, rollover_conditions(None, 1000, None), dry_run=False)
    assert not any(r.rolled_over or any(r.conditions.values()) for r in not_due)
