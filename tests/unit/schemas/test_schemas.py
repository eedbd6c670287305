from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pipeline.extract.batch import extract_batch
from pipeline.extract.normalise import normalise
from schemas.export import HERE, MODELS, render
from tests.helpers import SEED, parse_file


@pytest.mark.parametrize("name", sorted(MODELS))
def test_committed_json_schema_matches_the_model(name: str) -> None:
    assert (HERE / name).read_text(encoding="utf-8") == render(MODELS[name]), (
        f"schemas/{name} is stale: run `python -m schemas.export`"
    )


def test_enriched_dispatch_and_events_validate_against_the_json_schemas() -> None:
    [d] = extract_batch([normalise(x) for x in parse_file(SEED)])
    dispatch_schema = json.loads(Path(HERE / "dispatch.schema.json").read_text())
    event_schema = json.loads(Path(HERE / "event.schema.json").read_text())
    jsonschema.validate(d.model_dump(mode="json"), dispatch_schema)
    assert d.events
    for e in d.events:
        jsonschema.validate(e.model_dump(mode="json"), event_schema)
    broken = d.model_dump(mode="json") | {"urgency": 12}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, dispatch_schema)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.settings import Settings

    monkeypatch.setenv("WIRE_KAFKA_BOOTSTRAP", "k1:9093,k2:9093")
    monkeypatch.setenv("WIRE_ES_URL", "https://search.example:9243")
    monkeypatch.setenv("WIRE_TOPIC_PREFIX", "prod")
    s = Settings()
    assert s.kafka_hosts == ["k1:9093", "k2:9093"]
    assert s.es_host_port == ("search.example", 9243)
    assert s.raw_topic == "prod.raw" and s.event_topic("investment") == "prod.events.investment"
