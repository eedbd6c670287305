"""The fault suite: the pipeline on the real local stack, through crashes and outages.

    python -m bench.faults [--count 120] [--deadline 240] [--only NAME ...]   (make faults)

Each scenario starts its own private stack (noida-db on free ports, a temporary folder),
real `wire worker` processes and `wire ingest` of a generated corpus (bench.corpus),
injects its fault, then checks, within a deadline:

- every dispatch is searchable exactly once (one document per guid, nothing else);
- every event in the index was published on its event topic at least once;
- whatever the scenario adds (a SIGTERM obeyed within 15 s, readiness on /metrics, the
  poison record in the dead-letter topic with its reason, no dead-letter flood).

Scenarios: worker kill -9 and restart; a worker added mid-stream; node (broker + search)
kill -9 and restart with the worker running; node paused (SIGSTOP) 60 s; SIGTERM while
joining, fetching, writing and with the node down; a poison record; a search node
answering 429 for a while (a small local proxy in front of it). Too slow for CI (about
15 minutes on 2 cores); figures in README.md. Ends with
"faults survived N/N, lost L, duplicated D".
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
from kafka import KafkaConsumer, KafkaProducer

from bench.corpus import generate
from bench.harness import ROOT, free_port, stack_pids
from pipeline import stack
from pipeline.extract.events.types import EVENT_TYPES
from pipeline.kafka.client import client_kwargs
from pipeline.kafka.dlq import read_dead_letters
from pipeline.settings import Settings
from pipeline.store.client import make_es

SIGTERM_LIMIT_S = 15.0


# ---------------------------------------------------------------- the world of one scenario
@dataclass
class Proc:
    proc: subprocess.Popen[bytes]
    log: Path
    port: int

    def metric(self, name: str) -> float | None:
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=3).text
        except httpx.HTTPError:
            return None
        for line in text.splitlines():
            if line.split(" ")[0] == name:
                return float(line.rsplit(" ", 1)[1])
        return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 2500) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@dataclass
class World:
    settings: Settings
    env: dict[str, str]
    tmp: Path
    corpus: Path
    guids: list[str]
    workers: list[Proc] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # ---- processes
    def worker(self, port: int | None = None, extra: dict[str, str] | None = None) -> Proc:
        port = port or free_port()
        log = self.tmp / f"worker-{len(self.workers)}-{port}.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "worker", "--web-port", str(port)],
                cwd=ROOT,
                env=os.environ | self.env | (extra or {}),
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        w = Proc(proc, log, port)
        self.workers.append(w)
        return w

    def wait_ready(self, w: Proc, timeout: float = 180) -> float:
        """Seconds until the worker shows wire_worker_ready 1."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if not w.alive():
                raise AssertionError(f"worker exited ({w.proc.returncode}):\n{w.tail()}")
            if w.metric("wire_worker_ready") == 1:
                return time.monotonic() - t0
            time.sleep(1)
        raise AssertionError(f"worker not ready after {timeout:.0f} s:\n{w.tail()}")

    def ingest(self) -> None:
        r = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "ingest", str(self.corpus)],
            cwd=ROOT,
            env=os.environ | self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if r.returncode != 0:
            raise AssertionError(f"wire ingest exited {r.returncode}: {r.stderr[-1500:]}")

    def node_pids(self) -> list[int]:
        return stack_pids(self.settings)

    def node_signal(self, sig: signal.Signals) -> None:
        pids = self.node_pids()
        assert pids, "no local node process found"
        for pid in pids:
            os.kill(pid, sig)

    def node_up(self) -> None:
        stack.up(self.settings, timeout=60)

    # ---- what the pipeline made of it
    def indexed(self) -> list[str]:
        es = make_es(self.settings)
        try:
            es.indices.refresh(index=self.settings.dispatch_alias)
            resp = es.search(
                index=self.settings.dispatch_alias,
                query={"match_all": {}},
                size=len(self.guids) + 200,
                source=False,
            )
            return [h["_id"] for h in resp["hits"]["hits"]]
        except Exception:
            return []
        finally:
            es.close()

    def wait_all(self, deadline: float) -> float:
        """Seconds until every guid is searchable; raises after `deadline`."""
        want = set(self.guids)
        t0 = time.monotonic()
        got: set[str] = set()
        while time.monotonic() - t0 < deadline:
            got = set(self.indexed())
            if want <= got:
                return time.monotonic() - t0
            time.sleep(3)
        raise AssertionError(
            f"{len(want - got)}/{len(want)} dispatches not searchable after {deadline:.0f} s"
        )

    def settle(self, deadline: float) -> tuple[int, int, str]:
        """`check` until nothing is missing, for up to `deadline` seconds (events of a
        replayed batch are sent after its dispatches are searchable)."""
        t0 = time.monotonic()
        while True:
            lost, duplicated, summary = self.check()
            if lost == 0 or time.monotonic() - t0 > deadline:
                return lost, duplicated, summary
            time.sleep(5)

    def check(self) -> tuple[int, int, str]:
        """(lost, duplicated, summary) over the index and the event topics."""
        ids = self.indexed()
        want = set(self.guids)
        lost = len(want - set(ids))
        duplicated = len(ids) - len(set(ids)) + len(set(ids) - want)
        indexed_events = self.indexed_event_ids()
        published = self.published_event_ids()
        unpublished = indexed_events - set(published)
        resent = len(published) - len(set(published))
        return (
            lost + len(unpublished),
            duplicated,
            f"{len(set(ids) & want)}/{len(want)} searchable once, {len(indexed_events)} events "
            f"indexed, {len(unpublished)} never published, {resent} re-sent",
        )

    def indexed_event_ids(self) -> set[str]:
        es = make_es(self.settings)
        try:
            es.indices.refresh(index=self.settings.event_alias)
            resp = es.search(
                index=self.settings.event_alias, query={"match_all": {}}, size=10000, source=False
            )
            return {h["_id"] for h in resp["hits"]["hits"]}
        finally:
            es.close()

    def published_event_ids(self) -> list[str]:
        topics = [self.settings.event_topic(t) for t in EVENT_TYPES]
        consumer = KafkaConsumer(
            *topics,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=4000,
            **client_kwargs(self.settings),
        )
        out = []
        try:
            for record in consumer:
                value = orjson.loads(record.value)
                if value.get("kind") != "retraction" and "id" in value:
                    out.append(value["id"])
        finally:
            consumer.close()
        return out


