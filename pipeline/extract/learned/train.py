"""Rebuild the learned models from the gold set: `python -m eval.train` (this module).

    python -m eval.train                      # dev splits -> pipeline/extract/learned/*.json
    python -m eval.train --splits dev dev-b   # which development splits to learn from
    python -m eval.train --check dev-c        # also print accuracy on a split kept out

Deterministic: the same gold files give the same weights (full-batch L-BFGS from zeros,
features sorted). Blind splits are refused: no `heldout*` split is read here until it is spent
(measured once and reported; `pipeline.extract.evaluate.SPENT_SPLITS`).

Training data:
- entity typer: every name the pipeline finds in a dispatch (the model's entities and the
  pattern / knowledge-list additions, before any type repair), labelled with the type of
  the gold entity that has its form (PER, ORG, LOC), OTHER where no gold entity does
  (names in `ignore` are left out);
- event triggers: every verb and noun of a dispatch, labelled with the event type it is
  the trigger of, or none: the token a rule anchored an event on that matches a gold
  event or non-fact (type and roles), and for a gold event the rules missed, the lowest
  verb or noun governing all its role fillers in the parse (of the sentence naming most
  of them). The status (asserted, denied ...) stays with the cues.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from spacy.tokens import Doc

from pipeline.extract.learned import LinearModel, path_of
from pipeline.extract.learned.features import (
    CONTENT,
    NO_EVENT,
    mention_features,
    token_features,
)

GOLD = Path("eval/gold")
# Rows whose weights all stay under this are left out of the shipped file (size, not score).
PRUNE = 0.02
DEFAULT_SPLITS = ("dev", "dev-b", "dev-c", "heldout", "heldout2", "heldout3", "heldout4")


@dataclass
class Example:
    features: list[str]
    labels: set[str]
    vector: list[float] | None = None


def _refuse_blind(name: str) -> None:
    from pipeline.extract.evaluate import is_blind

    if is_blind(name):
        raise SystemExit(f"refused: {name!r} is a blind split; training never reads it")


def load_split(name: str, gold_dir: Path = GOLD) -> list[tuple[Any, Doc, Any]]:
    """(gold dispatch, parsed doc) for every dispatch of a development split."""
    from connectors.sources.files import read_file
    from pipeline.extract.evaluate import load_gold
    from pipeline.extract.nlp import load_model
    from pipeline.extract.normalise import normalise

    _refuse_blind(name)
    gold = load_gold(gold_dir / f"{name}.toml")
    out: list[tuple[Any, Doc, Any]] = []
    for g in gold:
        r = read_file(g.file, received_at=datetime.now(UTC), max_bytes=1 << 22)
        d = normalise(r.dispatches[0])
        if d.language not in ("fr", "en"):
            continue
        out.append((g, load_model(d.language)(d.text), d))
    return out


def entity_examples(data: Sequence[tuple[Any, Doc, Any]]) -> list[Example]:
    from pipeline.extract.entities import candidate_mentions, slug
    from pipeline.extract.evaluate import GoldDispatch

    out: list[Example] = []
    for g, doc, _ in data:
        assert isinstance(g, GoldDispatch)
        for m in candidate_mentions(doc):
            key = slug(m.text)
            if not key or key in g.ignore:
                continue
            label = next((e.type.value for e in g.entities if key in e.keys), "OTHER")
            feats = mention_features(doc, m.start, m.end, m.text, m.type.value, doc.lang_)
            out.append(Example(feats, {label}))
    return out


def _filler_tokens(doc: Doc, sent: Any, names: Sequence[str]) -> list[Any]:
    """The tokens of each role filler named in `sent` (first occurrence of any form)."""
    low = sent.text.lower()
    out = []
    for n in names:
        at = low.find(n.lower())
        if at < 0:
            continue
        span = doc.char_span(sent.start_char + at, sent.start_char + at + len(n), "expand")
        if span is not None and len(span):
            out.append(span.root)
    return out


def _projected_trigger(fillers: Sequence[Any]) -> Any:
    """Where a missed event's trigger most likely sits: the lowest verb or noun above all
    its role fillers in the parse (the filler's own governor when there is one filler)."""
    doc = fillers[0].doc
    chains: list[list[int]] = []
    for t in fillers:
        chain = [t.i]
        while doc[chain[-1]].head.i != chain[-1] and len(chain) < 64:
            chain.append(doc[chain[-1]].head.i)
        chains.append(chain)
    own = {t.i for t in fillers}
    for i in chains[0]:
        if all(i in c for c in chains[1:]) and doc[i].pos_ in CONTENT and i not in own:
            return doc[i]
    return None


def trigger_examples(data: Sequence[tuple[Any, Doc, Any]]) -> list[Example]:
    """Every verb and noun, labelled with the event type it is the trigger of (or none):
    the tokens the rules anchored the events that match a gold event or non-fact on, and,
    for a gold event the rules missed, the token `_projected_trigger` finds."""
    from pipeline.extract.batch import enrich_with_doc
    from pipeline.extract.evaluate import GoldDispatch, event_matches
    from pipeline.extract.events import rules

    out: list[Example] = []
    for g, doc, dispatch in data:
        assert isinstance(g, GoldDispatch)
        rules.TRACE = []
        try:
            done = enrich_with_doc(dispatch, doc)
            trace = list(rules.TRACE)
        finally:
            rules.TRACE = None
        forms = {
            e.id: frozenset([*(_slug(n) for n in (e.name, *e.aliases))]) for e in done.entities
        }
        label: dict[int, str] = {}
        for gold_ev in (*g.events, *g.non_facts):
            hit = next(
                (p for p in (*done.events, *done.non_facts) if event_matches(g, gold_ev, p, forms)),
                None,
            )
            if hit is not None:
                for eid, i in trace:
                    if eid == hit.id:
                        label.setdefault(i, gold_ev.type)
                continue
            if gold_ev.status != "asserted":
                continue
            names = [n for ns in gold_ev.roles.values() for n in ns]
            best = None
            for sent in doc.sents:
                toks = _filler_tokens(doc, sent, names)
                if toks and (best is None or len(toks) > len(best)):
                    best = toks
            if best:
                t = _projected_trigger(best)
                if t is not None:
                    label.setdefault(t.i, gold_ev.type)
        tensor = doc.tensor
        for tok in doc:
            if tok.pos_ not in CONTENT:
                continue
            out.append(
                Example(
                    token_features(tok, doc.lang_),
                    {label.get(tok.i, NO_EVENT)},
                    [float(v) for v in tensor[tok.i]],
                )
            )
    return out


def _slug(name: str) -> str:
    from pipeline.extract.entities import slug

    return slug(name)


def _matrix(examples: Sequence[Example], vocab: dict[str, int]) -> sparse.csr_matrix:
    rows, cols = [], []
    for i, ex in enumerate(examples):
        for f in set(ex.features):
            j = vocab.get(f)
            if j is not None:
                rows.append(i)
                cols.append(j)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(examples), len(vocab)))


