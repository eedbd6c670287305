"""The stack manager's promises: idempotent `up`, a clear error when a port is taken."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import stack
from pipeline.settings import Settings
from tests.helpers import ROOT, SEED
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


def test_topics_get_their_settings_and_defaults_are_brought_onto_existing_ones(
    settings: Settings,
) -> None:
    """prepare_infrastructure creates topics with retention, compaction and size limits
    (pipeline.kafka.topics) and, on a later start, sets a key that was left at a default."""
    from kafka import KafkaAdminClient
    from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType

    from pipeline.kafka.client import client_kwargs, ensure_topics
    from pipeline.kafka.topics import changelog_topic, topic_configs

    fresh = settings.model_copy(
        update={
            "topic_prefix": settings.topic_prefix + "cfg",
            "consumer_group": settings.consumer_group + "-cfg",
        }
    )
    names = [fresh.alerts_topic, changelog_topic(fresh)]
    ensure_topics(fresh, names)
    admin = KafkaAdminClient(**client_kwargs(fresh))
    try:

        def current(name: str) -> dict[str, str]:
            got = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name)], config_filter="all"
            )
            return {k: v["value"] for k, v in got["topic"][name].items()}

        wanted = topic_configs(fresh)
        for name in (fresh.raw_topic, fresh.dlq_topic, changelog_topic(fresh)):
            assert wanted[name].items() <= current(name).items()
        dlq = ConfigResource(
            ConfigResourceType.TOPIC,
            fresh.dlq_topic,
            {"retention.ms": (AlterConfigOp.DELETE, None)},
        )
        admin.alter_configs([dlq], raise_on_unknown=False)
        assert current(fresh.dlq_topic)["retention.ms"] != wanted[fresh.dlq_topic]["retention.ms"]
        ensure_topics(fresh, names)  # the next start
        assert current(fresh.dlq_topic)["retention.ms"] == wanted[fresh.dlq_topic]["retention.ms"]
    finally:
        admin.close()


@pytest.mark.skipif(EXTERNAL, reason="only for the local stack")
def test_a_paused_stack_is_named_and_every_command_says_so_in_one_line(tmp_path: Path) -> None:
    """The stack's own node stopped by SIGSTOP (hung): `wire stack up` names it (not
    'another process'), `wire search` and `wire ingest` answer in one line within seconds,
    `wire stack down` resumes and stops it."""
    env = {
        "WIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "WIRE_ES_URL": f"http://127.0.0.1:{free_port()}",
        "WIRE_STACK_DIR": str(tmp_path / "stack"),
        "WIRE_TOPIC_PREFIX": "paused",
        "WIRE_INDEX_PREFIX": "paused",
    }
    s = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]

    def wire(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=ROOT,
            env=os.environ | env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done, time.monotonic() - t0

    stack.up(s)
    pid = stack.own_process(s)
    assert pid is not None
    try:
        os.kill(pid, signal.SIGSTOP)
        up, took = wire("stack", "up")
        assert up.returncode == 1 and took < 20, (took, up.stderr)
        assert f"the local stack's own noida-db (pid {pid}, paused" in up.stderr
        assert "another process" not in up.stderr

        found, took = wire("search", "Rivian")
        assert found.returncode == 3 and took < 20, (took, found.stderr)
        lines = found.stderr.strip().splitlines()
        assert len(lines) == 1 and "search unavailable" in lines[0], found.stderr

        ingest, took = wire("ingest", str(SEED))
        assert ingest.returncode == 3 and took < 20, (took, ingest.stderr)
        assert "cannot reach Kafka" in ingest.stderr and "Traceback" not in ingest.stderr

        down, _ = wire("stack", "down")
        assert down.returncode == 0 and "stack down" in down.stdout, down.stdout + down.stderr
        assert stack.own_process(s) is None
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