@contextmanager
def world(count: int, seed: int, partitions: int = 4) -> Iterator[World]:
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="wire-faults-") as tmp_s:
        tmp = Path(tmp_s)
        env = {
            "WIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "WIRE_ES_URL": f"http://127.0.0.1:{free_port()}",
            "WIRE_STACK_DIR": str(tmp / "stack"),
            "WIRE_WORKER_DATADIR": str(tmp / "worker"),
            "WIRE_TOPIC_PREFIX": f"faults{run}",
            "WIRE_INDEX_PREFIX": f"faults{run}",
            "WIRE_CONSUMER_GROUP": f"wirestream-faults-{run}",
            "WIRE_RAW_PARTITIONS": str(partitions),
        }
        settings = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        corpus = tmp / "corpus"
        corpus.mkdir()
        from connectors.registry import parse_document

        guids = []
        for g in generate(count, seed):
            (corpus / g.name).write_text(g.text)
            [d] = parse_document(
                g.text.encode(), source=g.name, received_at=_now(), max_bytes=10_000_000
            ).dispatches
            guids.append(d.guid)
        stack.up(settings)
        w = World(settings, env, tmp, corpus, guids)
        try:
            yield w
        finally:
            for p in w.workers:
                if p.alive():
                    p.proc.kill()
                    p.proc.wait(10)
            with suppress(Exception):
                for pid in w.node_pids():
                    os.kill(pid, signal.SIGCONT)
            with suppress(Exception):
                stack.down(settings)
            for pid in w.node_pids():  # a node that would not go down
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _now() -> datetime:
    return datetime.now(UTC)


