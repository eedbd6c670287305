"""The whole per-batch flow as plain functions: raw bytes -> enriched Dispatches + dead letters.

    validate (raw topic JSON -> Dispatch) -> normalise -> extract/enrich
The Faust agent only moves bytes in and results out (pipeline/worker/app.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from pydantic import ValidationError

from pipeline.extract.batch import extract_batch
from pipeline.extract.events.types import killed_event
from pipeline.extract.memory import Memory
from pipeline.extract.normalise import normalise
from schemas import DeadLetter, Dispatch, PubStatus

log = logging.getLogger(__name__)


@dataclass
class Stage:
    ok: list[Dispatch] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    positions: dict[str, str] = field(default_factory=dict)  # guid -> raw record it came in


def _source_of(raw: bytes) -> str:
    try:
        return str(orjson.loads(raw).get("source", "unknown"))
    except (orjson.JSONDecodeError, AttributeError):
        return "unknown"


def validate_and_normalise(
    values: Sequence[bytes], keep_bytes: int, positions: Sequence[str] | None = None
) -> Stage:
    """`positions`: where each value was read (topic:partition:offset), if from Kafka."""
    out = Stage()
    for i, raw in enumerate(values):
        try:
            d = Dispatch.model_validate_json(raw)
        except ValidationError as exc:
            reason = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
            )
            out.dead.append(
                DeadLetter.of(
                    raw,
                    source=_source_of(raw),
                    stage="validate",
                    error=reason,
                    keep_bytes=keep_bytes,
                )
            )
            continue
        try:
            out.ok.append(normalise(d))
            if positions is not None:
                out.positions[d.guid] = positions[i]
        except Exception as exc:  # a bug in one dispatch's normalisation must not stop the rest
            log.exception("normalise failed for %s", d.guid)
            out.dead.append(
                DeadLetter.of(
                    raw, source=d.source, stage="normalise", error=repr(exc), keep_bytes=keep_bytes
                )
            )
    return out


def enrich(
    dispatches: Sequence[Dispatch],
    batch_size: int,
    keep_bytes: int,
    memory: Memory | None = None,
) -> Stage:
    """Extract in one nlp.pipe batch; if the batch fails, retry one by one to isolate it."""
    try:
        return Stage(ok=extract_batch(dispatches, batch_size, memory))
    except Exception:
        log.exception("batch extraction failed; isolating")
    out = Stage()
    for d in dispatches:
        try:
            out.ok.extend(extract_batch([d], batch_size, memory))
        except Exception as exc:
            out.dead.append(
                DeadLetter.of(
                    orjson.dumps(d.model_dump(mode="json")),
                    source=d.source,
                    stage="extract",
                    error=repr(exc),
                    keep_bytes=keep_bytes,
                    fmt=d.format,
                )
            )
    return out


def mark_killed(dispatches: Sequence[Dispatch]) -> list[Dispatch]:
    """Killed dispatches skip NLP: no entities or events of their own, one kill event."""
    return [
        d.model_copy(
            update={"entities": [], "amounts": [], "dates": [], "events": [killed_event(d)]}
        )
        for d in dispatches
    ]


def extract_offline(dispatches: Sequence[Dispatch], batch_size: int) -> list[Dispatch]:
    """What the worker makes of each dispatch, in order, without Kafka or the index: live
    ones extracted (one nlp.pipe batch), killed ones marked (`wire extract`)."""
    live = [d for d in dispatches if d.pubstatus is PubStatus.usable]
    extracted = iter(extract_batch(live, batch_size))
    killed = iter(mark_killed([d for d in dispatches if d.pubstatus is not PubStatus.usable]))
    return [next(extracted if d.pubstatus is PubStatus.usable else killed) for d in dispatches]
