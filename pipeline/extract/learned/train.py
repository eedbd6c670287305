"""Rebuild the learned models from the gold set: `python -m eval.train` (this module).

    python -m eval.train                      # dev splits -> pipeline/extract/learned/*.json
    python -m eval.train --splits dev dev-b   # which development splits to learn from
    python -m eval.train --check dev-c        # also print accuracy on a split kept out
    python -m eval.train --only role_filler   # one model alone (here on ROLE_FILLER_SPLITS)
    python -m eval.train --leave-out heldout4 # role filler: train without X, score X with
                                              # the rules alone and with the model

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
- role filler (its own split list, `ROLE_FILLER_SPLITS`): for every trigger a rule read,
  every name the filler reads (pipeline.extract.events.filler.candidates), labelled with
  its role in the gold event or non-fact of that type sharing most names with them, none
  where it has no role there.
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
    NO_ROLE,
    mention_features,
    token_features,
)

GOLD = Path("eval/gold")
# Rows whose weights all stay under this are left out of the shipped file (size, not score).
PRUNE = 0.02
# Every readable split: the spent held-out splits and the development splits, among them the
# six written for round 11 by six more hands (dev-d ... dev-i, eval/README.md).
DEFAULT_SPLITS = (
    *("dev", "dev-b", "dev-c", "dev-d", "dev-e", "dev-f", "dev-g", "dev-h", "dev-i"),
    *("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6"),
)
# The role filler's own list (the same since round 11).
ROLE_FILLER_SPLITS = DEFAULT_SPLITS
MODELS = ("entity_typer", "event_trigger", "role_filler")
ROLE_L2 = 1.0


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


def _traced(dispatch: Any, doc: Doc, trace: str) -> tuple[Any, list[Any]]:
    """The dispatch extracted with one of the rules' trace lists on (`rules.TRACE`,
    `rules.ROLE_TRACE`), and what it recorded; the list is off again afterwards."""
    from pipeline.extract.batch import enrich_with_doc
    from pipeline.extract.events import rules

    setattr(rules, trace, [])
    try:
        done = enrich_with_doc(dispatch, doc)
        return done, list(getattr(rules, trace))
    finally:
        setattr(rules, trace, None)


def _entity_forms(done: Any) -> dict[str, frozenset[str]]:
    """Each extracted entity's id -> the slugs of its name and aliases."""
    return {e.id: frozenset(_slug(n) for n in (e.name, *e.aliases)) for e in done.entities}


def trigger_examples(data: Sequence[tuple[Any, Doc, Any]]) -> list[Example]:
    """Every verb and noun, labelled with the event type it is the trigger of (or none):
    the tokens the rules anchored the events that match a gold event or non-fact on, and,
    for a gold event the rules missed, the token `_projected_trigger` finds."""
    from pipeline.extract.evaluate import GoldDispatch, event_matches

    out: list[Example] = []
    for g, doc, dispatch in data:
        assert isinstance(g, GoldDispatch)
        done, trace = _traced(dispatch, doc, "TRACE")
        forms = _entity_forms(done)
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


def role_examples(data: Sequence[tuple[Any, Doc, Any]]) -> list[Example]:
    """Every name the role filler reads (pipeline.extract.events.filler.candidates) for
    every trigger a rule read, labelled with its role in the gold event (or non-fact) of
    the trigger's type that shares most fillers with those names, none where it plays no
    role there; triggers no gold event of their type shares a name with are left out
    (their type is wrong, not their roles)."""
    return [ex for _, exs in role_examples_by_dispatch(data) for ex in exs]


def role_examples_by_dispatch(
    data: Sequence[tuple[Any, Doc, Any]],
) -> list[tuple[Any, list[Example]]]:
    from pipeline.extract.evaluate import GoldDispatch
    from pipeline.extract.events import filler

    out: list[tuple[Any, list[Example]]] = []
    saved, filler.OVERRIDE = filler.OVERRIDE, None
    try:
        for g, doc, dispatch in data:
            assert isinstance(g, GoldDispatch)
            done, trace = _traced(dispatch, doc, "ROLE_TRACE")
            forms = _entity_forms(done)
            mine: list[Example] = []
            for type_, tok, syn, in_sent, roles, around in trace:
                cands, feats = filler.candidates(type_, tok, syn, in_sent, roles, around)
                if not cands:
                    continue
                keys = [forms.get(m.entity_id) or frozenset({_slug(m.text)}) for m in cands]
                best: tuple[int, dict[int, str]] | None = None
                for gold_ev in (*g.events, *g.non_facts):
                    if gold_ev.type != type_:
                        continue
                    label: dict[int, str] = {}
                    for role, names in gold_ev.roles.items():
                        for n in names:
                            gk = g.keys_of(n)
                            for i, k in enumerate(keys):
                                if k & gk:
                                    label.setdefault(i, role)
                    if label and (best is None or len(label) > best[0]):
                        best = (len(label), label)
                if best is None:
                    continue
                for i, f in enumerate(feats):
                    mine.append(Example(f, {best[1].get(i, NO_ROLE)}))
            out.append((g, mine))
    finally:
        filler.OVERRIDE = saved
    return out


def role_labels() -> tuple[str, ...]:
    from pipeline.extract.events.filler import TYPE_ROLES

    return (*sorted({r for rs in TYPE_ROLES.values() for r in rs}), NO_ROLE)


def fit_role_filler(examples: Sequence[Example], l2: float, splits: Sequence[str]) -> LinearModel:
    model = fit(examples, role_labels(), l2, False, name="role_filler")
    model.meta["trained_on"] = list(splits)
    return model


