"""Learned components of extraction: small linear models trained on the gold set.

Each model is a multinomial logistic regression over sparse, readable features (words
around a name, its shape, what the spaCy model and the knowledge lists say of it; the
lemmas and dependency relations of a sentence). The weights ship with the package as
JSON (`pipeline/extract/learned/*.json`), rebuilt deterministically from the
repository's gold files by `python -m eval.train` (pipeline.extract.learned.train); they
are read once per process, at model load time (pipeline.extract.nlp). Nothing is
fetched at run time.

- `entity_typer.json`: PER / ORG / LOC / OTHER for an entity mention, a vote beside the
  context cues and knowledge lists in `pipeline.extract.entities.repair_types`.
- `event_trigger.json`: which event type (or none) a verb or noun of a parsed sentence
  names, from its lemma, its place in the parse and its tok2vec vector; read by
  `pipeline.extract.events.rules` to propose a trigger where no rule's matched (the roles
  still come from the type's role rule, the status from the cues).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
_DENSE = re.compile(r"v\d+")


@dataclass(frozen=True, eq=False)
class LinearModel:
    """Softmax over `labels` of a sum of feature weights (one row per known feature)."""

    labels: tuple[str, ...]
    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    meta: dict[str, object]

    def scores(self, features: Iterable[str], vector: Sequence[float] | None = None) -> list[float]:
        """`vector`: dense inputs, weighted by the rows named v0, v1, ... (the token's
        tok2vec output for the trigger model)."""
        get = self.weights.get
        rows = [row for f in set(features) if (row := get(f)) is not None]
        z = list(self.bias)
        for k in range(len(z)):  # label by label: the same sums, in the same order
            total = z[k]
            for row in rows:
                total += row[k]
            z[k] = total
        if vector is not None:
            for i, v in enumerate(vector):
                row = self.weights.get(f"v{i}")
                if row is not None:
                    for k, w in enumerate(row):
                        z[k] += w * v
        return z

    @cached_property
    def _table(self) -> tuple[dict[str, int], np.ndarray]:
        """Every weight row in one matrix, and each feature's row in it."""
        names = sorted(self.weights)
        matrix = np.array([self.weights[f] for f in names]).reshape(len(names), len(self.labels))
        return {f: i for i, f in enumerate(names)}, matrix

    def _sparse_scores(self, features: Iterable[str]) -> np.ndarray:
        index, matrix = self._table
        rows = [index[f] for f in set(features) if f in index]
        out: np.ndarray = np.asarray(self.bias) + matrix[rows].sum(axis=0)
        return out

    def sparse_scores(
        self, features: Sequence[Iterable[str]], columns: Sequence[int] | None = None
    ) -> np.ndarray:
        """Each input's scores (inputs x labels, or x `columns` of them) from its sparse
        features alone, with one gather over the weight matrix for all the inputs."""
        index, matrix = self._table
        rows: list[int] = []
        starts: list[int] = []
        get = index.get
        for f in features:
            starts.append(len(rows))
            rows.extend(i for i in map(get, set(f)) if i is not None)
        bias = self._bias
        picked = matrix.take(np.array(rows, dtype=np.intp), axis=0)
        if columns is not None:
            picked, bias = picked[:, columns], bias[columns]
        if rows and all(a < b for a, b in zip(starts, [*starts[1:], len(rows)], strict=True)):
            out: np.ndarray = bias + np.add.reduceat(picked, starts, axis=0)
            return out
        summed = np.zeros((len(rows) + 1, picked.shape[1]))  # an input with no known feature
        np.cumsum(picked, axis=0, out=summed[1:])
        stops = [*starts[1:], len(rows)]
        out = bias + summed[stops] - summed[starts]
        return out

    @cached_property
    def _bias(self) -> np.ndarray:
        return np.asarray(self.bias)

    @cached_property
    def dense(self) -> np.ndarray:
        """The rows v0, v1, ... as one matrix (dimensions x labels), zero where pruned."""
        n = 1 + max((int(f[1:]) for f in self.weights if _DENSE.fullmatch(f)), default=-1)
        out = np.zeros((n, len(self.labels)))
        for i in range(n):
            row = self.weights.get(f"v{i}")
            if row is not None:
                out[i] = row
        return out

    def batch_probabilities(
        self, features: Sequence[Iterable[str]], vectors: np.ndarray | None = None
    ) -> list[dict[str, float]]:
        """`probabilities` for many inputs, the dense part as one matrix product."""
        z = np.array([self._sparse_scores(f) for f in features]).reshape(-1, len(self.labels))
        if vectors is not None and len(self.dense):
            z = z + vectors @ self.dense
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        return [dict(zip(self.labels, row.tolist(), strict=True)) for row in p]

    def probabilities(
        self, features: Iterable[str], vector: Sequence[float] | None = None
    ) -> dict[str, float]:
        z = self.scores(features, vector)
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {label: v / total for label, v in zip(self.labels, e, strict=True)}

    def sigmoids(self, features: Iterable[str]) -> dict[str, float]:
        """One-vs-rest reading (multi-label models): each label's own probability."""
        return {
            label: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v))))
            for label, v in zip(self.labels, self.scores(features), strict=True)
        }

    def to_json(self) -> dict[str, object]:
        return {
            "labels": list(self.labels),
            "bias": [round(b, 3) for b in self.bias],
            "weights": {f: [round(w, 3) for w in row] for f, row in sorted(self.weights.items())},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LinearModel:
        labels = tuple(str(x) for x in data["labels"])  # type: ignore[attr-defined]
        bias = tuple(float(x) for x in data["bias"])  # type: ignore[attr-defined]
        weights = {
            str(f): tuple(float(w) for w in row)
            for f, row in data["weights"].items()  # type: ignore[attr-defined]
        }
        meta = dict(data.get("meta", {}))  # type: ignore[call-overload]
        return cls(labels, weights, bias, meta)


def path_of(name: str) -> Path:
    return HERE / f"{name}.json"


@lru_cache(maxsize=8)
def load(name: str) -> LinearModel | None:
    """The shipped model `name`, or None where it was not built (rules alone then)."""
    path = path_of(name)
    if not path.is_file():
        return None
    return LinearModel.from_json(json.loads(path.read_text(encoding="utf-8")))
