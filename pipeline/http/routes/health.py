"""/v1/pipeline/health, /v1/meta, /health, /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from kafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.deps import Reader, Svc
from pipeline.http.health import pipeline_health
from pipeline.render.labels import event_labels
from pipeline.store import saved_searches as saved_searches

router = APIRouter()


@router.get("/v1/pipeline/health", summary="Throughput, consumer lag, dead letters")
def health_detail(svc: Svc, _: Reader) -> dict[str, Any]:
    try:
        return pipeline_health(svc.es(), svc.settings)
    except (KafkaError, OSError) as exc:
        raise HTTPException(503, f"Kafka unavailable: {exc}") from None


@router.get("/v1/meta", summary="Event types and facets the page offers")
def meta(
    svc: Svc,
) -> dict[str, Any]:
    return {
        "event_types": list(EVENT_TYPES),
        "event_type_labels": event_labels(),
        "auth": bool(svc.keys),
    }


@router.get("/health")
def health(
    svc: Svc,
) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics(
    svc: Svc,
) -> Response:
    body = generate_latest() + generate_latest(svc.pipeline_metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
