"""The gate's own state: what the worker has written, kept beside it instead of asked of
the index.

Three stores, each a small key -> bytes interface (`Bytes`) so that unit tests use dicts
and the worker uses Faust tables (pipeline.worker.state):

- **guids**: guid -> what the gate needs of its written version (version, content hash,
  pubstatus, history, events for retractions, story, extracted_by, the raw record and
  retractions of that write): the STATE_FIELDS of its stored document
  (pipeline.store.documents.state_source / known_from_source), zlib-compressed. In the
  worker a Table partitioned like the raw topic, so each worker holds exactly the guids
  of its partitions. One entry per guid ever written, never expired: a late v1 must
  stay stale and an old re-send a duplicate for as long as the index holds the guid.
- **owners**: content hash -> the live guid that holds that text, and when. Kept for a
  window (`Windows.owners_s`): a copy re-keyed by a feed comes within days, not years.
- **sketches**: guid -> story id, when, MinHash signature, for story look-alikes, kept
  for `Windows.stories_s` and at most `Windows.stories_max` entries. `StoryIndex`
  holds the same rows in memory by LSH band (pipeline.dedup.similarity's 16 bands of 4
  rows), so finding a batch's look-alikes is a few dictionary reads.

`look_up` answers what `pipeline.store.lookup.lookup_state` used to ask Elasticsearch;
`record` is called once a batch is written (and only for what was written).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import orjson

from pipeline.dedup.similarity import BANDS, NUM_PERM, ROWS, Candidate
from pipeline.dedup.versioning import Known, StoredIn
from pipeline.settings import Settings
from pipeline.store.documents import Delivery, known_from_source, state_source
from schemas import Dispatch, PubStatus

# The worker's tables (pipeline.worker.state) and their changelog topics.
GUIDS = "gate-guids"
OWNERS = "gate-owners"
SKETCHES = "gate-sketches"


class Bytes(Protocol):
    """Where entries live: a dict in tests and offline, a Faust table in the worker."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...

    def delete(self, key: str) -> None: ...


class Scan(Bytes, Protocol):
    """A store whose entries can be listed (the windowed ones are swept)."""

    def items(self) -> Iterable[tuple[str, bytes]]: ...


class DictStore(dict[str, bytes]):
    """A `Bytes` store in memory: unit tests, `wire state rebuild --dry-run`."""

    def set(self, key: str, value: bytes) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)


# ------------------------------------------------------------------ codecs

_GUID_V1 = b"\x01"
_SKETCH_V1 = b"\x01"
_SKETCH_HEAD = struct.Struct("<dH")  # written at (epoch s), signature length


def encode_guid(source: Mapping[str, Any]) -> bytes:
    """A guid's state (the stored shape, pipeline.store.documents.state_source)."""
    return _GUID_V1 + zlib.compress(orjson.dumps(source), 1)


def guid_source(raw: bytes) -> dict[str, Any]:
    if raw[:1] != _GUID_V1:
        raise ValueError(f"unknown guid state encoding {raw[:1]!r}")
    source = orjson.loads(zlib.decompress(raw[1:]))
    assert isinstance(source, dict)
    return source


def decode_guid(raw: bytes) -> Known:
    return known_from_source(guid_source(raw))


@dataclass(frozen=True)
class Owner:
    guid: str
    at: float  # epoch seconds of the write that made (or kept) it the owner


def encode_owner(o: Owner) -> bytes:
    return orjson.dumps({"g": o.guid, "t": o.at})


def decode_owner(raw: bytes) -> Owner:
    v = orjson.loads(raw)
    return Owner(str(v["g"]), float(v["t"]))


@dataclass(frozen=True)
class Sketch:
    story_id: str
    at: float
    signature: tuple[int, ...]


def encode_sketch(s: Sketch) -> bytes:
    sig = np.asarray(s.signature, dtype="<u8").tobytes()
    return _SKETCH_V1 + _SKETCH_HEAD.pack(s.at, len(s.signature)) + sig + s.story_id.encode("utf-8")


def decode_sketch(raw: bytes) -> Sketch:
    if raw[:1] != _SKETCH_V1:
        raise ValueError(f"unknown sketch encoding {raw[:1]!r}")
    at, n = _SKETCH_HEAD.unpack_from(raw, 1)
    start = 1 + _SKETCH_HEAD.size
    sig = np.frombuffer(raw, dtype="<u8", count=n, offset=start)
    story = raw[start + 8 * n :].decode("utf-8")
    return Sketch(story, float(at), tuple(int(v) for v in sig))


# ------------------------------------------------------------------ story index


def band_keys(sig: Sequence[int]) -> tuple[int, ...]:
    """The LSH bands of a signature (as pipeline.dedup.similarity.bands cuts them) as
    in-process ints: a tuple of ints hashes the same in every run, and an int key costs
    a fraction of the index's band strings."""
    return tuple(hash((b, *sig[b * ROWS : (b + 1) * ROWS])) for b in range(BANDS))


