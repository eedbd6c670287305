"""Many idle SSE subscribers on one API process: its CPU and memory, then how fast one new
record reaches all of them.

    python -m bench.subscribers --counts 100 1000 10000

A private stack and one `wire serve`; N subscribers of /v1/stream/dispatches, each a
plain TCP connection reading its stream (so the client side costs as little as it can);
then a record is sent to the live-feed topic and every subscriber's arrival time is
taken. Targets (issue 18): 10,000 idle subscribers under 10 % of a core per API process,
and a new record delivered to all of them within 1 s (p99).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
from kafka import KafkaProducer

from bench.harness import cpu_seconds, free_port, machine, private_stack
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings

IDLE_SECONDS = 20.0
ROUNDS = 3


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Client:
    """One subscriber: a raw HTTP/1.1 stream, lines scanned for a marker."""

    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.seen: dict[str, float] = {}

    async def open(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /v1/stream/dispatches HTTP/1.1\r\nHost: bench\r\n"
            b"Accept: text/event-stream\r\n\r\n"
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"subscriber refused: {status!r}")
        self.writer = writer
        self.task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            if b"bench-marker-" in line:
                at = time.perf_counter()
                start = line.index(b"bench-marker-")
                self.seen[line[start : start + 45].decode()] = at

    def close(self) -> None:
        if self.task:
            self.task.cancel()
        if self.writer:
            self.writer.close()


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def marker_record() -> tuple[str, bytes]:
    marker = f"bench-marker-{uuid.uuid4().hex}"[:45]
    summary = {"guid": marker, "headline": marker, "version": 1, "pubstatus": "usable"}
    return marker, orjson.dumps(summary)


async def measure(settings: Settings, api_pid: int, port: int, counts: list[int]) -> list[str]:
    clients: list[Client] = []
    rows = []
    producer = KafkaProducer(acks="all", linger_ms=0, **client_kwargs(settings))
    for n in counts:
        while len(clients) < n:
            batch = [Client() for _ in range(min(250, n - len(clients)))]
            await asyncio.gather(*(c.open(port) for c in batch))
            clients.extend(batch)
        await asyncio.sleep(3)  # every stream attached to the shared reader
        c0, t0 = cpu_seconds(api_pid), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)
        idle = (cpu_seconds(api_pid) - c0) / (time.perf_counter() - t0)
        rss = rss_mib(api_pid)
        lat: list[float] = []
        for _ in range(ROUNDS):
            marker, value = marker_record()
            sent = time.perf_counter()
            producer.send(settings.dispatches_topic, key=marker.encode(), value=value)
            producer.flush()
            deadline = sent + 30
            while time.perf_counter() < deadline and sum(marker in c.seen for c in clients) < n:
                await asyncio.sleep(0.02)
            got = sorted(c.seen[marker] - sent for c in clients if marker in c.seen)
            if len(got) < n:
                got += [float("inf")] * (n - len(got))
            lat += got
            await asyncio.sleep(1)
        lat.sort()
        rows.append(
            f"{n:>7,} | {idle * 100:5.1f} % | {rss:6.0f} MiB | {lat[0]:.3f} s | "
            f"{pct(lat, 0.5):.3f} s | {pct(lat, 0.99):.3f} s | {lat[-1]:.3f} s"
        )
        print(rows[-1], flush=True)
    producer.close()
    for c in clients:
        c.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counts", type=int, nargs="+", default=[100, 1000, 10000])
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the API inherits it
    if hard < max(args.counts) + 500:  # each side (this process, the API) holds one fd each
        sys.exit(f"open-file limit {hard} is too low for {max(args.counts)} subscribers")
    print(machine())
    with private_stack(1) as (settings, env), tempfile.TemporaryDirectory() as tmp:
        prepare_infrastructure(settings)
        port = free_port()
        log = Path(tmp) / "api.log"
        with log.open("wb") as fh:
            api = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "serve", "--port", str(port)],
                env=os.environ | env | {"WIRE_API_KEYS": ""},
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or api.poll() is not None:
                    sys.exit(f"API did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.3)
            print(
                "subscribers | API CPU idle (of one core) | API RSS | delivery of one record: "
                f"first | p50 | p99 | last   ({ROUNDS} records each; targets at 10,000: "
                "CPU < 10 %, p99 < 1 s)"
            )
            asyncio.run(measure(settings, api.pid, port, sorted(args.counts)))
        finally:
            api.terminate()
            try:
                api.wait(timeout=30)
            except subprocess.TimeoutExpired:
                api.kill()


if __name__ == "__main__":
    main()
