"""The local Kafka + Elasticsearch stack (noida-db), for development, demo and tests.

Production points WIRE_KAFKA_BOOTSTRAP / WIRE_ES_URL at real clusters and never
calls this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
    """The search node answers its root with a version (through WIRE_ES_* TLS and keys)."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    from pipeline.store.client import make_es

    es = make_es(settings, timeout=2.0)
    try:
        return bool(es.info().get("version"))
    except (ApiError, TransportError, ValueError):
        return False
    finally:
        es.close()


def kafka_answers(settings: Settings) -> bool:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from pipeline.kafka.client import client_kwargs

    try:
        admin = KafkaAdminClient(**client_kwargs(settings, timeout=3))
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


def own_process(settings: Settings) -> int | None:
    """The pid of the noida-db this stack's data dir started, while it is alive (its
    control file names it; its command line must name the same data dir)."""
    data_dir = settings.stack_dir.resolve()
    try:
        pid = int(json.loads((data_dir / "noida.control.json").read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    cmdline_file = Path(f"/proc/{pid}/cmdline")
    try:
        if cmdline_file.exists():
            argv = cmdline_file.read_bytes().split(b"\0")
            if not any(b"noida-db" in a for a in argv) or str(data_dir).encode() not in argv:
                return None  # the pid was reused by something else
        else:
            os.kill(pid, 0)
    except OSError:
        return None
    return pid


def process_state(pid: int) -> str:
    """'paused (stopped by a signal)', 'a zombie', or 'running', from /proc when there is one."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "running"
    return {"T": "paused (stopped by a signal)", "t": "paused", "Z": "a zombie"}.get(
        state, "running"
    )


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
            pid = own_process(settings)
            if pid is not None:
                hint = (
                    f"`kill -CONT {pid}` resumes it, or " if "paused" in process_state(pid) else ""
                )
                raise StackError(
                    f"the local stack's own noida-db (pid {pid}, {process_state(pid)}) holds "
                    f"port {ep.port} but {ep.name} does not answer; {hint}"
                    "`wire stack down` stops it, then `wire stack up`"
                )
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


def down(settings: Settings, timeout: float = 15.0) -> str:
    """Stop the stack: a paused one is resumed first (so it saves its data), one that still
    does not answer (hung) is killed after `timeout`."""
    data_dir = settings.stack_dir.resolve()
    if not data_dir.exists():
        return "stack not running (no data dir)"
    pid = own_process(settings)
    if pid is not None and "paused" in process_state(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)
    try:
        proc = subprocess.run(
            [binary(), "down", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        stopped = proc.returncode == 0
        why = (proc.stderr or proc.stdout).strip()[-200:]
    except subprocess.TimeoutExpired:
        stopped, why = False, f"no answer within {timeout:g} s"
    if stopped and (pid is None or _gone(pid, 5)):
        return "stack down"
    if pid is None or own_process(settings) is None:
        if stopped:
            return "stack down"
        raise StackError(f"noida-db down failed: {why}")
    # Ours, alive, and not stopping: it is hung or paused. Data is snapshotted as it goes.
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    if not _gone(pid, 5):
        raise StackError(f"noida-db (pid {pid}) did not stop ({why}) and survived SIGKILL")
    return f"stack down (noida-db pid {pid} did not answer: {why}; killed)"


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        if process_state(pid) == "a zombie":
            return True
        time.sleep(0.1)
    return False
