"""Stage 2: versions and duplicates, decided from what the index already holds.

For each incoming dispatch, given the indexed state of its guid:
  new         never seen                      -> process
  newer       higher version, or same version with other content (a correction re-sent
              under the same number)          -> process, history extended
  stale       lower version than indexed      -> drop, count (never overwrite newer)
  duplicate   same guid, version and content  -> drop, count
  reextract   a duplicate extracted by older rules than the running ones -> process again
  copy        same content as another live guid (a re-send under a new id) -> drop, count
  replayed    a duplicate that is the very raw record the index copy was written from
              (same topic, partition, offset): the worker that wrote it may have died
              before publishing, so process and publish it again (at-least-once)
The index write itself stays guarded by external versioning, so two workers racing on
one guid cannot let an older version win even if both passed this gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from schemas import Dispatch, Event, EventRetraction, PubStatus, VersionRecord


class Verdict(StrEnum):
    new = "new"
    newer = "newer"
    stale = "stale_version"
    duplicate = "duplicate"
    copy = "content_duplicate"
    reextract = "reextract"
    replayed = "replayed"


@dataclass(frozen=True)
class StoredIn:
    """The concrete indices (generations behind the aliases, pipeline.store.lifecycle)
    that hold a guid's dispatch and its events. Writes of a later version go there, not
    to the aliases' write index, so that a dispatch never has two copies after a rollover."""

    dispatch: str
    events: str | None = None  # None: no event written yet


@dataclass(frozen=True)
class Known:
    """What the index holds for one guid."""

    version: int
    content_hash: str | None
    pubstatus: PubStatus
    history: tuple[VersionRecord, ...] = ()
    events: tuple[Event, ...] = ()  # the events indexed (and published) for it
    story_id: str | None = None
    extracted_by: str | None = None
    raw_position: str | None = None  # the raw record it was written from
    retractions: tuple[EventRetraction, ...] = ()  # sent with that write
    stored_in: StoredIn | None = None  # None: not known (then the aliases' write index)


@dataclass
class Gated:
    accepted: list[Dispatch] = field(default_factory=list)
    dropped: list[tuple[Dispatch, Verdict]] = field(default_factory=list)
    # guid -> the events an earlier version had: replaced in the index, and retracted
    # on the event topics where the new version no longer has them (pipeline.dedup.retractions)
    obsolete_events: dict[str, list[Event]] = field(default_factory=dict)
    reextracted: set[str] = field(default_factory=set)  # guids accepted only to re-extract
    # guids whose raw record is seen again after its write -> the retractions that write
    # sent, to send again with everything else
    replayed: dict[str, list[EventRetraction]] = field(default_factory=dict)


def merge_history(
    old: Sequence[VersionRecord], new: Sequence[VersionRecord]
) -> list[VersionRecord]:
    by_version = {r.version: r for r in old}
    by_version.update({r.version: r for r in new})
    return [by_version[v] for v in sorted(by_version)]


def decide(
    d: Dispatch,
    known: Known | None,
    hash_owner: str | None,
    extractor: str | None = None,
    position: str | None = None,
) -> Verdict:
    if known is None:
        if hash_owner is not None and hash_owner != d.guid and d.pubstatus is PubStatus.usable:
            return Verdict.copy
        return Verdict.new
    if d.version < known.version:
        return Verdict.stale
    if (
        d.version == known.version
        and d.content_hash == known.content_hash
        and d.pubstatus == known.pubstatus
    ):
        if position is not None and position == known.raw_position:
            return Verdict.replayed
        if (
            extractor is not None
            and known.pubstatus is PubStatus.usable
            and (known.extracted_by is None or known.extracted_by < extractor)
        ):
            return Verdict.reextract
        return Verdict.duplicate
    return Verdict.newer


def gate(
    dispatches: Sequence[Dispatch],
    known: dict[str, Known],
    hash_owners: dict[str, str],
    extractor: str | None = None,
    positions: Mapping[str, str] | None = None,
) -> Gated:
    """Decide a whole batch in order; later items see the effect of earlier ones.
    `extractor`: the running extraction version (re-extract what older rules produced).
    `positions`: guid -> the raw record (topic:partition:offset) it came in."""
    state = dict(known)
    owners = dict(hash_owners)
    out = Gated()
    for d in dispatches:
        k = state.get(d.guid)
        position = (positions or {}).get(d.guid)
        verdict = decide(d, k, owners.get(d.content_hash or ""), extractor, position)
        if verdict in (Verdict.stale, Verdict.duplicate, Verdict.copy):
            out.dropped.append((d, verdict))
            continue
        history = merge_history(k.history if k else (), d.history)
        accepted = d.model_copy(
            update={"history": history, "story_id": d.story_id or (k.story_id if k else None)}
        )
        # A batch may carry two versions of one guid: keep only the newest for processing.
        out.accepted = [a for a in out.accepted if a.guid != d.guid] + [accepted]
        if verdict is Verdict.reextract:
            out.reextracted.add(d.guid)
        else:
            out.reextracted.discard(d.guid)
        if verdict is Verdict.replayed and k is not None:
            out.replayed[d.guid] = list(k.retractions)
        else:
            out.replayed.pop(d.guid, None)
        if k and k.events:
            out.obsolete_events[d.guid] = list(k.events)
        state[d.guid] = Known(
            d.version, d.content_hash, d.pubstatus, tuple(history), (), accepted.story_id, extractor
        )
        if d.content_hash and d.pubstatus is PubStatus.usable:
            owners.setdefault(d.content_hash, d.guid)
    return out
