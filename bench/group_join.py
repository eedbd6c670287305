"""Broker check: does a consumer that joins a busy group get its share of partitions?

    python -m bench.group_join [--seconds 40] [--join-after 8] [--no-commit] [--static]

Against the broker in `WIRE_KAFKA_BOOTSTRAP` (start one with `wire up` first). A
producer sends 10 records/s to a fresh 4-partition topic; consumer A (plain aiokafka,
no Faust, no wirestream code, explicit commits as the workers make them) reads them;
after `--join-after` seconds consumer B joins the same group. Every 5 s it prints how
many records each consumer has read, then a verdict.

Kafka rebalances: A and B go on reading between them everything sent. noida-db 0.2.3,
the local emulator, does not when the join meets a commit: A's commit is refused with
IllegalGeneration, A rejoins, and from then on neither consumer gets any record (seen
for 110 s). With `--no-commit` the same join rebalances. This is what stalled a second
`wire worker` started next to a running one on the local stack (`bench/README.md`).

Why: after the refused commit aiokafka forgets its member id and joins again as a new
member; noida-db never evicts the old one (bench/group_ghost.py), so the rebalance waits
for a member that will never come. With `--static` (group.instance.id, as the workers
use: pipeline.kafka.membership) the rejoining consumer replaces its own old member and
the group goes on reading, on noida-db as on Kafka.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError

from pipeline.settings import Settings

RATE_PER_S = 10
PARTITIONS = 4


async def consume(
    name: str,
    bootstrap: str,
    topic: str,
    counts: dict[str, int],
    commit: bool,
    stop: asyncio.Event,
    static: bool = False,
) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}-group",
        group_instance_id=f"{topic}-{name}" if static else None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            counts[name] += sum(len(records) for records in batch.values())
            if batch and commit:
                try:
                    await consumer.commit()
                except (CommitFailedError, KafkaError) as exc:
                    print(f"  {name}: commit refused ({type(exc).__name__}); the client rejoins")
    finally:
        # On a stalled group even leaving can hang: give it a few seconds.
        await asyncio.wait([asyncio.ensure_future(consumer.stop())], timeout=5.0)


async def run(
    bootstrap: str, seconds: float, join_after: float, commit: bool, static: bool = False
) -> bool:
    topic = f"wire-bench-group-join-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    counts = {"A": 0, "B": 0}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(consume("A", bootstrap, topic, counts, commit, stop, static))]
    sent = 0
    sent_at_join = 0
    read_at_join = 0
    started = time.monotonic()
    next_report = 5.0
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            await producer.send_and_wait(topic, b"%d" % sent, key=b"%d" % sent)
            sent += 1
            if len(tasks) == 1 and elapsed >= join_after:
                sent_at_join, read_at_join = sent, counts["A"]
                print(f"t={elapsed:5.1f} s  B joins (A has read {read_at_join} of {sent_at_join})")
                tasks.append(
                    asyncio.create_task(
                        consume("B", bootstrap, topic, counts, commit, stop, static)
                    )
                )
            if elapsed >= next_report:
                print(
                    f"t={elapsed:5.1f} s  sent {sent:5d}  read by A {counts['A']:5d}  by B {counts['B']:5d}"
                )
                next_report += 5.0
            await asyncio.sleep(1 / RATE_PER_S)
        await asyncio.sleep(3.0)
    finally:
        stop.set()
        _, stuck = await asyncio.wait(tasks, timeout=10.0)
        for task in stuck:  # blocked inside a poll that a stalled group never answers
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
    read_after_join = counts["A"] + counts["B"] - read_at_join
    due_after_join = sent - sent_at_join
    print(f"after the join: {due_after_join} records sent, {read_after_join} read by the group")
    return read_after_join >= due_after_join


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--join-after", type=float, default=8.0)
    parser.add_argument("--no-commit", action="store_true", help="consumers never commit")
    parser.add_argument(
        "--static", action="store_true", help="static membership (group.instance.id per consumer)"
    )
    args = parser.parse_args()
    bootstrap = Settings().kafka_bootstrap
    print(
        f"broker {bootstrap}; {PARTITIONS} partitions, {RATE_PER_S} records/s, commits "
        f"{'off' if args.no_commit else 'on'}, {'static' if args.static else 'dynamic'} members"
    )
    ok = asyncio.run(
        run(bootstrap, args.seconds, args.join_after, commit=not args.no_commit, static=args.static)
    )
    print(
        "verdict: the group rebalanced and kept reading"
        if ok
        else "verdict: the group STALLED after the join"
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
