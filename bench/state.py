"""The gate's state at scale: a worker whose tables hold N guids (default 100,000).

    python -m bench.state [--guids 100000] [--stores rocksdb:// memory://] [--count 200]

For each store of the per-guid table: the tables' changelogs are filled with what a
worker would have written for N guids (one state per guid, ~1 event each as in the
generated corpus; an owner per guid, all inside the window: the worst case; sketches up
to WIRE_STATE_STORY_MAX), then a worker (WIRE_NLP_PROCESSES of the environment, 2 by
default here) is started and timed until its first dispatch is searchable, then
`--count` dispatches go through it; printed: the start (against the same worker on
empty tables), the peak RSS of the worker and its NLP processes, and for RocksDB a
restart that keeps the datadir (only the changelog written since is read).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    Arrivals,
    corpus,
    es_client,
    machine,
    private_stack,
    workers,
)
from pipeline.dedup.state import (
    GUIDS,
    OWNERS,
    SKETCHES,
    Owner,
    Sketch,
    Windows,
    encode_guid,
    encode_owner,
    encode_sketch,
)
from pipeline.kafka.client import ensure_topics, make_producer
from pipeline.kafka.topics import changelog_topic
from pipeline.settings import Settings
from pipeline.store.documents import Delivery, state_source
from pipeline.store.rebuild import raw_partition
from schemas import Event, EventRole

EVIDENCE = (
    "La start-up française Verkor a levé 2 milliards d'euros auprès de Renault, "
    "Bpifrance et EQT, a annoncé lundi l'entreprise dans un communiqué."
)


def fill(settings: Settings, n: int, windows: Windows) -> float:
    """Write the changelogs a worker that had processed n guids would have; seconds."""
    t0 = time.perf_counter()
    topics = {t: changelog_topic(settings, t) for t in (GUIDS, OWNERS, SKETCHES)}
    ensure_topics(settings, list(topics.values()))
    [template] = corpus(1, seed=17).items
    from connectors.registry import parse_document
    from pipeline.extract.normalise import normalise

    [base] = parse_document(
        template.text.encode(), source="bench", received_at=datetime.now(UTC), max_bytes=10**6
    ).dispatches
    base = normalise(base)
    rng = random.Random(29)
    producer = make_producer(settings)
    now = time.time()
    try:
        for i in range(n):
            guid = f"urn:bench:state:{i:07d}"
            event = Event(
                id=f"ev{i:016x}",
                type="funding_round",
                dispatch_guid=guid,
                dispatch_version=1,
                language="fr",
                roles={
                    "company": [EventRole(entity_id="org:verkor", name="Verkor", type="ORG")],
                    "investor": [
                        EventRole(entity_id="org:renault", name="Renault", type="ORG"),
                        EventRole(entity_id="org:bpifrance", name="Bpifrance", type="ORG"),
                    ],
                },
                evidence=EVIDENCE,
                confidence=0.85,
                versioncreated=datetime.now(UTC),
            )
            d = base.model_copy(
                update={
                    "guid": guid,
                    "content_hash": f"{i:064x}",
                    "events": [event],
                    "extracted_by": "bench",
                    "story_id": guid,
                }
            )
            p = raw_partition(guid, None, settings)
            state = state_source(d, Delivery(f"{settings.raw_topic}:{p}:{i}"))
            producer.send(topics[GUIDS], key=guid.encode(), value=encode_guid(state), partition=p)
            producer.send(
                topics[OWNERS],
                key=d.content_hash.encode(),  # type: ignore[union-attr]
                value=encode_owner(Owner(guid, now)),
                partition=0,
            )
            if i >= n - windows.stories_max:
                producer.send(
                    topics[SKETCHES],
                    key=guid.encode(),
                    # distinct texts: distinct signatures (not one story of 20,000)
                    value=encode_sketch(
                        Sketch(guid, now, tuple(rng.randrange(2**32) for _ in range(64)))
                    ),
                    partition=0,
                )
        producer.flush(timeout=300)
    finally:
        producer.close()
    return time.perf_counter() - t0


def run_worker(
    settings: Settings,
    env: dict[str, str],
    logs: Path,
    records: list[tuple[bytes, bytes]],
    label: str,
) -> None:
    """Start a worker, time it to its first searchable dispatch, then send the rest."""
    ensure_topics(settings)
    es = es_client(settings)
    producer = make_producer(settings)
    arrivals = Arrivals(settings, idle_pause=0.05)
    arrivals.start()
    arrivals.ready.wait(30)
    t0 = time.perf_counter()
    with workers(1, env, logs) as procs:
        first_key, first_value = records[0]
        producer.send(settings.raw_topic, key=first_key, value=first_value)
        producer.flush()
        arrivals.wait_for({first_key.decode()}, 900, procs)
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        for key, value in records[1:]:
            producer.send(settings.raw_topic, key=key, value=value)
        producer.flush()
        arrivals.wait_for({k.decode() for k, _ in records}, 900, procs)
        rate = (len(records) - 1) / (time.perf_counter() - t1)
        rss = procs[0].peak_rss_mib()
        parts = " + ".join(f"{r:.0f}" for r in procs[0].peak_rss_parts_mib())
        stages = procs[0].stages()
    arrivals.stop.set()
    producer.close()
    es.close()
    print(
        f"  {label}: first dispatch searchable {started:.1f} s after the worker was started; "
        f"then {len(records) - 1} at {rate:.1f}/s; peak RSS (worker + NLP processes) "
        f"{rss:.0f} MiB = {rss / 1024:.2f} GiB ({parts})",
        flush=True,
    )
    print(f"    {stages}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--guids", type=int, default=100_000)
    ap.add_argument("--stores", nargs="+", default=["rocksdb://", "memory://"])
    ap.add_argument("--count", type=int, default=200)
    args = ap.parse_args()
    os.environ.setdefault("WIRE_NLP_PROCESSES", "2")
    print(machine())
    print(f"NLP processes per worker: {os.environ['WIRE_NLP_PROCESSES']}")
    c = corpus(3 * args.count, seed=23)
    batches = [c.records[i * args.count : (i + 1) * args.count] for i in range(3)]
    for store in args.stores:
        print(f"\nstore {store}", flush=True)
        with (
            private_stack(4, {"WIRE_STATE_STORE": store}) as (settings, env),
            tempfile.TemporaryDirectory(prefix="wire-bench-logs-") as logs,
        ):
            run_worker(settings, env, Path(logs), batches[0], "empty tables")
            shutil.rmtree(settings.worker_datadir, ignore_errors=True)
            took = fill(settings, args.guids, Windows.of(settings))
            print(
                f"  changelogs filled: {args.guids:,} guids, {args.guids:,} owners, "
                f"{min(args.guids, settings.state_story_max):,} sketches in {took:.1f} s",
                flush=True,
            )
            run_worker(
                settings, env, Path(logs), batches[1], f"{args.guids:,} guids, empty datadir"
            )
            if store.startswith("rocksdb"):
                run_worker(
                    settings, env, Path(logs), batches[2], f"{args.guids:,} guids, datadir kept"
                )


if __name__ == "__main__":
    main()