def fit(
    examples: Sequence[Example],
    labels: Sequence[str],
    l2: float,
    multilabel: bool,
    min_count: int = 2,
    name: str = "",
) -> LinearModel:
    """Logistic regression (softmax, or one sigmoid per label), L2, L-BFGS from zeros."""
    counts = Counter(f for ex in examples for f in set(ex.features))
    for ex in examples[:1]:
        counts.update({f"v{k}": min_count for k in range(len(ex.vector or ()))})
    vocab = {f: j for j, f in enumerate(sorted(f for f, c in counts.items() if c >= min_count))}
    x = _matrix(examples, vocab)
    n, d, k = x.shape[0], x.shape[1], len(labels)
    y = np.zeros((n, k))
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            if lab in labels:
                y[i, labels.index(lab)] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        z = x @ w + b
        if multilabel:
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            ll = -np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        else:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(axis=1, keepdims=True)
            ll = -np.sum(y * np.log(p + 1e-12))
        g = p - y
        gw = x.T @ g + l2 * w
        gb = g.sum(axis=0)
        value = float(ll + 0.5 * l2 * np.sum(w * w))
        return value, np.concatenate([np.asarray(gw).ravel(), gb])

    theta0 = np.zeros(d * k + k)
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    w = res.x[: d * k].reshape(d, k)
    b = res.x[d * k :]
    inv = sorted(vocab, key=vocab.__getitem__)
    weights = {
        f: tuple(float(v) for v in w[j]) for j, f in enumerate(inv) if np.max(np.abs(w[j])) >= PRUNE
    }
    meta: dict[str, object] = {
        "name": name,
        "examples": n,
        "features": len(weights),
        "l2": l2,
        "multilabel": multilabel,
        "label_counts": {lab: int(y[:, i].sum()) for i, lab in enumerate(labels)},
    }
    return LinearModel(tuple(labels), weights, tuple(float(v) for v in b), meta)


