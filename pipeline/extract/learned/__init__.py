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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class LinearModel:
    """Softmax over `labels` of a sum of feature weights (one row per known feature)."""

    labels: tuple[str, ...]
    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    meta: dict[str, object]

    def scores(self, features: Iterable[str], vector: Sequence[float] | None = None) -> list[float]:
        """`vector`: dense inputs, weighted by the rows named v0, v1, ... (the token's
        tok2vec output for the trigger model)."""
        z = list(self.bias)
        for f in set(features):
            row = self.weights.get(f)
            if row is not None:
                for k, w in enumerate(row):
                    z[k] += w
        if vector is not None:
            for i, v in enumerate(vector):
                row = self.weights.get(f"v{i}")
                if row is not None:
                    for k, w in enumerate(row):
                        z[k] += w * v
        return z

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
            "bias": [round(b, 4) for b in self.bias],
            "weights": {f: [round(w, 4) for w in row] for f, row in sorted(self.weights.items())},
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
