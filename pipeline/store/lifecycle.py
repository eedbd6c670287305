"""Index lifecycle behind the aliases: what each alias spans, a mapping migration (new
index, reindex, alias moved in one step) and rollover (a new write index by size or age).

Every alias `<prefix>-dispatches` / `<prefix>-events` points at generations named
`<alias>-NNNNNN`; the write index is the one with `is_write_index`.

**Rollover** gives each alias a new write index; older generations stay behind the alias
for searches. Once an alias spans two indices, Elasticsearch refuses a GET or an `mget` by
id through it, and a write by id through it goes to the write index. So nothing reads a
document by id through an alias (the gate reads its own tables, pipeline.worker.state; the
API and the entity timeline search by `ids`), and a later version of a dispatch, its
events and the deletion of its replaced events are written into the generations that
hold them (`StoredIn`, recorded in the gate's state from each bulk answer's `_index`;
`wire state rebuild` reads it back from the hits). A new guid goes through the alias.
`migrate` (a mapping change) copies every generation into one new index.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from pipeline.settings import Settings
from pipeline.store.documents import templates

log = logging.getLogger(__name__)

_GENERATION = re.compile(r"-(\d{6})$")


def generation(index: str, alias: str) -> int | None:
    """6 for `wire-dispatches-000006` behind `wire-dispatches`; None for other names."""
    if not index.startswith(alias + "-"):
        return None
    m = _GENERATION.search(index)
    return int(m.group(1)) if m and index == f"{alias}-{m.group(1)}" else None


def next_index(alias: str, existing: list[str]) -> str:
    """The next generation's name, past every generation that exists (behind the alias or not)."""
    numbers = [n for n in (generation(i, alias) for i in existing) if n is not None]
    return f"{alias}-{max(numbers, default=0) + 1:06d}"


def rollover_conditions(
    max_age: str | None, max_docs: int | None, max_primary_shard_size: str | None
) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if max_age:
        conditions["max_age"] = max_age
    if max_docs:
        conditions["max_docs"] = max_docs
    if max_primary_shard_size:
        conditions["max_primary_shard_size"] = max_primary_shard_size
    if not conditions:
        raise ValueError("give at least one of max_age, max_docs, max_primary_shard_size")
    return conditions


def ilm_policy(
    max_age: str = "30d", max_primary_shard_size: str = "50gb", warm_after: str = "30d"
) -> dict[str, Any]:
    """The ILM policy attached on real Elasticsearch (`put_templates`): a new generation at
    50 GB per primary shard or 30 days, then a lower recovery priority. No delete phase: an
    archive of wire copy is kept unless a newsroom decides otherwise (deploy/README.md), and
    no forcemerge or read-only step, since `wire reextract` rewrites older dispatches."""
    return {
        "phases": {
            "hot": {
                "actions": {
                    "rollover": {
                        "max_age": max_age,
                        "max_primary_shard_size": max_primary_shard_size,
                    },
                    "set_priority": {"priority": 100},
                }
            },
            "warm": {"min_age": warm_after, "actions": {"set_priority": {"priority": 50}}},
        },
        "_meta": {"managed_by": "wirestream", "description": "deploy/README.md, Index lifecycle"},
    }


def policy_name(settings: Settings) -> str:
    return f"{settings.index_prefix}-rollover"


def put_templates(es: Elasticsearch, settings: Settings) -> bool:
    """The index templates of the code now running, with the ILM policy attached where the
    cluster has ILM (and WIRE_ES_ILM is on). Returns whether ILM manages the indices."""
    policy = None
    if settings.es_ilm:
        try:
            es.ilm.put_lifecycle(name=policy_name(settings), policy=ilm_policy())
            policy = policy_name(settings)
        except ApiError as exc:  # no ILM here (the local node): `wire index rollover`
            log.info("no index lifecycle management on this node (%s)", exc.message)
    for name, body in templates(settings, policy).items():
        es.indices.put_index_template(name=name, **body)
    return policy is not None


@dataclass
class AliasState:
    alias: str
    indices: dict[str, bool] = field(default_factory=dict)  # index -> is the write index
    docs: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)

    @property
    def write_index(self) -> str | None:
        writes = [i for i, w in self.indices.items() if w]
        if writes:
            return writes[0]
        return next(iter(self.indices)) if len(self.indices) == 1 else None


def aliases(settings: Settings) -> list[str]:
    return [settings.dispatch_alias, settings.event_alias]


