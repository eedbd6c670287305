"""Scale model: 1, 2 and 4 workers over the same raw partitions, and what one dispatch costs.

    python -m bench.scale [--count 800] [--workers 1 2 4] [--partitions 4] [--nlp-processes 1]

For each worker count: a fresh private stack, N worker processes started together (the
local broker cannot rebalance a committing group: bench/README.md), a warm-up, then the
corpus published at once and timed until the last dispatch is announced as searchable.

Printed per run:
- dispatches/s in all and per worker;
- CPU seconds each part used (worker event loops, NLP processes, broker + search node,
  this driver, and everything else on the machine, from /proc/stat);
- **CPU milliseconds per dispatch** of the pipeline's own processes (worker + NLP), and
  the rate one fully used core gives (1000 / that): the figure that transfers to another
  machine, since on a shared 2-core box the wall-clock rate mostly says how many cores
  were free;
- batches per worker (partitions spread), peak RSS per worker;
- bytes per dispatch: the raw record, the live-feed record, and the stored `_source` of
  the dispatch and its events (what an index holds before Elasticsearch's own overhead).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from kafka import KafkaConsumer

from bench.harness import (
    Arrivals,
    Corpus,
    CpuShares,
    Worker,
    corpus,
    cpu_between,
    cpu_snapshot,
    describe,
    es_client,
    machine,
    private_stack,
    wait_count,
    warm_up,
    workers,
)
from pipeline.kafka.client import client_kwargs, make_producer
from pipeline.settings import Settings, get_settings


def machine_busy_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall seconds) from /proc/stat, for 'others'."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(f) for f in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, time.perf_counter()


def batches(w: Worker) -> int:
    """How many batches this worker wrote (its own wire_stage_seconds histogram)."""
    text = httpx.get(f"http://127.0.0.1:{w.port}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith('wire_stage_seconds_count{stage="batch"}'):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


@dataclass
class Sizes:
    raw: float  # bytes per raw record (Dispatch JSON as a connector publishes it)
    feed: float  # bytes per record on the dispatches topic (live feed)
    dispatch_source: float  # stored _source per dispatch document
    events_source: float  # stored _source of its events, per dispatch
    events_per_dispatch: float


def sizes(settings: Settings, c: Corpus, sample: int = 200) -> Sizes:
    es = es_client(settings)
    try:
        docs = es.search(index=settings.dispatch_alias, size=sample, query={"match_all": {}})
        dispatch_bytes = [len(orjson.dumps(h["_source"])) for h in docs["hits"]["hits"]]
        guids = [h["_id"] for h in docs["hits"]["hits"]]
        events = es.search(
            index=settings.event_alias,
            size=10 * len(guids),
            query={"terms": {"dispatch_guid": guids}},
        )
        event_bytes = [len(orjson.dumps(h["_source"])) for h in events["hits"]["hits"]]
    finally:
        es.close()
    consumer = KafkaConsumer(
        settings.dispatches_topic,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
        **client_kwargs(settings),
    )
    feed = []
    for record in consumer:
        feed.append(len(record.value))
        if len(feed) >= sample:
            break
    consumer.close()
    n = max(1, len(guids))
    return Sizes(
        raw=statistics.mean(len(v) for _, v in c.records),
        feed=statistics.mean(feed) if feed else 0.0,
        dispatch_source=statistics.mean(dispatch_bytes) if dispatch_bytes else 0.0,
        events_source=sum(event_bytes) / n,
        events_per_dispatch=len(event_bytes) / n,
    )


@dataclass
class Run:
    workers: int
    rate: float
    shares: CpuShares
    others: float  # CPU seconds used by processes outside this benchmark
    batches: list[int]
    rss: list[float]
    sizes: Sizes

    @property
    def pipeline_cpu(self) -> float:
        return self.shares.worker + self.shares.nlp


def run(c: Corpus, n: int, partitions: int, logdir: Path, stall_s: float) -> Run:
    with private_stack(partitions) as (settings, env), workers(n, env, logdir) as procs:
        es = es_client(settings)
        producer = make_producer(settings)
        try:
            warmed = warm_up(es, settings, producer, procs)
            arrivals = Arrivals(settings, idle_pause=0.1)
            arrivals.start()
            arrivals.ready.wait(30)
            start_batches = [batches(w) for w in procs]
            before, (busy0, _) = cpu_snapshot(procs, settings), machine_busy_seconds()
            t0 = time.perf_counter()
            for key, value in c.records:
                producer.send(settings.raw_topic, key=key, value=value)
            producer.flush()
            # A stalled group (the local broker's coordinator: bench/README.md) must end the
            # run with a message, not hang it.
            arrivals.wait_for({key.decode() for key, _ in c.records}, stall_s, procs)
            elapsed = time.perf_counter() - t0
            shares = cpu_between(before, cpu_snapshot(procs, settings))
            busy1, _ = machine_busy_seconds()
            arrivals.stop.set()
            wait_count(es, settings, warmed + len(c.records), 60, procs)
            ours = shares.worker + shares.nlp + shares.stack + shares.bench
            return Run(
                workers=n,
                rate=len(c.records) / elapsed,
                shares=shares,
                others=max(0.0, (busy1 - busy0) - ours),
                batches=[b - a for a, b in zip(start_batches, map(batches, procs), strict=True)],
                rss=[w.peak_rss_mib() for w in procs],
                sizes=sizes(settings, c),
            )
        finally:
            producer.close()
            es.close()


def report(r: Run, count: int) -> list[str]:
    cores = os.cpu_count() or 1
    s = r.shares
    ms = 1000 * r.pipeline_cpu / count
    ms_all = 1000 * (r.pipeline_cpu + s.stack) / count
    return [
        f"{r.workers} worker(s): {r.rate:6.1f} dispatches/s, {r.rate / r.workers:5.1f} per worker; "
        f"batches per worker {r.batches}; peak RSS {', '.join(f'{x:.0f}' for x in r.rss)} MiB",
        f"    CPU over {s.wall:.0f} s x {cores} cores: worker loops {s.worker:.0f} s, NLP {s.nlp:.0f} s, "
        f"broker + search node {s.stack:.0f} s, driver {s.bench:.0f} s, other users {r.others:.0f} s "
        f"({100 * r.others / (cores * s.wall):.0f}% of the machine)",
        f"    per dispatch: {ms:.1f} ms CPU in worker + NLP -> {1000 / ms:.1f} dispatches/s per core; "
        f"with the local broker + search node {ms_all:.1f} ms",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--count", type=int, default=800)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--partitions", type=int, default=4, help="the same for every run")
    ap.add_argument(
        "--nlp-processes", type=int, default=1, help="WIRE_NLP_PROCESSES for each worker"
    )
    ap.add_argument(
        "--stall-after", type=float, default=600, help="seconds before a run counts as stalled"
    )
    args = ap.parse_args()
    if max(args.workers) > args.partitions:
        ap.error("more workers than partitions: the extra ones would idle")
    os.environ["WIRE_NLP_PROCESSES"] = str(args.nlp_processes)
    get_settings.cache_clear()

    print(machine())
    c = corpus(args.count, args.seed)
    print(describe(c))
    print(
        f"raw partitions: {args.partitions}, NLP processes per worker: {args.nlp_processes}, "
        f"nlp_batch_size: {get_settings().nlp_batch_size}\n"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="wire-bench-logs-") as logs:
        for n in args.workers:
            try:
                r = run(c, n, args.partitions, Path(logs), args.stall_after)
            except TimeoutError as exc:
                print(f"{n} worker(s): no figure, the run stalled ({exc})", flush=True)
                continue
            results.append(r)
            for line in report(r, args.count):
                print(line, flush=True)
    if not results:
        return
    first = results[0]
    print(
        "\nscaling against the first run: "
        + ", ".join(f"{r.workers} workers x{r.rate / first.rate:.2f}" for r in results)
    )
    z = first.sizes
    print(
        f"bytes per dispatch: raw record {z.raw:.0f}, live-feed record {z.feed:.0f}, stored "
        f"dispatch _source {z.dispatch_source:.0f}, events _source {z.events_source:.0f} "
        f"({z.events_per_dispatch:.2f} events per dispatch)"
    )


if __name__ == "__main__":
    main()