class StoryIndex:
    """Recent sketches by LSH band, in memory.

    Fed by every write of this worker and by the sketch table's changelog (other
    workers' writes, and recovery at start), so each worker finds look-alikes from all.
    ~1.5 KB per sketch: a row (story, when, signature bytes, band keys) and 16 band
    entries holding the guid itself, or a list when a band has several."""

    def __init__(self) -> None:
        # guid -> (story id, written at, NUM_PERM little-endian uint64, band keys);
        # insertion order = write order
        self._rows: dict[str, tuple[str, float, bytes, tuple[int, ...]]] = {}
        self._by_band: dict[int, str | list[str]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        self._rows.clear()
        self._by_band.clear()

    def put(self, guid: str, sketch: Sketch) -> None:
        if len(sketch.signature) != NUM_PERM:
            return  # not comparable (another MinHash width)
        self.drop(guid)
        keys = band_keys(sketch.signature)
        sig = np.asarray(sketch.signature, dtype="<u8").tobytes()
        self._rows[guid] = (sketch.story_id, sketch.at, sig, keys)
        for k in keys:
            members = self._by_band.get(k)
            if members is None:
                self._by_band[k] = guid
            elif isinstance(members, str):
                self._by_band[k] = [members, guid]
            else:
                members.append(guid)

    def drop(self, guid: str) -> None:
        row = self._rows.pop(guid, None)
        if row is None:
            return
        for k in row[3]:
            members = self._by_band.get(k)
            if members is None:
                continue
            if isinstance(members, str):
                if members == guid:
                    del self._by_band[k]
                continue
            if guid in members:
                members.remove(guid)
            if len(members) == 1:
                self._by_band[k] = members[0]
            elif not members:
                del self._by_band[k]

    def candidates(
        self, signatures: Mapping[str, Sequence[int]], since: float = float("-inf")
    ) -> list[Candidate]:
        """Rows sharing at least one band with any of these signatures, written at or
        after `since`, oldest first (pipeline.dedup.stories keeps the first of equals)."""
        found: set[str] = set()
        for sig in signatures.values():
            if len(sig) != NUM_PERM:
                continue
            for k in band_keys(sig):
                members = self._by_band.get(k)
                if members is None:
                    continue
                if isinstance(members, str):
                    found.add(members)
                else:
                    found.update(members)
        rows = sorted(
            ((g, self._rows[g]) for g in found if self._rows[g][1] >= since),
            key=lambda gr: gr[1][1],
        )
        return [
            Candidate(g, r[0], tuple(int(v) for v in np.frombuffer(r[2], "<u8"))) for g, r in rows
        ]

    def oldest(self) -> Iterator[tuple[str, float]]:
        """(guid, written at), oldest write first."""
        return iter(sorted(((g, r[1]) for g, r in self._rows.items()), key=lambda x: x[1]))


# ------------------------------------------------------------------ the state


@dataclass(frozen=True)
class Windows:
    owners_s: float = 7 * 86400.0
    stories_s: float = 3 * 86400.0
    stories_max: int = 20_000

    @classmethod
    def of(cls, settings: Settings) -> Windows:
        return cls(
            owners_s=settings.state_owner_window_h * 3600,
            stories_s=settings.state_story_window_h * 3600,
            stories_max=settings.state_story_max,
        )


@dataclass
class Looked:
    known: dict[str, Known] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class GateState:
    """The three stores and the story index, with what the worker asks of them."""

    guids: Bytes
    owners: Bytes
    sketches: Bytes
    index: StoryIndex
    windows: Windows = field(default_factory=Windows)

    def look_up(
        self,
        dispatches: Sequence[Dispatch],
        signatures: Mapping[str, Sequence[int]],
        now: float,
    ) -> Looked:
        """What this worker has written for these guids, which live guid holds each text,
        which recent dispatches look alike: the gate's and the story finder's inputs."""
        out = Looked()
        for guid in dict.fromkeys(d.guid for d in dispatches):
            raw = self.guids.get(guid)
            if raw is not None:
                out.known[guid] = decode_guid(raw)
        for h in dict.fromkeys(d.content_hash for d in dispatches if d.content_hash):
            owner = self._owner(h, now)
            if owner is not None:
                out.owners[h] = owner.guid
        out.candidates = self.index.candidates(signatures, now - self.windows.stories_s)
        return out

    def record(
        self,
        written: Sequence[Dispatch],
        signatures: Mapping[str, Sequence[int]],
        deliveries: Mapping[str, Delivery],
        now: float,
        stored_in: Mapping[str, StoredIn] | None = None,
    ) -> None:
        """Remember what a batch wrote (call it only with what the index accepted), and
        where (`stored_in`: the generations holding each guid)."""
        for d in written:
            raw = self.guids.get(d.guid)
            before = guid_source(raw).get("content_hash") if raw is not None else None
            where = (stored_in or {}).get(d.guid)
            self.guids.set(d.guid, encode_guid(state_source(d, deliveries.get(d.guid), where)))
            live = d.pubstatus is PubStatus.usable
            # The text this guid held before is no longer its text: it owns it no more
            # (the index would not find it under that hash either).
            if before and (before != d.content_hash or not live):
                held = self._owner(str(before), now)
                if held is not None and held.guid == d.guid:
                    self.owners.delete(str(before))
            if d.content_hash and live:
                held = self._owner(d.content_hash, now)
                if held is None or held.guid == d.guid:
                    self.owners.set(d.content_hash, encode_owner(Owner(d.guid, now)))
            sig = signatures.get(d.guid)
            if sig:
                sketch = Sketch(d.story_id or d.guid, now, tuple(int(v) for v in sig))
                self.sketches.set(d.guid, encode_sketch(sketch))
                self.index.put(d.guid, sketch)

    def _owner(self, content_hash: str, now: float) -> Owner | None:
        raw = self.owners.get(content_hash)
        if raw is None:
            return None
        owner = decode_owner(raw)
        return owner if owner.at >= now - self.windows.owners_s else None


def expired_owners(owners: Iterable[tuple[str, bytes]], now: float, w: Windows) -> list[str]:
    """Content hashes whose owner entry is older than the window."""
    return [h for h, raw in owners if decode_owner(raw).at < now - w.owners_s]


def expired_sketches(index: StoryIndex, now: float, w: Windows) -> list[str]:
    """Guids whose sketch is older than the window, or beyond the newest `stories_max`."""
    rows = list(index.oldest())
    over = max(0, len(rows) - w.stories_max)
    return [g for i, (g, at) in enumerate(rows) if i < over or at < now - w.stories_s]
