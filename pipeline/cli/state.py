"""`wire state rebuild`: the workers' gate state (pipeline.worker.state) from the index."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.base import EXIT_UNAVAILABLE, app, elasticsearch_client, err, fail, out
from pipeline.settings import get_settings

if TYPE_CHECKING:
    from pipeline.store.rebuild import Record

state_app = typer.Typer(
    no_args_is_help=True,
    help="The workers' own state: versions per guid, content owners, story look-alikes.",
)


app.add_typer(state_app, name="state", rich_help_panel="Operate")


@state_app.command("rebuild")
def rebuild(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be written, write nothing")
    ] = False,
    page: Annotated[int, typer.Option(help="Documents read per request")] = 500,
) -> None:
    """Rebuild the gate's tables from the index, for a deployment whose dispatches were
    indexed before the workers kept their own state (or whose changelogs were lost).

    Stop the workers first: each worker reads its tables' changelogs when it starts,
    and this appends what the index holds to them (the index is never behind the
    tables, so it wins). A worker keeping RocksDB state under WIRE_WORKER_DATADIR reads
    the changelogs from where it stopped, so it picks these records up too."""
    from kafka.errors import KafkaError

    from pipeline.dedup.state import Windows
    from pipeline.kafka.topics import changelog_topic
    from pipeline.store.rebuild import iter_state_sources, plan

    s = get_settings()
    t0 = time.perf_counter()
    with elasticsearch_client() as es:
        if not es.indices.exists_alias(name=s.dispatch_alias):
            raise fail(f"no index {s.dispatch_alias}: nothing to rebuild from")
        p = plan(iter_state_sources(es, s, page), s, Windows.of(s), time.time())
    per_partition: dict[int, int] = {}
    for r in p.guids:
        per_partition[r.partition] = per_partition.get(r.partition, 0) + 1
    spread = ", ".join(f"{k}: {v}" for k, v in sorted(per_partition.items()))
    summary = (
        f"{len(p.guids)} guid(s) (per raw partition {spread or '-'}), "
        f"{len(p.owners)} content owner(s), {len(p.sketches)} story sketch(es)"
    )
    if dry_run:
        out.print(f"would write {summary} (read in {time.perf_counter() - t0:.1f} s)")
        return
    try:
        write_changelogs(p.records)
    except KafkaError as exc:
        raise fail(f"Kafka did not take the state: {exc}", EXIT_UNAVAILABLE) from None
    out.print(f"wrote {summary} in {time.perf_counter() - t0:.1f} s")
    for table in sorted({r.table for r in p.records}):
        err.print(f"  -> {changelog_topic(s, table)}")


def write_changelogs(records: list[Record]) -> None:
    """Append the records to the tables' changelog topics (created, compacted, if missing)."""
    from pipeline.dedup.state import GUIDS, OWNERS, SKETCHES
    from pipeline.kafka.client import ensure_topics, make_producer
    from pipeline.kafka.topics import changelog_topic

    s = get_settings()
    topics = {t: changelog_topic(s, t) for t in (GUIDS, OWNERS, SKETCHES)}
    ensure_topics(s, list(topics.values()))  # compacted, as Faust would create them
    producer = make_producer(s)
    try:
        futures = [
            producer.send(topics[r.table], key=r.key, value=r.value, partition=r.partition)
            for r in records
        ]
        producer.flush(timeout=120)
        for f in futures:
            f.get(timeout=60)
    finally:
        producer.close()
