"""What one write costs the local broker + search node as the data it holds grows.

    python -m bench.stack_cost [--sizes 0 1000 2000 4000]

The local stack (noida-db, the embedded Kafka + Elasticsearch emulator) keeps its state as
one JSON file per service and rewrites the whole file after changes: Kafka's record batches
as JSON arrays of byte values, about once a second while anything changes; the index after
each write, plus a refresh for `refresh=wait_for`. A real broker appends to a log segment and
a real search node writes a new segment, so there the cost of a write does not grow with
what is already stored. This benchmark measures the local node's CPU for the same small
writes at growing sizes (generated dispatches, as bench.throughput sends), so that the
broker + search node share in bench.throughput can be read against it.

For each size: the index holds that many dispatch documents and the raw topic that many
records; then
- one 1-document index write with refresh=false, and one with refresh=wait_for (node CPU
  until its state file is written again);
- Kafka: one small record sent every 0.1 s for 5 s (node CPU per second).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.harness import corpus, es_client, machine, private_stack, stack_cpu_seconds
from pipeline.extract.normalise import normalise
from pipeline.kafka.client import make_producer
from pipeline.store.documents import bulk_operations
from pipeline.store.writes import ensure_indices
from schemas import Dispatch

SETTLE_S = 1.5  # the node rewrites its state file within about a second of a change


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[0, 1000, 2000, 4000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(machine())
    c = corpus(max(args.sizes), args.seed)
    docs = [normalise(Dispatch.model_validate_json(v)) for _k, v in c.records]
    print(
        f"{'held':>6}  {'index MB':>8}  {'kafka MB':>8}  {'write, refresh=false':>20}  "
        f"{'write, wait_for':>15}  {'kafka, 10 sends/s':>17}"
    )
    with private_stack(2) as (settings, _env):
        es = es_client(settings)
        producer = make_producer(settings)
        ensure_indices(es, settings)
        held = 0
        try:
            for size in sorted(args.sizes):
                for i in range(held, size, 64):
                    part = docs[i : min(i + 64, size)]
                    es.bulk(operations=bulk_operations(settings, part), refresh=False)
                    for key, value in c.records[i : min(i + 64, size)]:
                        producer.send(settings.raw_topic, key=key, value=value)
                producer.flush()
                held = size
                time.sleep(2 * SETTLE_S)
                costs = []
                for n, refresh in enumerate(("false", "wait_for")):
                    before = stack_cpu_seconds(settings)
                    es.index(
                        index=settings.dispatch_alias,
                        id=f"probe-{size}-{n}",
                        document={"guid": f"probe-{size}-{n}", "headline": "probe"},
                        refresh=refresh,
                    )
                    time.sleep(SETTLE_S)
                    costs.append(stack_cpu_seconds(settings) - before)
                before, t0 = stack_cpu_seconds(settings), time.perf_counter()
                while time.perf_counter() - t0 < 5:
                    producer.send(f"{settings.topic_prefix}.probe", value=b"x" * 100)
                    producer.flush()
                    time.sleep(0.1)
                kafka = (stack_cpu_seconds(settings) - before) / (time.perf_counter() - t0)
                state = Path(settings.stack_dir)
                mb = [
                    (state / f).stat().st_size / 1e6 if (state / f).exists() else 0.0
                    for f in ("elasticsearch.json", "kafka.json")
                ]
                print(
                    f"{size:6d}  {mb[0]:8.1f}  {mb[1]:8.1f}  {1000 * costs[0]:17.0f} ms  "
                    f"{1000 * costs[1]:12.0f} ms  {1000 * kafka:9.0f} ms per s"
                )
        finally:
            producer.close()
            es.close()


if __name__ == "__main__":
    main()
