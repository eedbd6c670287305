"""Every `--help` reads as words: flags show no value type, others TEXT / INTEGER / ..."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.base import help_type

NOISE = re.compile(r"<bool>|<str>|<int|<float|<datetime>|list\[|<Path>|<path>")


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path (typer vendors its own click: duck-typed)."""
    found = [prefix]
    for name, cmd in (getattr(group, "commands", None) or {}).items():
        found += _commands(cmd, (*prefix, name))
    return found


def test_no_help_shows_python_types_or_a_value_for_a_flag() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert ("dlq", "list") in commands and ("search",) in commands
    for path in commands:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        assert not NOISE.search(result.output), (path, result.output)
        assert re.search(r"--help(\s+-h)?\s+Show this message", result.output), (
            path,
            result.output,
        )


def test_help_type_words() -> None:
    class Flag:
        is_flag = True

    class Value:
        is_flag = False
        metavar = None

    assert help_type(Flag(), "<bool>") is None
    assert help_type(Value(), "<int range>") == "INTEGER"
    assert help_type(Value(), "<list[str]>") == "TEXT"
    assert help_type(Value(), "<list[str]>...") == "TEXT..."
    assert help_type(Value(), "<datetime>") == "DATE"
    assert help_type(Value(), "<float>") == "NUMBER"
    assert help_type(Value(), "<path>") == "PATH"
    assert help_type(Value(), "<relevance|time>") == "RELEVANCE|TIME"


def test_version_and_short_help() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"wirestream {version('wirestream')}"
    for args in (["-h"], ["search", "-h"], ["dlq", "-h"]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
        assert result.exit_code == 0 and "Usage:" in result.output, (args, result.output)


def test_unknown_event_types_are_refused_before_any_server_is_asked() -> None:
    for args in (["search", "--event", "foo"], ["subscribe", "Levée de fond"]):
        result = CliRunner().invoke(app, args, env={"WIRE_ES_URL": "http://127.0.0.1:9"})
        assert result.exit_code == 2, (args, result.output)
        assert "unknown event type" in result.output and "funding_round" in result.output