def sigterm(w: Proc) -> float:
    """SIGTERM the worker; seconds until it exited (inf if it did not within 20 s)."""
    t0 = time.monotonic()
    w.proc.send_signal(signal.SIGTERM)
    try:
        w.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        w.proc.kill()
        w.proc.wait(10)
        return float("inf")
    return time.monotonic() - t0


def expect_exit(w: Proc, state: str) -> str:
    took = sigterm(w)
    if took > SIGTERM_LIMIT_S:
        raise AssertionError(
            f"SIGTERM while {state}: still running after {SIGTERM_LIMIT_S:.0f} s\n{w.tail()}"
        )
    return f"SIGTERM while {state}: exited in {took:.1f} s"


# ---------------------------------------------------------------------------- scenarios
Scenario = Callable[[World, float], str]


def worker_kill9(w: World, deadline: float) -> str:
    """kill -9 the worker mid-stream; a new one (same port: same member id) takes over."""
    a = w.worker()
    w.wait_ready(a)
    w.ingest()
    time.sleep(5)
    a.proc.kill()
    a.proc.wait()
    time.sleep(1)
    b = w.worker(port=a.port)
    ready = w.wait_ready(b, timeout=60)
    took = w.wait_all(deadline)
    return f"new worker ready in {ready:.0f} s, all searchable {took:.0f} s after the kill"


def worker_kill9_new_port(w: World, deadline: float) -> str:
    """kill -9 the worker mid-stream; the one started next has another port (another
    member id): the dead member must not hold the group."""
    a = w.worker()
    w.wait_ready(a)
    w.ingest()
    time.sleep(5)
    a.proc.kill()
    a.proc.wait()
    b = w.worker()
    ready = w.wait_ready(b, timeout=deadline)
    took = w.wait_all(deadline)
    return f"new worker (other id) ready in {ready:.0f} s, all searchable in {took:.0f} s"


def worker_added(w: World, deadline: float) -> str:
    """A second worker joins a group that is busy committing; it gets partitions."""
    a = w.worker()
    w.wait_ready(a)
    w.ingest()
    time.sleep(3)
    b = w.worker()
    t0 = time.monotonic()
    ready = w.wait_ready(b, timeout=90)
    if ready > 60:
        raise AssertionError(f"the added worker got partitions only after {ready:.0f} s")
    took = w.wait_all(deadline)
    shares = (a.metric("wire_worker_partitions"), b.metric("wire_worker_partitions"))
    return (
        f"added worker got partitions in {ready:.0f} s (split {shares[0]:.0f}+{shares[1]:.0f}), "
        f"all searchable {time.monotonic() - t0:.0f} s after it started ({took:.0f} s wait)"
    )


def node_kill9(w: World, deadline: float) -> str:
    """kill -9 the broker + search node mid-stream, start it again 8 s later; the worker
    that stayed up resumes by itself."""
    a = w.worker()
    w.wait_ready(a)
    w.ingest()
    time.sleep(4)
    w.node_signal(signal.SIGKILL)
    time.sleep(3)
    ready_down = a.metric("wire_worker_ready")
    time.sleep(5)
    w.node_up()
    took = w.wait_all(deadline)
    if ready_down != 0:
        raise AssertionError(f"/metrics showed wire_worker_ready {ready_down} with the node down")
    return f"not ready while down; all searchable {took:.0f} s after the restart"


