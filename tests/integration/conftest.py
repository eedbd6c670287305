"""A real Kafka + Elasticsearch for the session, and a real pipeline worker.

By default the project's own stack manager starts noida-db on free ports in a
temporary folder. With WIRE_TEST_EXTERNAL=1 the tests use the WIRE_KAFKA_BOOTSTRAP
/ WIRE_ES_URL of the environment instead (real clusters), unchanged. Every session
uses its own topic prefix, index prefix and consumer group.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from pipeline import stack
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from pipeline.store.client import make_es
from tests.helpers import ROOT

EXTERNAL = os.environ.get("WIRE_TEST_EXTERNAL") == "1"
# The API under test enforces keys, as a deployment with WIRE_API_KEYS does.
API_KEYS = {"test-admin": "admin", "test-reader": "read", "test-subscriber": "read+subscribe"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def wire_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    env = {
        "WIRE_TOPIC_PREFIX": f"test{run}",
        "WIRE_INDEX_PREFIX": f"test{run}",
        "WIRE_CONSUMER_GROUP": f"wirestream-test-{run}",
        "WIRE_WORKER_WEB_PORT": str(free_port()),
        "WIRE_RAW_PARTITIONS": "2",
        "WIRE_SAVED_SEARCH_REFRESH_S": "0.5",
        "WIRE_API_PORT": str(free_port()),
        "WIRE_API_KEYS": ",".join(f"{k}:{v}" for k, v in API_KEYS.items()),
    }
    if not EXTERNAL:
        env |= {
            "WIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "WIRE_ES_URL": f"http://127.0.0.1:{free_port()}",
            "WIRE_STACK_DIR": str(tmp_path_factory.mktemp("stack")),
        }
    env["WIRE_WORKER_DATADIR"] = str(tmp_path_factory.mktemp("faust"))
    return env


@pytest.fixture(scope="session")
def settings(wire_env: dict[str, str]) -> Iterator[Settings]:
    s = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in wire_env.items()})  # type: ignore[arg-type]
    if not EXTERNAL:
        print(stack.up(s))
    yield s
    if not EXTERNAL:
        stack.down(s)


@pytest.fixture(scope="session")
def es(settings: Settings) -> Iterator[Elasticsearch]:
    client = make_es(settings)
    yield client
    client.close()


@pytest.fixture(scope="session")
def run_wire(wire_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=ROOT,
            env=os.environ | wire_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@contextmanager
def wire_process(
    args: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool], what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`wire ARGS` as its own process, logging to `log`; waits for `ready`, stops it after."""
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=ROOT,
            env=os.environ | env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def run_worker(env: dict[str, str], log: Path, settings: Settings) -> Iterator[Path]:
    """`wire worker` with this environment until the block ends (SIGTERM)."""
    es = make_es(settings)

    def serving() -> bool:
        """Indices prepared, models loaded, Faust running: its web page answers."""
        import httpx

        if not es.indices.exists_alias(name=settings.dispatch_alias):
            return False
        try:
            url = f"http://127.0.0.1:{settings.worker_web_port}/metrics"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        with wire_process(["worker", "--loglevel", "warning"], env, log, serving, "worker") as proc:
            time.sleep(2)
            if proc.poll() is not None:
                raise RuntimeError(
                    f"worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                )
            yield log
            if proc.poll() is not None:
                raise RuntimeError(f"worker died during the session:\n{log.read_text()[-3000:]}")
    finally:
        es.close()


def own_pipeline(
    wire_env: dict[str, str], tmp_path: Path, name: str
) -> tuple[dict[str, str], Settings]:
    """A pipeline of its own on the session's stack (topics, index, group, worker port and
    datadir), prepared as a worker prepares it: for tests that stop and start their own
    worker, or that must hold state the session's worker never saw."""
    from pipeline.kafka.bootstrap import prepare_infrastructure

    tag = wire_env["WIRE_TOPIC_PREFIX"] + name
    env = wire_env | {
        "WIRE_TOPIC_PREFIX": tag,
        "WIRE_INDEX_PREFIX": tag,
        "WIRE_CONSUMER_GROUP": f"wirestream-{tag}",
        "WIRE_WORKER_WEB_PORT": str(free_port()),
        "WIRE_WORKER_DATADIR": str(tmp_path / "faust"),
    }
    own = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
    prepare_infrastructure(own)
    return env, own


def wire_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`wire ARGS` with this environment, to completion."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="session")
def worker(
    settings: Settings, wire_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    with run_worker(wire_env, tmp_path_factory.mktemp("worker") / "worker.log", settings) as log:
        yield log


@pytest.fixture(scope="session")
def api(
    settings: Settings, wire_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`wire serve` as its own process; yields its base URL."""
    import httpx

    base = f"http://127.0.0.1:{settings.api_port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    log = tmp_path_factory.mktemp("api") / "api.log"
    with wire_process(["serve"], wire_env, log, answers, "API"):
        yield base


def wait_for(check: Callable[[], object], timeout: float = 90, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def metric(settings: Settings, name: str) -> float:
    """One sample from the worker's /metrics page, e.g. 'wire_dispatches_total{outcome="duplicate"}'."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{settings.worker_web_port}/metrics", timeout=5).text
    return next(
        (float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.split(" ")[0] == name),
        0.0,
    )


def read_topic(
    settings: Settings, topic: str, want: Callable[[list[bytes]], bool], timeout: float = 60
) -> list[bytes]:
    """Every record of `topic` from the start, read until `want` holds for them."""
    consumer = KafkaConsumer(
        topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
        **client_kwargs(settings),
    )
    seen: list[bytes] = []
    try:
        wait_for(
            lambda: seen.extend(m.value for m in consumer) or want(seen),
            timeout,
            f"records on {topic}",
        )
    finally:
        consumer.close()
    return seen
