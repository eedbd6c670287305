"""`wire index status | migrate | rollover`: the indices behind the aliases (pipeline.store.lifecycle)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.base import app, elasticsearch_client, fail, out
from pipeline.settings import get_settings

index_app = typer.Typer(
    no_args_is_help=True,
    help="The indices behind the aliases: status, mapping migration, rollover.",
)
app.add_typer(index_app, name="index", rich_help_panel="Operate")


def _aliases(which: str) -> list[str]:
    s = get_settings()
    chosen = {"dispatches": [s.dispatch_alias], "events": [s.event_alias]}
    if which == "both":
        return [s.dispatch_alias, s.event_alias]
    if which not in chosen:
        raise typer.BadParameter("dispatches, events or both")
    return chosen[which]


def _group_members() -> int | None:
    """Members of the workers' consumer group now (None: cannot tell)."""
    try:
        from kafka import KafkaAdminClient

        from pipeline.kafka.client import client_kwargs

        s = get_settings()
        admin = KafkaAdminClient(**client_kwargs(s))
        try:
            [group] = admin.describe_consumer_groups([s.consumer_group])
            return len(getattr(group, "members", []) or [])
        finally:
            admin.close()
    except Exception:
        return None


@index_app.command("status")
def index_status() -> None:
    """Each alias: its indices, which one takes writes, documents and size."""
    from pipeline.store.lifecycle import alias_state, aliases

    with elasticsearch_client() as es:
        for alias in aliases(get_settings()):
            state = alias_state(es, alias)
            if not state.indices:
                out.print(f"{alias}: no such alias yet (a worker creates it at start)")
                continue
            out.print(f"{alias}:")
            for index, write in state.indices.items():
                size = state.bytes.get(index, 0) / 1024**2
                mark = "  <- writes" if write or len(state.indices) == 1 else ""
                out.print(f"  {index}  {state.docs.get(index, 0):>10} docs  {size:10.1f} MiB{mark}")


@index_app.command("migrate")
def index_migrate(
    alias: Annotated[str, typer.Option(help="dispatches, events or both")] = "both",
    shards: Annotated[
        int | None, typer.Option(min=1, help="Primary shards of the new index")
    ] = None,
    replicas: Annotated[int | None, typer.Option(min=0, help="Replicas of the new index")] = None,
    delete_old: Annotated[
        bool, typer.Option(help="Delete the old index once the alias moved")
    ] = False,
    force: Annotated[bool, typer.Option(help="Run even while workers are in the group")] = False,
) -> None:
    """Copy into a new index (the deployed code's mappings) and move the alias in one step.

    Every document keeps its version; searches never see a gap. Stop the workers first (Kafka keeps what arrives meanwhile): they write through the
    alias, and a write during the copy would be left behind in the old index.
    """
    from pipeline.store.lifecycle import migrate

    members = _group_members()
    if members and not force:
        raise fail(
            f"{members} worker(s) are in consumer group {get_settings().consumer_group}: "
            "stop them first (or --force)"
        )
    if members is None and not force:
        out.print("[yellow]could not ask Kafka whether workers run; make sure they are stopped[/]")
    with elasticsearch_client() as es:
        for name in _aliases(alias):
            try:
                done = migrate(
                    es,
                    get_settings(),
                    name,
                    shards=shards,
                    replicas=replicas,
                    delete_old=delete_old,
                )
            except (LookupError, RuntimeError) as exc:
                raise fail(str(exc)) from None
            old = ", ".join(done.source)
            fate = "deleted" if done.deleted_old else "kept (delete it once you are satisfied)"
            out.print(
                f"{name}: {done.copied} documents copied {old} -> {done.target}; old index {fate}"
            )


@index_app.command("rollover")
def index_rollover(
    max_age: Annotated[str | None, typer.Option(help="e.g. 30d")] = "30d",
    max_docs: Annotated[
        int | None, typer.Option(min=1, help="Documents in the write index")
    ] = None,
    max_primary_shard_size: Annotated[str | None, typer.Option(help="e.g. 50gb")] = "50gb",
    dry_run: Annotated[bool, typer.Option(help="Only say whether a condition is met")] = False,
) -> None:
    """A new write index behind both aliases, when one condition is met.

    Checks the dispatches' write index against the conditions and, when one is met, moves
    both aliases to the same next generation (--dry-run: only says). Workers may run:
    a dispatch already indexed is updated in the generation that holds it. On real
    Elasticsearch the ILM policy does the same by itself (deploy/README.md).
    """
    from pipeline.store.lifecycle import rollover, rollover_conditions

    try:
        conditions = rollover_conditions(max_age, max_docs, max_primary_shard_size)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with elasticsearch_client() as es:
        try:
            results = rollover(es, get_settings(), conditions, dry_run=dry_run)
        except LookupError as exc:
            raise fail(str(exc)) from None
    for r in results:
        met = ", ".join(f"{k} {'met' if v else 'not met'}" for k, v in r.conditions.items())
        verb = "rolled over to" if r.rolled_over else "would roll over to"
        due = any(r.conditions.values())
        out.print(
            f"{r.alias}: {r.old_index} ({met}); {verb + ' ' + r.new_index if due else 'not due'}"
        )