def _score_split(name: str, data: Sequence[tuple[Any, Doc, Any]]) -> dict[str, float]:
    """Event F1 (strict) and type-only F1 of `data` as `wire eval` scores it."""
    from pipeline.extract.batch import enrich_with_doc
    from pipeline.extract.evaluate import score

    report = score(name, [g for g, _, _ in data], [enrich_with_doc(d, doc) for _, doc, d in data])
    return {
        "f1": report.event_total.f1,
        "p": report.event_total.precision,
        "r": report.event_total.recall,
        "type_only": report.event_type_only_total.f1,
        "tp": report.event_total.tp,
        "fp": report.event_total.fp,
        "fn": report.event_total.fn,
    }


def leave_one_out(
    leave_out: Sequence[str],
    splits: Sequence[str],
    gold_dir: Path,
    l2: float,
    floors: Sequence[float],
    mode: str = "role",
) -> list[dict[str, object]]:
    """For each split X of `leave_out`: the role filler trained on `splits` but X, X scored
    with the rules alone and with the rules and that model (at each floor; `mode`: how the
    two combine, pipeline.extract.events.filler.MODE). One JSON line per split."""
    from pipeline.extract.events import filler

    names = list(dict.fromkeys([*splits, *leave_out]))
    data = {n: load_split(n, gold_dir) for n in names}
    examples = {
        n: [ex for _, exs in role_examples_by_dispatch(data[n]) for ex in exs] for n in names
    }
    rows: list[dict[str, object]] = []
    for held in leave_out:
        train_on = [n for n in splits if n != held]
        model = fit_role_filler([ex for n in train_on for ex in examples[n]], l2, train_on)
        saved = filler.OVERRIDE, filler.ROLE_FLOOR, filler.MODE
        try:
            filler.OVERRIDE, filler.MODE = None, mode
            row: dict[str, object] = {"split": held, "trained_on": train_on}
            row["rules"] = _score_split(held, data[held])
            filler.OVERRIDE = model
            for floor in floors:
                filler.ROLE_FLOOR = floor
                row[f"model@{floor}"] = _score_split(held, data[held])
        finally:
            filler.OVERRIDE, filler.ROLE_FLOOR, filler.MODE = saved
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


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
    ap.add_argument(
        "--splits",
        nargs="+",
        default=None,
        help=f"default {' '.join(DEFAULT_SPLITS)} (role filler: {' '.join(ROLE_FILLER_SPLITS)})",
    )
    ap.add_argument("--only", choices=MODELS, help="rebuild this model alone")
    ap.add_argument("--check", nargs="*", default=[], help="splits to score, not trained on")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--gold", type=Path, default=GOLD, help="gold set folder")
    ap.add_argument("--entity-l2", type=float, default=1.0)
    ap.add_argument("--event-l2", type=float, default=0.1)
    ap.add_argument("--role-l2", type=float, default=ROLE_L2)
    ap.add_argument(
        "--leave-out",
        nargs="+",
        default=[],
        help="role filler: for each split X, train on the others, score X with the rules "
        "alone and with the model (nothing written)",
    )
    ap.add_argument("--floors", nargs="+", type=float, default=None, help="role filler floors")
    ap.add_argument("--role-mode", choices=("role", "event"), default="role")
    args = ap.parse_args(argv)
    for name in (*(args.splits or ()), *args.check, *args.leave_out):
        _refuse_blind(name)
    if args.leave_out:
        from pipeline.extract.events.filler import ROLE_FLOOR

        leave_one_out(
            args.leave_out,
            args.splits or ROLE_FILLER_SPLITS,
            args.gold,
            args.role_l2,
            args.floors or [ROLE_FLOOR],
            args.role_mode,
        )
        return
    wanted = [args.only] if args.only else list(MODELS)
    models: list[LinearModel] = []
    t0 = time.process_time()
    if "entity_typer" in wanted or "event_trigger" in wanted:
        splits = args.splits or list(DEFAULT_SPLITS)
        data = [x for name in splits for x in load_split(name, args.gold)]
        if "entity_typer" in wanted:
            ent = entity_examples(data)
            typer = fit(ent, ENTITY_LABELS, args.entity_l2, False, name="entity_typer")
            typer.meta["trained_on"] = list(splits)
            models.append(typer)
            print(f"  entity typer on {', '.join(splits)}, training set: {accuracy(typer, ent)}")
        if "event_trigger" in wanted:
            trig = trigger_examples(data)
            triggers = fit(
                trig, (*event_labels(), NO_EVENT), args.event_l2, False, name="event_trigger"
            )
            triggers.meta["trained_on"] = list(splits)
            models.append(triggers)
            print(f"  event triggers, training set: {trigger_scores(triggers, trig, 0.5)}")
        for name in args.check:
            held = load_split(name, args.gold)
            if "entity_typer" in wanted:
                print(f"  entity typer on {name}: {accuracy(typer, entity_examples(held))}")
            if "event_trigger" in wanted:
                held_trig = trigger_examples(held)
                for floor in (0.3, 0.5, 0.7):
                    print(
                        f"  event triggers on {name}: {trigger_scores(triggers, held_trig, floor)}"
                    )
    if "role_filler" in wanted:
        splits = args.splits or list(ROLE_FILLER_SPLITS)
        data = [x for name in splits for x in load_split(name, args.gold)]
        roles = role_examples(data)
        filler = fit_role_filler(roles, args.role_l2, splits)
        models.append(filler)
        print(f"  role filler on {', '.join(splits)}, training set: {accuracy(filler, roles)}")
        for name in args.check:
            held_roles = role_examples(load_split(name, args.gold))
            print(f"  role filler on {name}: {accuracy(filler, held_roles)}")
    print(f"  {time.process_time() - t0:.0f} CPU s")
    if not args.no_write:
        for model in models:
            path = path_of(str(model.meta["name"]))
            path.write_text(_readable_json(model), encoding="utf-8")
            print(f"  wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
