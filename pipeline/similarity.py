"""Near-duplicates: MinHash over word shingles, LSH bands stored in the index.

Each dispatch gets a 64-permutation MinHash of its 4-word shingles. The signature is
cut into 16 bands of 4 rows; each band becomes a keyword (`lsh_bands`), so finding
candidates is one terms query. Candidates whose estimated Jaccard similarity reaches
THRESHOLD share a story id: the same story from two agencies, or lightly rewritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
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


def signature(text: str) -> list[int]:
    mh = MinHash(num_perm=NUM_PERM, seed=7)
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


def story_for(guid: str, sig: Sequence[int], candidates: Sequence[Candidate]) -> str:
    """The story id of the most similar candidate above THRESHOLD, else the guid itself."""
    best: tuple[float, str] | None = None
    for c in candidates:
        if c.guid == guid:
            return c.story_id
        score = similarity(sig, c.signature)
        if score >= THRESHOLD and (best is None or score > best[0]):
            best = (score, c.story_id)
    return best[1] if best else guid
