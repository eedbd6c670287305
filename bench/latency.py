"""Latency: publication to the raw topic -> searchable, at a steady offered rate.

    python -m bench.latency [--rate 20] [--seconds 60] [--workers 1] [--nlp-processes N]

By default it runs the shape deploy/README.md recommends for one host: one worker with an
NLP process per core (WIRE_NLP_PROCESSES where set, else the machine's core count). The
shape measured before round 9, two workers of one NLP process each, is `--workers 2
--nlp-processes 1`.

Dispatches are published one by one at `rate` per second (kafka-python, acks=all). A
dispatch counts as searchable when the worker announces it on the dispatches topic:
the worker publishes that record only after Elasticsearch acknowledged the bulk write
with refresh=wait_for, i.e. once a search can find it (a sample is checked against
Elasticsearch at the end). Prints p50 / p95 / p99 / max and the workers' peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import (
    Arrivals,
    corpus,
    cpu_between,
    cpu_snapshot,
    describe,
    es_client,
    machine,
    private_stack,
    warm_up,
    workers,
)
from pipeline.kafka.client import make_producer


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--nlp-processes",
        type=int,
        default=None,
        help="WIRE_NLP_PROCESSES for the workers (default: as set, else one per core)",
    )
    ap.add_argument("--partitions", type=int, default=4)
    args = ap.parse_args()
    if args.nlp_processes:
        os.environ["WIRE_NLP_PROCESSES"] = str(args.nlp_processes)
    os.environ.setdefault("WIRE_NLP_PROCESSES", str(os.cpu_count() or 1))

    count = int(args.rate * args.seconds)
    print(machine())
    c = corpus(count, seed=11)
    print(describe(c))
    print(
        f"offered: {args.rate:g} dispatches/s for {args.seconds:g} s, {args.workers} worker "
        f"process(es) x {os.environ['WIRE_NLP_PROCESSES']} NLP process(es)\n"
    )
    with (
        private_stack(args.partitions) as (settings, env),
        tempfile.TemporaryDirectory(prefix="wire-bench-logs-") as logs,
        workers(args.workers, env, Path(logs)) as procs,
    ):
        es = es_client(settings)
        producer = make_producer(settings)
        warm_up(es, settings, producer, procs)
        before = cpu_snapshot(procs, settings)

        arrivals = Arrivals(settings, idle_pause=0.05)  # stamps late by <= 50 ms, never early
        arrivals.start()
        arrivals.ready.wait(30)
        sent: dict[str, float] = {}
        t0 = time.perf_counter()
        for i, (key, value) in enumerate(c.records):
            delay = t0 + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[key.decode()] = time.time()
            producer.send(settings.raw_topic, key=key, value=value)
        producer.flush()
        offered = count / (time.perf_counter() - t0)
        deadline = time.monotonic() + 180
        while len(arrivals.seen.keys() & sent.keys()) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        arrivals.stop.set()
        shares = cpu_between(before, cpu_snapshot(procs, settings))
        latencies = [arrivals.seen[g] - t for g, t in sent.items() if g in arrivals.seen]
        sample = list(sent)[:: max(1, count // 50)]
        found = sum(
            1 for d in es.mget(index=settings.dispatch_alias, ids=sample)["docs"] if d.get("found")
        )
        rss = [w.peak_rss_mib() for w in procs]
        stages = [w.stages() for w in procs]
        producer.close()
        es.close()

    print(
        f"published at {offered:.1f}/s; searchable: {len(latencies)}/{count} "
        f"(Elasticsearch check: {found}/{len(sample)} sampled found)"
    )
    if latencies:
        print(
            f"publish -> searchable: p50 {pct(latencies, 50):.2f} s, p95 {pct(latencies, 95):.2f} s, "
            f"p99 {pct(latencies, 99):.2f} s, max {max(latencies):.2f} s, mean {statistics.mean(latencies):.2f} s"
        )
    print("worker peak RSS (worker + its NLP processes): " + ", ".join(f"{r:.0f} MiB" for r in rss))
    for i, line in enumerate(stages):
        print(f"    worker {i}: {line}")
    print(f"    {shares.line()}")


if __name__ == "__main__":
    main()