ENTITY_LABELS = ("PER", "ORG", "LOC", "OTHER")


def event_labels() -> tuple[str, ...]:
    from pipeline.extract.events.types import EVENT_TYPES, KILLED

    return tuple(t for t in EVENT_TYPES if t != KILLED)


def accuracy(model: LinearModel, examples: Sequence[Example]) -> str:
    right = sum(
        1
        for ex in examples
        if max(model.probabilities(ex.features, ex.vector).items(), key=lambda kv: kv[1])[0]
        in ex.labels
    )
    return f"accuracy {right}/{len(examples)} = {right / max(1, len(examples)):.3f}"


def trigger_scores(model: LinearModel, examples: Sequence[Example], floor: float) -> str:
    """Precision / recall of the trigger words (any label but none) at `floor`."""
    tp = fp = fn = 0
    for ex in examples:
        probs = model.probabilities(ex.features, ex.vector)
        best = max(probs, key=lambda k: probs[k])
        pred = best if best != NO_EVENT and probs[best] >= floor else NO_EVENT
        gold = next(iter(ex.labels))
        if pred != NO_EVENT and pred == gold:
            tp += 1
        else:
            fp += pred != NO_EVENT
            fn += gold != NO_EVENT
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * p * r / max(1e-9, p + r)
    return f"triggers at {floor}: P {p:.2f} R {r:.2f} F1 {f1:.2f} (tp {tp} fp {fp} fn {fn})"


def _readable_json(model: LinearModel) -> str:
    """The model as JSON, one feature per line (a retrained model diffs line by line)."""
    data = model.to_json()
    weights = data.pop("weights")
    assert isinstance(weights, dict)
    head = json.dumps(data, ensure_ascii=False, sort_keys=True)[:-1]
    rows = ",\n".join(
        f"{json.dumps(f, ensure_ascii=False)}: {json.dumps(w)}" for f, w in sorted(weights.items())
    )
    return f'{head}, "weights": {{\n{rows}\n}}}}\n'


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--splits", nargs="+", default=list(DEFAULT_SPLITS))
    ap.add_argument("--check", nargs="*", default=[], help="splits to score, not trained on")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--gold", type=Path, default=GOLD, help="gold set folder")
    ap.add_argument("--entity-l2", type=float, default=1.0)
    ap.add_argument("--event-l2", type=float, default=0.1)
    args = ap.parse_args(argv)
    for name in (*args.splits, *args.check):
        _refuse_blind(name)
    t0 = time.process_time()
    data = [x for name in args.splits for x in load_split(name, args.gold)]
    ent = entity_examples(data)
    trig = trigger_examples(data)
    typer = fit(ent, ENTITY_LABELS, args.entity_l2, False, name="entity_typer")
    triggers = fit(trig, (*event_labels(), NO_EVENT), args.event_l2, False, name="event_trigger")
    for model in (typer, triggers):
        model.meta["trained_on"] = list(args.splits)
    print(
        f"trained on {', '.join(args.splits)}: {len(data)} dispatches, {len(ent)} names, "
        f"{len(trig)} verbs and nouns, {time.process_time() - t0:.0f} CPU s"
    )
    print(f"  entity typer, training set: {accuracy(typer, ent)}")
    print(f"  event triggers, training set: {trigger_scores(triggers, trig, 0.5)}")
    for name in args.check:
        held = load_split(name, args.gold)
        print(f"  entity typer on {name}: {accuracy(typer, entity_examples(held))}")
        held_trig = trigger_examples(held)
        for floor in (0.3, 0.5, 0.7):
            print(f"  event triggers on {name}: {trigger_scores(triggers, held_trig, floor)}")
    if not args.no_write:
        for model in (typer, triggers):
            path = path_of(str(model.meta["name"]))
            path.write_text(_readable_json(model), encoding="utf-8")
            print(f"  wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
