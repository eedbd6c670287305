"""Limits as one story on a real broker (pipeline.limits): a multi-MiB dispatch gets
through, anything over the limit is a dead letter with its true size on every path, and
the worker says on /metrics that it is ready. (Crashes and outages: `make faults`.)"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from kafka.admin import ConfigResource, KafkaAdminClient

from pipeline.http.app import create_app
from pipeline.kafka.client import client_kwargs
from pipeline.kafka.publisher import Publisher
from pipeline.limits import Limits
from pipeline.settings import Settings
from schemas import DeadLetter
from tests.integration.conftest import read_topic, wait_for

Wire = Callable[..., subprocess.CompletedProcess[str]]


def _plain(size: int) -> bytes:
    para = (
        "La start-up Mistral AI a levé 600 millions d'euros auprès de fonds américains, "
        "a-t-elle annoncé lundi, une opération qui la valorise à six milliards d'euros. "
    )
    body = "\n\n".join(para * 8 for _ in range(size // (len(para) * 8) + 1))
    return f"Paris, 24 nov 2026 (AFP) - {body}\n\nafp/rp".encode()


def _letters(settings: Settings, want: Callable[[list[DeadLetter]], bool]) -> list[DeadLetter]:
    return [
        DeadLetter.model_validate_json(r)
        for r in read_topic(
            settings,
            settings.dlq_topic,
            lambda records: want([DeadLetter.model_validate_json(r) for r in records]),
        )
    ]


def test_a_2_mib_dispatch_gets_through_the_broker(settings: Settings) -> None:
    """What MessageSizeTooLargeError used to refuse (on topics of their own, so that the
    session's worker and search node are not handed a 2 MiB text)."""
    scratch = settings.model_copy(update={"topic_prefix": f"limits{uuid.uuid4().hex[:6]}"})
    data = _plain(2_200_000)
    with Publisher(scratch, "test") as pub:
        out = pub.publish(data, "big-dispatch.txt")
    assert out.refused is None and len(out.guids) == 1
    admin = KafkaAdminClient(**client_kwargs(settings))
    try:
        configs = admin.describe_configs(
            [ConfigResource("TOPIC", scratch.raw_topic, ["max.message.bytes"])],
            config_filter="all",
        )["topic"][scratch.raw_topic]
    finally:
        admin.close()
    want = Limits(settings.max_document_bytes).request_bytes
    assert int(configs["max.message.bytes"]["value"]) == want


def test_over_the_limit_is_a_dead_letter_with_its_size_on_every_path(
    run_wire: Wire, settings: Settings, tmp_path: Path
) -> None:
    limit = settings.max_document_bytes
    big = tmp_path / "too-big.txt"
    big.write_bytes(_plain(limit + 500_000))
    size = big.stat().st_size
    result = run_wire("ingest", str(big))
    assert result.returncode == 2, result.stderr
    assert "over the 5.0 MiB limit (WIRE_MAX_DOCUMENT_BYTES)" in result.stderr

    body = _plain(limit + 300_000)
    with TestClient(create_app(settings.model_copy(update={"api_keys": None}))) as client:
        resp = client.post("/v1/dispatches", content=body)
    assert resp.status_code == 413
    detail = resp.json()
    detail = detail.get("detail", detail)
    assert "over the 5.0 MiB limit" in detail["error"] and len(detail["dead_letter_id"]) == 32

    letters = _letters(
        settings,
        lambda ls: (
            {str(big), detail["dead_letter_id"]} <= {x for dl in ls for x in (dl.source, dl.id)}
        ),
    )
    [from_file] = [dl for dl in letters if dl.source == str(big)]
    assert from_file.payload_size == size and from_file.truncated
    [pushed] = [dl for dl in letters if dl.id == detail["dead_letter_id"]]
    assert pushed.payload_size == len(body) and pushed.stage == "decode"


def test_the_worker_says_it_is_ready(settings: Settings, worker: Path) -> None:
    def metrics() -> dict[str, float]:
        text = httpx.get(f"http://127.0.0.1:{settings.worker_web_port}/metrics", timeout=5).text
        return {
            line.split(" ")[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("wire_")
        }

    got = wait_for(lambda: (m := metrics()).get("wire_worker_ready") == 1 and m, 60, "ready")
    assert isinstance(got, dict)
    assert got['wire_dependency_up{dependency="kafka"}'] == 1
    assert got['wire_dependency_up{dependency="elasticsearch"}'] == 1
    assert got["wire_worker_partitions"] >= 1
