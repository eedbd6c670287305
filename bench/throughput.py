"""Throughput: the bare NLP bound and the whole pipeline, in one run, same machine, same corpus.

    python -m bench.throughput [--count 2000] [--workers 1 2]

(a) bare bound: the worker's own spaCy pipelines (pipeline.extract.nlp.load_model: the parse +
    sentencizer) over the same texts with nlp.pipe, on one core and on all cores (n_process).
(a') extraction bound: the worker's whole extract stage (spaCy, rules, learned models:
    pipeline.extract.runner.NlpRunner with one process per core, batches as the worker cuts
    them, two in flight) over the same dispatches, no Kafka, no Elasticsearch: what the NLP
    processes could do if the pipeline around them cost nothing.
(b) end to end: the corpus published to the raw topic -> Faust workers (validate, version
    gate, NLP, rules, story clusters, bulk index, events to topics) -> counted when the
    last dispatch is searchable, for each worker count asked. A fresh local stack each time.
Prints rates, the ratio to the bare bound, and each worker's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

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
from pipeline.extract.nlp import load_model
from pipeline.kafka.client import make_producer
from pipeline.settings import get_settings


def bare_bound(c: Corpus, n_process: int) -> float:
    """Dispatches per second through nlp.pipe alone (models loaded before the clock)."""
    texts = c.texts_by_language
    models = {lang: load_model(lang) for lang in texts}
    batch = get_settings().nlp_batch_size
    t0 = time.perf_counter()
    for lang, items in texts.items():
        for _ in models[lang].pipe(items, batch_size=batch, n_process=n_process):
            pass
    return sum(len(v) for v in texts.values()) / (time.perf_counter() - t0)


def extraction_bound(c: Corpus, n_process: int) -> float:
    """Dispatches per second through the worker's extract stage alone (children started and
    models loaded before the clock)."""
    import asyncio

    from pipeline.extract.normalise import normalise
    from pipeline.extract.runner import NlpRunner
    from schemas import Dispatch

    s = get_settings()
    dispatches = [normalise(Dispatch.model_validate_json(v)) for _k, v in c.records]
    runner = NlpRunner(in_process=False, processes=n_process)
    runner.start()
    batches = [
        dispatches[i : i + s.nlp_batch_size] for i in range(0, len(dispatches), s.nlp_batch_size)
    ]

    async def run_all() -> None:
        slots = asyncio.Semaphore(s.batches_in_flight)

        async def one(batch: list[Dispatch]) -> None:
            async with slots:
                await runner.run(batch, s.nlp_batch_size, s.dlq_payload_bytes)

        await asyncio.gather(*(one(b) for b in batches))

    try:
        t0 = time.perf_counter()
        asyncio.run(run_all())
        return len(dispatches) / (time.perf_counter() - t0)
    finally:
        runner.close()


def end_to_end(
    c: Corpus, n_workers: int, partitions: int, logdir: Path
) -> tuple[float, list[float], list[str], CpuShares]:
    with private_stack(partitions) as (settings, env), workers(n_workers, env, logdir) as procs:
        es = es_client(settings)
        producer = make_producer(settings)
        try:
            warmed = warm_up(es, settings, producer, procs)
            idle = idle_cpu(procs)
            arrivals = Arrivals(settings, idle_pause=0.1)  # a 0.1 s error on a minute
            arrivals.start()
            arrivals.ready.wait(30)
            before = cpu_snapshot(procs, settings)
            idle_before = [w.counter("wire_nlp_idle_seconds") for w in procs]
            t0 = time.perf_counter()
            for key, value in c.records:
                producer.send(settings.raw_topic, key=key, value=value)
            producer.flush()
            # Searchable = announced by the worker after its refresh=wait_for write; polling
            # a count instead would cost the local search node a scan of the index each time.
            arrivals.wait_for({key.decode() for key, _ in c.records}, 3600, procs)
            elapsed = time.perf_counter() - t0
            shares = cpu_between(before, cpu_snapshot(procs, settings))
            nlp_idle = [
                (w.counter("wire_nlp_idle_seconds") - b) / (nlp_processes() * elapsed)
                for w, b in zip(procs, idle_before, strict=True)
            ]
            arrivals.stop.set()
            wait_count(es, settings, warmed + len(c.records), 60, procs)  # the index agrees
            stages = [w.stages() for w in procs]
        finally:
            producer.close()
            es.close()
        return (
            len(c.records) / elapsed,
            [w.peak_rss_mib() for w in procs],
            [
                *(
                    f"worker {i}: idle (before the corpus) {100 * cpu:.0f}% of a core; {line}"
                    for i, (cpu, line) in enumerate(zip(idle, stages, strict=True))
                ),
                shares.line(),
                "NLP idle: "
                + ", ".join(
                    f"worker {i} {100 * x:.0f}% of its NLP process-seconds with no chunk to run"
                    for i, x in enumerate(nlp_idle)
                )
                + f"; NLP processes' CPU {100 * shares.nlp / (len(procs) * nlp_processes() * shares.wall):.0f}% "
                "of their process-seconds",
            ],
            shares,
        )


def ceiling(shares: CpuShares, count: int, bound: float) -> str:
    """The rate this machine allows the pipeline once the NLP processes and the broker +
    search node have taken what they took in the run: the worker's event loops, the driver
    and idle time counted as nothing. The local node's cost per write grows with what it holds
    (it rewrites its whole state: `python -m bench.stack_cost`), so at a larger count this
    ceiling falls even though nothing in the pipeline changed."""
    cores = os.cpu_count() or 1
    spent = shares.nlp + shares.stack
    rate = cores * count / spent if spent else 0.0
    return (
        f"ceiling here: NLP processes {1000 * shares.nlp / count:.1f} ms + broker and search "
        f"node {1000 * shares.stack / count:.1f} ms of CPU a dispatch on {cores} cores allow "
        f"{rate:.1f} dispatches/s = {rate / bound:.2f} of the bound, with the event loops, "
        "driver and idle time at zero"
    )


def nlp_processes() -> int:
    return get_settings().nlp_processes


def idle_cpu(procs: list[Worker], seconds: float = 5.0) -> list[float]:
    """CPU share each worker burns with nothing to do. On a broker that long-polls fetches
    this is ~0; the local emulator answers empty fetches at once, so consumers spin."""
    before = [w.cpu_seconds() for w in procs]
    time.sleep(seconds)
    return [(w.cpu_seconds() - b) / seconds for w, b in zip(procs, before, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--batch", type=int, default=None, help="WIRE_NLP_BATCH_SIZE for the workers")
    ap.add_argument(
        "--nlp-processes", type=int, default=None, help="WIRE_NLP_PROCESSES for the workers"
    )
    args = ap.parse_args()
    if args.nlp_processes:
        os.environ["WIRE_NLP_PROCESSES"] = str(args.nlp_processes)
    if args.batch:
        os.environ["WIRE_NLP_BATCH_SIZE"] = str(args.batch)
    get_settings.cache_clear()  # the workers inherit this environment; so does the bound

    cores = os.cpu_count() or 1
    print(machine())
    c = corpus(args.count, args.seed)
    print(describe(c))
    s = get_settings()
    print(
        f"nlp_batch_size: {s.nlp_batch_size}, NLP processes per worker: {s.nlp_processes}, "
        f"raw partitions: {args.partitions}\n"
    )

    one = bare_bound(c, 1)
    print(f"(a) bare nlp.pipe, 1 process:        {one:7.1f} dispatches/s")
    bound = bare_bound(c, cores) if cores > 1 else one
    print(f"(a) bare nlp.pipe, {cores} processes:       {bound:7.1f} dispatches/s   <- the bound")
    extract = extraction_bound(c, s.nlp_processes)
    print(
        f"(a') extract stage alone, {s.nlp_processes} NLP processes: {extract:7.1f} dispatches/s"
        "   (spaCy + rules + learned models, no Kafka or search node)"
    )
    with tempfile.TemporaryDirectory(prefix="wire-bench-logs-") as logs:
        for n in args.workers:
            rate, rss, stages, shares = end_to_end(c, n, args.partitions, Path(logs))
            peak = ", ".join(f"{r:.0f}" for r in rss)
            print(
                f"(b) end to end, {n} worker process(es): {rate:7.1f} dispatches/s   "
                f"ratio to bound {rate / bound:.2f}, to 1-process bare {rate / one:.2f}, "
                f"to the extract stage alone {rate / extract:.2f}; "
                f"worker peak RSS {peak} MiB"
            )
            for line in stages:
                print(f"    {line}")
            print(f"    {ceiling(shares, len(c.records), bound)}")


if __name__ == "__main__":
    main()
