"""/v1/pipeline/health, /v1/meta, /health, /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.deps import UNAUTHORIZED, Reader, Svc
from pipeline.http.health import (
    PipelineHealth,
    check,
    index_health,
    kafka_health,
    report,
    unanswered,
)
from pipeline.render.labels import event_labels

router = APIRouter()


@router.get(
    "/v1/pipeline/health",
    summary="Each dependency up or down, consumer lag, dead letters, indexing rate",
    response_model=PipelineHealth,
    responses={
        **UNAUTHORIZED,
        503: {
            "model": PipelineHealth,
            "description": "A dependency is down: the same report, with what is down and why",
        },
    },
)
async def health_detail(svc: Svc, _: Reader) -> JSONResponse:
    """Kafka and Elasticsearch are asked at the same time, each with its client timeout;
    the answer comes within about WIRE_KAFKA_REQUEST_TIMEOUT_S / WIRE_ES_REQUEST_TIMEOUT_S
    however dead a dependency is (200 when both answer, 503 otherwise)."""
    s = svc.settings

    async def bounded(address: str, seconds: float, probe: Any) -> Any:
        try:
            return await asyncio.wait_for(
                run_in_threadpool(check, address, probe), timeout=seconds + 2
            )
        except TimeoutError:
            return unanswered(address, seconds + 2)

    kafka, search = await asyncio.gather(
        bounded(s.kafka_bootstrap, s.kafka_request_timeout_s, lambda: kafka_health(s)),
        bounded(s.es_url, s.es_request_timeout_s, lambda: index_health(svc.es(), s)),
    )
    h = report(s, kafka, search)
    return JSONResponse(h.model_dump(mode="json"), status_code=200 if h.status == "ok" else 503)


@router.get("/v1/meta", summary="Event types and facets the page offers")
def meta(
    svc: Svc,
) -> dict[str, Any]:
    return {
        "event_types": list(EVENT_TYPES),
        "event_type_labels": event_labels(),
        "auth": bool(svc.keys),
    }


@router.get("/health", summary="Liveness: the service itself answers (dependencies aside)")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics(
    svc: Svc,
) -> Response:
    body = generate_latest() + generate_latest(svc.pipeline_metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
