"""The local Kafka + Elasticsearch stack (noida-db), for development, demo and tests.

Production points WIRE_KAFKA_BOOTSTRAP / WIRE_ES_URL at real clusters and never
calls this module.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline.settings import Settings


class StackError(RuntimeError):
    """One line a user can act on."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    port: int


def endpoints(settings: Settings) -> tuple[Endpoint, Endpoint]:
    host, port = settings.kafka_hosts[0].rsplit(":", 1)
    es_host, es_port = settings.es_host_port
    return Endpoint("kafka", host, int(port)), Endpoint("elasticsearch", es_host, es_port)


def port_open(ep: Endpoint, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((ep.host, ep.port), timeout=timeout):
            return True
    except OSError:
        return False


def es_answers(settings: Settings) -> bool:
    try:
        r = httpx.get(settings.es_url, timeout=2.0)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and "version" in r.text


def kafka_answers(settings: Settings) -> bool:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from pipeline.kafka.client import client_kwargs

    try:
        admin = KafkaAdminClient(request_timeout_ms=3000, **client_kwargs(settings))
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def binary() -> str:
    found = shutil.which("noida-db") or str(Path(sys.executable).parent / "noida-db")
    if not Path(found).exists():
        raise StackError(
            "noida-db is not installed: run `pip install -e .` (it pins noida-db==0.2.3)"
        )
    return found


def status(settings: Settings) -> dict[str, bool]:
    return {"kafka": kafka_answers(settings), "elasticsearch": es_answers(settings)}


def up(settings: Settings, timeout: float = 30.0) -> str:
    """Start the stack unless it already answers. Idempotent."""
    kafka, es = endpoints(settings)
    st = status(settings)
    if all(st.values()):
        return f"stack already running: kafka {kafka.host}:{kafka.port}, elasticsearch {settings.es_url}"
    for ep, ok in ((kafka, st["kafka"]), (es, st["elasticsearch"])):
        if not ok and port_open(ep):
            raise StackError(
                f"port {ep.port} ({ep.name}) is taken by another process that is not {ep.name}; "
                f"stop it or choose another port (WIRE_KAFKA_BOOTSTRAP / WIRE_ES_URL)"
            )
    data_dir = settings.stack_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        binary(),
        "up",
        "--only",
        "kafka,elasticsearch",
        "--kafka-port",
        str(kafka.port),
        "--elasticsearch-port",
        str(es.port),
        "--data-dir",
        str(data_dir),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StackError(f"noida-db failed to start ({proc.returncode}): {tail[0]}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(status(settings).values()):
            return f"stack up: kafka {kafka.host}:{kafka.port}, elasticsearch {settings.es_url} (data in {data_dir})"
        time.sleep(0.3)
    raise StackError(f"stack did not answer within {timeout:.0f}s; see {data_dir}/noida.log")


def down(settings: Settings) -> str:
    data_dir = settings.stack_dir.resolve()
    if not data_dir.exists():
        return "stack not running (no data dir)"
    proc = subprocess.run(
        [binary(), "down", "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        raise StackError(f"noida-db down failed: {(proc.stderr or proc.stdout).strip()[-200:]}")
    return "stack down"
