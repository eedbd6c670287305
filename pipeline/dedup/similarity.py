"""Near-duplicates: MinHash over word shingles, LSH bands stored in the index.

Each dispatch gets a 64-permutation MinHash of its 4-word shingles. The signature is
cut into 16 bands of 4 rows; each band becomes a keyword (`lsh_bands`), so finding
candidates is one terms query. Candidates whose estimated Jaccard similarity reaches
THRESHOLD share a story id: the same story from two agencies, or lightly rewritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 4
THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


# The permutations depend only on (num_perm, seed): drawn once, not for every dispatch.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=7)


def signature(text: str) -> list[int]:
    mh = MinHash(
        num_perm=NUM_PERM, seed=7, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme
    )
    mh.update_batch([s.encode() for s in shingles(text)])
    return [int(v) for v in mh.hashvalues]


def bands(sig: Sequence[int]) -> list[str]:
    out = []
    for b in range(BANDS):
        chunk = ",".join(str(v) for v in sig[b * ROWS : (b + 1) * ROWS])
        out.append(f"{b}:{hashlib.blake2b(chunk.encode(), digest_size=8).hexdigest()}")
    return out


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    return float(np.mean(np.asarray(a, dtype=np.uint64) == np.asarray(b, dtype=np.uint64)))


@dataclass(frozen=True)
class Candidate:
    guid: str
    story_id: str
    signature: tuple[int, ...]


class StoryFinder:
    """Candidates kept as one signature matrix, so that finding a dispatch's nearest
    look-alike is one vectorised comparison (a Python loop over pairs cost the worker
    ~25% of its event loop at 55-dispatch batches with 100 candidates: bench/README.md)."""

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self._signatures = np.empty((64, NUM_PERM), dtype=np.uint64)
        self._stories: list[str] = []
        self._by_guid: dict[str, str] = {}
        for c in candidates:
            self.add(c)

    def add(self, c: Candidate) -> None:
        self._by_guid.setdefault(c.guid, c.story_id)
        if len(c.signature) != NUM_PERM:
            return  # not comparable (another MinHash width)
        n = len(self._stories)
        if n == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[n] = c.signature
        self._stories.append(c.story_id)

    def story_for(self, guid: str, sig: Sequence[int]) -> str:
        """The story id of this guid if known, else of the most similar candidate at or
        above THRESHOLD (the first of equals), else the guid itself."""
        if guid in self._by_guid:
            return self._by_guid[guid]
        n = len(self._stories)
        if not n or len(sig) != NUM_PERM:
            return guid
        scores = (self._signatures[:n] == np.asarray(sig, dtype=np.uint64)).mean(axis=1)
        best = int(np.argmax(scores))
        return self._stories[best] if scores[best] >= THRESHOLD else guid
