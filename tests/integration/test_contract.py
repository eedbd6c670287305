"""The API keeps its own OpenAPI document: schemathesis generates requests from it
(schema-valid and schema-violating ones) against the running service and checks every
answer against it (status codes, bodies, headers, Allow, auth, valid data accepted,
invalid data refused). Bounded for CI: 25 examples per operation (~40 s), the same on
every run of a commit (WIRE_FUZZ_RANDOM=1 draws new ones).

The service runs with its own topic and index prefixes (what it pushes lands there, not
in the other tests' data), on the session's stack. Not fuzzed: the SSE streams (they
never end; their 4xx/503 answers are covered in tests/unit/http). What no OpenAPI schema
can say is stated here, once:
- a cursor is one the service handed out (a made-up one is refused, 422);
- `since` is not after `until` (refused, 422);
- POST /v1/dispatches refuses documents by their content (empty, binary, no dispatch:
  422 + dead letter), so schema-valid bodies are not expected to be accepted there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator, FormatChecker
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from pipeline.http.app import create_app
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.settings import Settings
from pipeline.store.search import decode_cursor
from tests.integration.conftest import free_port, wire_process

pytestmark = pytest.mark.integration
ADMIN = {"X-API-Key": "test-admin"}
EXAMPLES = 25
# CI explores the same examples on every run of a commit; WIRE_FUZZ_RANDOM=1 explores new ones.
RANDOM = os.environ.get("WIRE_FUZZ_RANDOM") == "1"


@pytest.fixture(scope="module")
def fuzz_api(
    settings: Settings, wire_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    import httpx

    run = uuid.uuid4().hex[:8]
    env = wire_env | {
        "WIRE_TOPIC_PREFIX": f"fuzz{run}",
        "WIRE_INDEX_PREFIX": f"fuzz{run}",
        "WIRE_API_PORT": str(free_port()),
    }
    own = Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
    prepare_infrastructure(own)  # topics and indices exist: searches answer, not 404
    base = f"http://127.0.0.1:{own.api_port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    log = tmp_path_factory.mktemp("fuzz-api") / "api.log"
    with wire_process(["serve"], env, log, answers, "fuzzed API"):
        yield base
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    assert not errors, f"the API logged tracebacks while fuzzed: see {log}"


# The document the service serves (built from the code, as /openapi.json serves it);
# the requests go to the running service.
DOCUMENT = create_app(Settings(api_keys="k:admin")).openapi()  # type: ignore[arg-type]
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex="^/v1/stream/")
FORMATS = FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(
    lambda v: not isinstance(v, str) or bool(datetime.fromisoformat(v.replace("Z", "+00:00")))
)


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a 'schema-violating request accepted' whose request, as it
    went on the wire, is schema-valid: a query value mutated to `true` or `5` reaches the
    service as the string "true" or "5", which a string parameter allows, and a value
    mutated to an empty list is not sent at all."""
    if not isinstance(failure, AcceptedNegativeData):
        return True
    return not _sent_query_is_valid(case, response)


def _sent_query_is_valid(case: Any, response: Any) -> bool:
    meta = case.meta
    if meta is None or any(
        meta.is_negative_at(loc)
        for loc in (ParameterLocation.BODY, ParameterLocation.PATH, ParameterLocation.HEADER)
    ):
        return False
    operation = DOCUMENT["paths"][case.path][case.method.lower()]
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    for param in operation.get("parameters", []):
        if param["in"] != "query":
            continue
        values = sent.get(param["name"])
        if values is None:
            if param.get("required"):
                return False
            continue
        value: Any = values if param["schema"].get("type") == "array" else values[-1]
        validator = Draft202012Validator(param["schema"], format_checker=FORMATS)
        if not validator.is_valid(value):
            return False
    return True


def _what_no_schema_says(case: Any) -> None:
    """Keep positive cases to what the service documents in prose (see the module doc)."""
    query = case.query or {}
    cursor = query.get("cursor")
    if cursor:
        try:
            decode_cursor(str(cursor))
        except ValueError:
            del query["cursor"]
    since, until = query.get("since"), query.get("until")
    if since and until:
        try:
            if datetime.fromisoformat(str(since)) > datetime.fromisoformat(str(until)):
                query["since"], query["until"] = until, since
        except ValueError:
            pass


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_its_openapi_document(case: Any, fuzz_api: str) -> None:
    excluded = []
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _what_no_schema_says(case)
    if (case.method, case.path) == ("POST", "/v1/dispatches"):
        excluded.append(positive_data_acceptance)
    case.call_and_validate(base_url=fuzz_api, headers=ADMIN, excluded_checks=excluded, timeout=30)


def test_the_served_document_is_the_one_fuzzed(fuzz_api: str) -> None:
    import httpx

    served = httpx.get(f"{fuzz_api}/openapi.json", timeout=10).json()
    assert served == create_app(Settings()).openapi()
