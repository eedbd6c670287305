"""What the deploy tests share: where the artifacts are, the CLI and the settings they name."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.settings import Settings
from tests.helpers import ROOT

DEPLOY = ROOT / "deploy"

# Commands that artifacts already use and that land with another branch: checked as soon
# as they are registered, skipped (with the reason) until then.
PENDING = {"feeds": "`wire feeds` comes with the live-sources work (branch sources)"}

# WIRE_<X>_FILE: read by the image's entrypoint (deploy/docker/entrypoint.sh) into WIRE_<X>.
FILE_INDIRECTIONS = {
    "WIRE_ES_API_KEY",
    "WIRE_ES_PASSWORD",
    "WIRE_KAFKA_SASL_PASSWORD",
    "WIRE_API_KEYS",
}
# Read by the image's HEALTHCHECK (deploy/docker/healthcheck.py), not by Settings.
OTHER_WIRE_VARIABLES = {"WIRE_HEALTHCHECK_URL"}


@cache
def _root() -> Any:
    """The click group behind the Typer app (typer ships its own click)."""
    return typer.main.get_command(app)


def check_wire(argv: Sequence[str]) -> bool:
    """`argv` (starting at `wire`) names a real command, and `wire <cmd> --help` works;
    every --option it passes is one that command takes. False: a PENDING command that is
    not registered yet (nothing checked)."""
    args = list(argv)
    assert args and args[0] == "wire", args
    words: list[str] = []
    command = _root()
    rest = args[1:]
    while rest and hasattr(command, "commands") and not rest[0].startswith("-"):
        name = rest.pop(0)
        sub = command.commands.get(name)
        if sub is None:
            if not words and name in PENDING:
                return False
            raise AssertionError(f"`wire {' '.join([*words, name])}` is not a command")
        words.append(name)
        command = sub
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, f"wire {' '.join(words)} --help: {result.output}"
    known = {opt for p in command.params for opt in [*p.opts, *p.secondary_opts]}
    for token in rest:
        if token.startswith("--"):
            option = token.split("=", 1)[0]
            assert option in known, f"`wire {' '.join(words)}` has no option {option}"
    return True


def check_wire_or_skip(argv: Sequence[str]) -> None:
    if not check_wire(argv):
        pytest.skip(f"{' '.join(argv[:2])}: {PENDING[argv[1]]}")


def check_wire_environment(env: Mapping[str, Any], where: str) -> None:
    """Every WIRE_* variable an artifact sets is a setting (pipeline/settings.py), one of the
    entrypoint's *_FILE indirections, or the healthcheck's own: no typo goes unnoticed."""
    fields = {f"WIRE_{name.upper()}" for name in Settings.model_fields}
    for key in env:
        if not key.startswith("WIRE_") or key in OTHER_WIRE_VARIABLES:
            continue
        if key.endswith("_FILE") and key.removesuffix("_FILE") in FILE_INDIRECTIONS:
            continue
        assert key in fields, f"{where}: {key} is not a wirestream setting"


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        if name in env:
            return env[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise KeyError(f"{name} is required: {arg}")
        return ""

    return _VAR.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def env_file(path: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out