def node_pause(w: World, deadline: float, pause_s: float = 60.0) -> str:
    """SIGSTOP the node for 60 s mid-stream; the worker waits, shows not-ready, resumes."""
    a = w.worker()
    w.wait_ready(a)
    w.ingest()
    time.sleep(4)
    w.node_signal(signal.SIGSTOP)
    time.sleep(pause_s / 2)
    ready_paused = a.metric("wire_worker_ready")
    time.sleep(pause_s / 2)
    w.node_signal(signal.SIGCONT)
    took = w.wait_all(deadline)
    if not a.alive():
        raise AssertionError(f"the worker died during the pause:\n{a.tail()}")
    if ready_paused != 0:
        raise AssertionError(f"/metrics showed wire_worker_ready {ready_paused} during the pause")
    return f"not ready while paused; all searchable {took:.0f} s after SIGCONT"


def sigterm_states(w: World, deadline: float) -> str:
    """SIGTERM within 15 s while fetching (idle), writing, joining, and with the node down;
    the records of a worker stopped mid-batch are not lost."""
    lines = []
    a = w.worker()
    w.wait_ready(a)
    lines.append(expect_exit(a, "fetching (idle)"))
    b = w.worker(port=a.port)
    w.wait_ready(b)
    w.ingest()
    time.sleep(6)
    lines.append(expect_exit(b, "writing"))
    # joining: a member killed outright stays in the group until evicted; a worker with
    # another member id joining meanwhile waits in its join (noida-db waits for good)
    c = w.worker(port=b.port)
    w.wait_ready(c)
    c.proc.kill()
    c.proc.wait()
    d = w.worker()
    time.sleep(25)  # models loaded, Faust started, in the join
    joined = d.metric("wire_worker_partitions")
    lines.append(expect_exit(d, f"joining (partitions {joined})"))
    e = w.worker(port=c.port)  # replaces the dead member: the group resumes
    w.wait_ready(e)
    w.wait_all(deadline)
    w.node_signal(signal.SIGKILL)
    time.sleep(3)
    lines.append(expect_exit(e, "the node down"))
    w.node_up()
    return "; ".join(lines)


def poison(w: World, deadline: float) -> str:
    """Records the worker cannot take go to the dead-letter topic with a reason; the
    rest flows on."""
    a = w.worker()
    w.wait_ready(a)
    producer = KafkaProducer(**client_kwargs(w.settings))
    from connectors.registry import parse_document

    [valid] = parse_document(
        next(iter(sorted(w.corpus.iterdir()))).read_bytes(),
        source="poison",
        received_at=_now(),
        max_bytes=1_000_000,
    ).dispatches
    # a valid Dispatch (a guid of at most 512 characters) the search node refuses: an _id
    # over its 512-*byte* limit; its text changed too, not a copy of the corpus dispatch
    refused = valid.model_copy(
        update={"guid": "urn:poison:" + "é" * 300, "body": [*valid.body, "Poison."]}
    )
    bad = {
        b"poison-not-json": b"\xff\xfe not json at all",
        b"poison-not-a-dispatch": orjson.dumps({"guid": "x", "version": "not a number"}),
        b"poison-id-too-long": orjson.dumps(refused.model_dump(mode="json")),
    }
    for key, value in bad.items():
        producer.send(w.settings.raw_topic, key=key, value=value)
    producer.flush()
    producer.close()
    w.ingest()
    took = w.wait_all(deadline)
    letters = read_dead_letters(w.settings)
    reasons = [dl for dl in letters if dl.stage in ("validate", "normalise", "index")]
    if len(reasons) < len(bad):
        raise AssertionError(f"{len(reasons)} dead letter(s) for {len(bad)} poison records")
    flood = len(letters) - len(bad)
    if flood:
        raise AssertionError(f"{flood} dead letters besides the poison records")
    why = "; ".join(f"{dl.stage}: {dl.error[:60]}" for dl in reasons)
    return f"{len(reasons)} dead letters ({why}); the rest searchable in {took:.0f} s"


