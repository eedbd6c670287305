"""Alerts at scale: what matching one indexed batch against N saved searches costs.

    python -m bench.alerts [--counts 100 1000 10000] [--docs 500] [--batch 64]

On the local stack (no percolator: `_msearch`, every saved query restricted to the
batch's ids), for each N: the time to load the saved searches (the worker's own
AlertMatcher) and to match one batch, chunk after chunk as the worker does, measured for
up to `--budget` seconds and projected to N beyond that. Then the request
the percolator path sends instead (one `percolate` query carrying the batch's documents,
whatever N) and the stored form of a saved search, as a real Elasticsearch would get them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.harness import corpus, describe, es_client, machine, private_stack
from pipeline.extract.normalise import normalise
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.store.client import make_async_es
from pipeline.store.documents import bulk_operations, dispatch_document
from pipeline.store.saved_searches import (
    SavedSearch,
    alerts_from,
    build_alert_msearch,
    build_percolate,
    percolator_entry,
    percolator_index,
    saved_search_id,
)
from pipeline.store.search import SearchQuery
from pipeline.worker.alerts import MSEARCH_CHUNK, AlertMatcher
from schemas import Dispatch

WORDS = [
    "startup",
    "levée",
    "millions",
    "euros",
    "investisseurs",
    "rachat",
    "acquisition",
    "directeur",
    "nommé",
    "financement",
    "croissance",
    "Paris",
    "Lyon",
    "Berlin",
    "London",
    "funding",
    "round",
    "investors",
    "acquires",
    "appointed",
    "chief",
    "officer",
    "battery",
    "electric",
]


def saved_searches(n: int, seed: int = 5) -> list[SavedSearch]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
        q = SearchQuery(
            text=words,
            language=rng.choice((None, None, "fr", "en")),
            provider=rng.choice((None, None, None, "AFP")),
        )
        name = f"alert {i}: {words}"
        out.append(
            SavedSearch(
                id=saved_search_id("bench", name),
                name=name,
                owner="bench",
                query=q,
                created=datetime.now(UTC),
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--counts", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--docs", type=int, default=500, help="dispatches in the index")
    ap.add_argument("--batch", type=int, default=64, help="dispatches matched at once")
    ap.add_argument(
        "--budget", type=float, default=60.0, help="seconds of matching measured per count"
    )
    args = ap.parse_args()
    print(machine())
    c = corpus(args.docs, seed=3)
    print(describe(c))
    dispatches = [normalise(Dispatch.model_validate_json(v)) for _, v in c.records]
    batch = dispatches[-args.batch :]
    print(
        f"index: {len(dispatches)} dispatches (no NLP: headline, body, language, provider); "
        f"a batch: the last {len(batch)}; _msearch chunks of {MSEARCH_CHUNK}\n"
    )
    with private_stack(1) as (settings, _env):
        prepare_infrastructure(settings)
        es = es_client(settings)
        for i in range(0, len(dispatches), 200):
            es.bulk(operations=bulk_operations(settings, dispatches[i : i + 200]), refresh=True)
        rows = asyncio.run(_measure(settings, es, batch, args.counts, args.budget))
        es.close()
    print(f"{'saved searches':>15} {'load':>9} {'match one batch':>16} {'per search':>11}")
    for n, load, match, _alerts, done in rows:
        note = "" if done == n else f"  (projected from {done} measured)"
        print(f"{n:>15,} {load:>8.2f}s {match:>15.1f}s {1000 * match / n:>9.0f}ms{note}")
    print("\nThe percolator path (a real Elasticsearch; detected at start) stores each saved")
    print(f"search in {percolator_index(settings)} (dispatch mappings + a percolator field):")
    example = saved_searches(1)[0]
    print("  " + orjson.dumps({"_id": example.id, **percolator_entry(example)}).decode())
    print("and matches a batch with ONE request, whatever the number of saved searches:")
    docs = [_short(dispatch_document(d)) for d in batch[:2]]
    body = build_percolate(docs, size=10_000)
    print(
        f"  POST {percolator_index(settings)}/_search\n  "
        + orjson.dumps(body, option=orjson.OPT_INDENT_2).decode().replace("\n", "\n  ")
    )
    print(
        f"  (shown with 2 of the batch's {len(batch)} documents, bodies cut; each hit is a "
        "saved search, fields._percolator_document_slot the documents it matched)"
    )


def _short(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("guid", "version", "pubstatus", "language", "provider", "published", "headline")
    out = {k: doc[k] for k in keep if doc.get(k) is not None}
    out["body"] = str(doc.get("body", ""))[:80] + "…"
    for k in ("orgs", "people", "places", "event_types", "subjects"):
        out[k] = doc.get(k, [])
    return out


async def _measure(
    settings: Any, es: Any, batch: list[Dispatch], counts: list[int], budget: float
) -> list[tuple[int, float, float, int, int]]:
    """Per N: load time, then the batch matched one _msearch chunk after another, as the
    worker does, until all N are done or `budget` seconds are spent (the rest is then
    projected at the measured cost per saved search)."""
    rows = []
    have: list[SavedSearch] = []
    aes = make_async_es(settings).options(request_timeout=600)
    guids = [d.guid for d in batch]
    try:
        for n in counts:
            more = saved_searches(n)[len(have) :]
            for i in range(0, len(more), 1000):
                ops: list[dict[str, Any]] = []
                for s in more[i : i + 1000]:
                    ops += [
                        {"index": {"_index": settings.saved_search_index, "_id": s.id}},
                        s.model_dump(mode="json"),
                    ]
                es.bulk(operations=ops, refresh=True)
            have += more
            matcher = AlertMatcher(settings.model_copy(update={"saved_search_refresh_s": 3600}))
            t0 = time.perf_counter()
            saved = await matcher._load(aes)  # detection + every saved search, as at a reload
            load = time.perf_counter() - t0
            assert matcher.percolator is False, "this benchmark measures the local path"
            done, alerts, spent = 0, 0, 0.0
            chunk = min(MSEARCH_CHUNK, 20)
            while done < len(saved) and spent < budget:
                part = saved[done : done + chunk]
                t0 = time.perf_counter()
                resp = await aes.msearch(
                    searches=build_alert_msearch(part, guids, settings.dispatch_alias)
                )
                spent += time.perf_counter() - t0
                alerts += len(alerts_from(part, list(resp["responses"]), batch))
                done += len(part)
            rows.append((n, load, spent * len(saved) / done, alerts, done))
            print(
                f"  {n} saved searches: load {load:.2f} s; matched {done} in {spent:.1f} s "
                f"({1000 * spent / done:.0f} ms per saved search), {alerts} alerts",
                flush=True,
            )
    finally:
        await aes.close()
    return rows


if __name__ == "__main__":
    main()