def alias_state(es: Elasticsearch, alias: str) -> AliasState:
    state = AliasState(alias)
    if not es.indices.exists_alias(name=alias):
        return state
    for index, body in sorted(dict(es.indices.get_alias(name=alias)).items()):
        meta = body.get("aliases", {}).get(alias) or {}
        state.indices[index] = bool(meta.get("is_write_index"))
    answer: Any = es.cat.indices(index=",".join(state.indices), format="json", bytes="b").body
    rows: list[dict[str, Any]] = list(answer)
    for row in rows:
        name = str(row["index"])
        state.docs[name] = int(row.get("docs.count") or 0)
        state.bytes[name] = int(row.get("pri.store.size") or row.get("store.size") or 0)
    return state


@dataclass
class Migration:
    alias: str
    source: list[str]
    target: str
    copied: int
    deleted_old: bool


def migrate(
    es: Elasticsearch,
    settings: Settings,
    alias: str,
    *,
    shards: int | None = None,
    replicas: int | None = None,
    delete_old: bool = False,
    timeout_s: float = 3600,
) -> Migration:
    """New index from the current templates (the code's mappings), every document copied
    with its version, then the alias moved to it in one atomic step. Workers must be
    stopped (they write through the alias while the copy runs)."""
    put_templates(es, settings)  # the mappings of the code now deployed
    before = alias_state(es, alias)
    if not before.indices:
        raise LookupError(f"no alias {alias}: start a worker once, or `wire index` nothing")
    existing = list(dict(es.indices.get(index=f"{alias}-*", allow_no_indices=True)))
    target = next_index(alias, [*existing, *before.indices])
    index_settings: dict[str, Any] = {}
    if shards is not None:
        index_settings["number_of_shards"] = shards
    if replicas is not None:
        index_settings["number_of_replicas"] = replicas
    es.indices.create(index=target, settings=index_settings or None)
    client = es.options(request_timeout=timeout_s)
    es.indices.refresh(index=alias)  # the copy reads by search: the last writes included
    # version_type external: each copy keeps its version, so later writes (external_gte)
    # still refuse an older version of a dispatch.
    client.reindex(
        source={"index": alias},
        dest={"index": target, "version_type": "external"},
        conflicts="proceed",
        refresh=True,
        wait_for_completion=True,
    )
    expected = int(es.count(index=alias)["count"])
    copied = int(es.count(index=target)["count"])
    if copied != expected:
        raise RuntimeError(
            f"{target} holds {copied} documents, {alias} {expected}: the alias was not moved; "
            f"delete {target} and run again with the workers stopped"
        )
    actions: list[dict[str, Any]] = [
        {"remove": {"index": index, "alias": alias}} for index in before.indices
    ]
    actions.append({"add": {"index": target, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    if delete_old:
        es.indices.delete(index=",".join(before.indices))
    return Migration(alias, sorted(before.indices), target, copied, delete_old)


@dataclass
class Rollover:
    alias: str
    old_index: str | None
    new_index: str
    conditions: dict[str, bool]
    rolled_over: bool


def rollover(
    es: Elasticsearch, settings: Settings, conditions: dict[str, Any], *, dry_run: bool
) -> list[Rollover]:
    """Both aliases to the same next generation when the dispatches' write index meets a
    condition (a dispatch written after the rollover has its events in the generation of
    the same number)."""
    states = [alias_state(es, a) for a in aliases(settings)]
    missing = [s.alias for s in states if not s.indices]
    if missing:
        raise LookupError(f"no alias {', '.join(missing)}: start a worker once first")
    existing = [i for s in states for i in dict(es.indices.get(index=f"{s.alias}-*"))]
    number = max(
        (n for s in states for n in (generation(i, s.alias) for i in existing) if n is not None),
        default=0,
    )
    lead = states[0].alias
    check = es.indices.rollover(
        alias=lead,
        new_index=f"{lead}-{number + 1:06d}",
        conditions=conditions,
        dry_run=True,
    )
    met = {str(k): bool(v) for k, v in dict(check.get("conditions") or {}).items()}
    due = any(met.values())
    results: list[Rollover] = []
    for state in states:
        new = f"{state.alias}-{number + 1:06d}"
        done = False
        if due and not dry_run:
            es.indices.rollover(alias=state.alias, new_index=new)
            done = True
        results.append(Rollover(state.alias, state.write_index, new, met, done))
    return results
