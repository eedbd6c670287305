"""The stack manager's promises: idempotent `up`, a clear error when a port is taken."""

from __future__ import annotations

import socket

import pytest

from pipeline import stack
from pipeline.settings import Settings
from tests.integration.conftest import EXTERNAL, free_port

pytestmark = pytest.mark.integration


@pytest.mark.skipif(EXTERNAL, reason="only for the local stack")
def test_up_twice_is_a_no_op(settings: Settings) -> None:
    assert stack.up(settings).startswith("stack already running")
    assert stack.status(settings) == {"kafka": True, "elasticsearch": True}


def test_port_taken_by_something_else_is_a_one_line_error(tmp_path: object) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        s = Settings(
            kafka_bootstrap=f"127.0.0.1:{port}",
            es_url=f"http://127.0.0.1:{free_port()}",
            stack_dir=tmp_path,
        )  # type: ignore[arg-type]
        with pytest.raises(
            stack.StackError, match=f"port {port} \\(kafka\\) is taken by another process"
        ):
            stack.up(s, timeout=5)


def test_workers_starting_together_prepare_the_same_indices(settings: Settings) -> None:
    """Two workers of a fresh deployment race to create topics, templates and indices."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.kafka.bootstrap import prepare_infrastructure
    from pipeline.store.client import make_es

    fresh = settings.model_copy(
        update={
            "index_prefix": settings.index_prefix + "race",
            "topic_prefix": settings.topic_prefix + "race",
        }
    )
    with ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(prepare_infrastructure, fresh) for _ in range(4)]:
            f.result()  # none of them fails
    es = make_es(fresh)
    try:
        for alias in (fresh.dispatch_alias, fresh.event_alias):
            assert list(es.indices.get_alias(name=alias)) == [f"{alias}-000001"]
        assert es.indices.exists(index=fresh.saved_search_index)
    finally:
        es.close()