class Refusing(ThreadingHTTPServer):
    """A local HTTP proxy in front of the search node that answers 429 while `refuse`."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.refuse = threading.Event()
        self.refused = 0
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Refusing

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.server.refuse.is_set():
            self.server.refused += 1
            payload = (
                b'{"error":{"type":"es_rejected_execution_exception","reason":"busy"},"status":429}'
            )
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.end_headers()
            self.wfile.write(payload)
            return
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any


def search_429(w: World, deadline: float, refuse_s: float = 40.0) -> str:
    """The search node answers 429 for 40 s mid-stream: the worker backs off and retries;
    no dead letter, nothing lost."""
    host, port = w.settings.es_host_port
    proxy = Refusing((host, port))
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        a = w.worker(extra={"WIRE_ES_URL": f"http://127.0.0.1:{proxy.server_address[1]}"})
        w.wait_ready(a)
        w.ingest()
        time.sleep(4)
        proxy.refuse.set()
        time.sleep(refuse_s / 2)
        ready_refused = a.metric("wire_worker_ready")
        time.sleep(refuse_s / 2)
        proxy.refuse.clear()
        took = w.wait_all(deadline)
        retries = sum(
            a.metric(f'wire_retries_total{{stage="{s}"}}') or 0 for s in ("lookup", "index")
        )
        letters = read_dead_letters(w.settings)
        if letters:
            raise AssertionError(
                f"{len(letters)} dead letter(s) during the 429s: {letters[0].error}"
            )
        if ready_refused != 0:
            raise AssertionError(f"/metrics showed wire_worker_ready {ready_refused} while refused")
        return (
            f"{proxy.refused} requests refused, {retries:.0f} retried, 0 dead letters; "
            f"all searchable {took:.0f} s after the 429s stopped"
        )
    finally:
        proxy.shutdown()


SCENARIOS: dict[str, Scenario] = {
    "worker-kill9": worker_kill9,
    "worker-kill9-new-id": worker_kill9_new_port,
    "worker-added": worker_added,
    "node-kill9": node_kill9,
    "node-pause-60s": node_pause,
    "sigterm": sigterm_states,
    "poison": poison,
    "search-429": search_429,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=120, help="dispatches per scenario")
    parser.add_argument("--deadline", type=float, default=240, help="seconds to be searchable")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=None)
    parser.add_argument("--keep-logs", type=Path, default=None, help="copy worker logs here")
    args = parser.parse_args()
    names = args.only or list(SCENARIOS)
    survived = lost_total = dup_total = 0
    for name in names:
        t0 = time.monotonic()
        print(f"[{name}] …", flush=True)
        with world(args.count, seed=100 + list(SCENARIOS).index(name)) as w:  # same with --only
            try:
                detail = SCENARIOS[name](w, args.deadline)
                lost, dup, summary = w.settle(args.deadline / 2)
                ok = lost == 0 and dup == 0
                detail = f"{detail}; {summary}"
            except Exception as exc:
                for p in w.workers:  # where each live worker is stuck: Faust dumps its tasks
                    if p.alive():
                        p.proc.send_signal(signal.SIGUSR1)
                time.sleep(3)
                try:
                    lost, dup, summary = w.check()
                except Exception:  # the node itself is down
                    lost, dup = len(w.guids), 0
                ok, detail = False, f"FAILED: {exc}"
                for p in w.workers[-2:]:
                    print(f"--- {p.log.name} (tail)\n{p.tail(3000)}", flush=True)
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for p in w.workers:
                    (args.keep_logs / f"{name}-{p.log.name}").write_bytes(p.log.read_bytes())
        survived += ok
        lost_total += lost
        dup_total += dup
        verdict = "ok" if ok else "FAILED"
        print(f"[{name}] {verdict} in {time.monotonic() - t0:.0f} s: {detail}", flush=True)
    print(
        f"faults survived {survived}/{len(names)}, lost {lost_total}, duplicated {dup_total}",
        flush=True,
    )
    raise SystemExit(0 if survived == len(names) else 1)


if __name__ == "__main__":
    main()
