"""Entity memory across dispatches: what earlier copy taught about a name.

Each entry is keyed by a folded surface form ('general motors', 'gm') and holds the
canonical id, name and type the pipeline settled on, with votes per type. Only
confident typings teach (a context cue such as 'la start-up X', or a given name); a
bare model label never does, so one mistake cannot teach itself.

What memory changes in a later dispatch (pipeline.extract.entities):
- a name the model types without any cue takes the remembered type ('Verkor' was a
  company yesterday, it is not a person today);
- a short form alone ('GM') gets the canonical id and name learned with its long form,
  so the id stays stable across dispatches.

The worker keeps the entries in a Faust GlobalTable (changelog-backed, every worker
sees all of it) and hands each batch only the entries its texts could use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

import orjson
from pydantic import BaseModel, Field

from pipeline.extract.geo import fold
from schemas import Dispatch, EntityType

TEACHES = frozenset({"context", "name"})
_CAPITALISED_RUN = re.compile(r"[A-ZÀ-Ý][\w&'’.-]*(?:\s+(?:[A-ZÀ-Ý][\w&'’.-]*|de|du|des|of|&))*")


class KnownEntity(BaseModel):
    id: str
    name: str
    type: EntityType
    votes: dict[str, int] = Field(default_factory=dict, description="Confident typings seen")

    @property
    def settled(self) -> bool:
        """Two confident votes or more, and two thirds of them for one type."""
        total = sum(self.votes.values())
        return total >= 2 and self.votes.get(self.type.value, 0) * 3 >= total * 2

    def dumps(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def loads(cls, raw: bytes) -> KnownEntity:
        return cls.model_validate_json(raw)


Memory = Mapping[str, KnownEntity]


def lessons(dispatch: Dispatch) -> dict[str, KnownEntity]:
    """What one enriched dispatch teaches: its confidently typed entities, by every form."""
    out: dict[str, KnownEntity] = {}
    for e in dispatch.entities:
        if e.typed_by not in TEACHES:
            continue
        lesson = KnownEntity(id=e.id, name=e.name, type=e.type, votes={e.type.value: 1})
        for form in (e.name, *e.aliases):
            out[fold(form)] = lesson
    return out


def learn(old: KnownEntity | None, lesson: KnownEntity) -> KnownEntity:
    """Votes add up; the id first learned stays (stable ids); the type follows the votes."""
    if old is None:
        return lesson
    votes = dict(old.votes)
    for t, n in lesson.votes.items():
        votes[t] = votes.get(t, 0) + n
    winner = max(votes, key=lambda t: (votes[t], t == old.type.value))
    if winner == old.type.value:
        return old.model_copy(update={"votes": votes})
    return KnownEntity(id=lesson.id, name=lesson.name, type=EntityType(winner), votes=votes)


class Store(Protocol):
    """Where entries live: a dict offline, the worker's GlobalTable behind an adapter."""

    def get(self, key: str) -> KnownEntity | None: ...

    def __setitem__(self, key: str, value: KnownEntity) -> None: ...


# Past this many agreeing votes an entry is settled for good: no more changelog writes.
SETTLED_FOR_GOOD = 20


def teach(store: Store, dispatches: Iterable[Dispatch]) -> int:
    """Learn what enriched dispatches teach; returns the number of entries written."""
    written = 0
    for d in dispatches:
        for key, lesson in lessons(d).items():
            old = store.get(key)
            if (
                old is not None
                and old.type == lesson.type
                and sum(old.votes.values()) >= SETTLED_FOR_GOOD
            ):
                continue
            store[key] = learn(old, lesson)
            written += 1
    return written


def candidate_keys(text: str) -> set[str]:
    """Folded forms a text could name: capitalised runs and their word prefixes/suffixes."""
    keys: set[str] = set()
    for m in _CAPITALISED_RUN.finditer(text):
        words = m.group(0).split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 5) + 1):
                keys.add(fold(" ".join(words[i:j])))
    return keys


def snapshot(
    texts: Iterable[str], lookup: Callable[[str], KnownEntity | None]
) -> dict[str, KnownEntity]:
    """The entries a batch could use, so the whole memory never crosses a process boundary."""
    out: dict[str, KnownEntity] = {}
    for text in texts:
        for key in candidate_keys(text):
            if key not in out and (known := lookup(key)) is not None:
                out[key] = known
    return out
