"""`wire extract` and `wire eval` run every stage in process: no Kafka, no Elasticsearch."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.settings import get_settings
from schemas import Dispatch
from tests.helpers import FIXTURES, ROOT

RENAULT = FIXTURES / "live" / "afp-fr-renault-nomination.txt"
GOLD = ROOT / "eval" / "gold"


def test_extract_json_prints_one_enriched_dispatch_per_line() -> None:
    result = CliRunner().invoke(app, ["extract", "--json", str(RENAULT)])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    d = Dispatch.model_validate(orjson.loads(line))
    assert d.language == "fr"
    assert {"per:duncan-minto", "org:renault"} <= {e.id for e in d.entities}
    assert {e.type for e in d.events} >= {"personnel.hire", "personnel.departure"}
    assert [(p.canonical, p.source) for p in d.places][:1] == [("Boulogne-Billancourt", "dateline")]
    assert "medtop:20000170" in {s.code for s in d.subjects}


def test_extract_shows_a_kill_as_the_worker_makes_it() -> None:
    """A killed version's own text is not extracted: one dispatch.killed event, in order."""
    story = FIXTURES / "formats" / "ubisoft.newsmlg2.xml"
    kill = FIXTURES / "versions" / "ubisoft-v4-kill.newsmlg2.xml"
    result = CliRunner().invoke(app, ["extract", "--json", str(story), str(kill)])
    assert result.exit_code == 0, result.output
    v1, v4 = (Dispatch.model_validate(orjson.loads(line)) for line in result.stdout.splitlines())
    assert (v1.version, v4.version) == (1, 4)
    assert [e.type for e in v1.events] == ["investment"]
    assert [(e.type, e.dispatch_version) for e in v4.events] == [("dispatch.killed", 4)]
    assert v4.entities == []


def test_extract_readable_lists_places_and_topics() -> None:
    result = CliRunner().invoke(app, ["extract", str(RENAULT)])
    assert result.exit_code == 0, result.output
    assert "place BOULOGNE-BILLANCOURT → Boulogne-Billancourt (city, FR)" in result.stdout
    assert "topic medtop:20000170 business information" in result.stdout


def test_eval_json_scores_a_split_and_refuses_a_missing_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--split", "heldout", "--json"])
    assert result.exit_code == 0, result.output
    [report] = orjson.loads(result.stdout)
    assert report["split"] == "heldout" and report["dispatches"] == 32
    assert 0 < report["events"]["all"]["f1"] <= 1
    missing = CliRunner().invoke(app, ["eval", "--gold", str(tmp_path)])
    assert missing.exit_code == 2 and "no gold split" in missing.output


def test_commands_that_need_elasticsearch_say_so_when_it_is_not_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRE_ES_URL", "http://127.0.0.1:9")  # nothing listens on port 9
    get_settings.cache_clear()
    try:
        for args in (["search", "Renault"], ["reextract", "--dry-run"]):
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 3, (args, result.output)
            assert "cannot reach Elasticsearch at http://127.0.0.1:9" in result.output
    finally:
        get_settings.cache_clear()
