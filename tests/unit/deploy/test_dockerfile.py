"""deploy/Dockerfile, offline: parsed by BuildKit's own parser (the `dockerfile` package),
then its promises: multi-stage on slim Python 3.11, models and tables built in, a non-root
runtime, a HEALTHCHECK; every `wire` command it runs is a command of the CLI, every file it
copies exists and is in the build context; the entrypoint and the healthcheck do their job."""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType

import dockerfile
import pytest

from tests.helpers import ROOT
from tests.unit.deploy.artifacts import DEPLOY, check_wire

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(DOCKERFILE)))


def stages() -> list[list[dockerfile.Command]]:
    out: list[list[dockerfile.Command]] = []
    for cmd in instructions():
        if cmd.cmd == "FROM":
            out.append([])
        if out:
            out[-1].append(cmd)
    return out


def test_multi_stage_on_slim_python_311() -> None:
    [arg] = [c for c in instructions() if c.cmd == "ARG"]
    name, _, default = arg.value[0].partition("=")
    assert default.startswith("python:3.11-slim")
    build, runtime = stages()
    assert build[0].value == (f"${{{name}}}", "AS", "build")
    assert runtime[0].value == (f"${{{name}}}", "AS", "runtime")
    copied = [c for c in runtime if c.cmd == "COPY" and "--from=build" in c.flags]
    assert copied, "the runtime takes the built virtualenv, not the sources"


def test_runtime_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    runtime = stages()[-1]
    users = [c.value[0] for c in runtime if c.cmd == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    [health] = [c for c in runtime if c.cmd == "HEALTHCHECK"]
    assert health.value[0] == "CMD"
    assert any(f.startswith("--start-period=") for f in health.flags)


def test_models_and_tables_are_built_into_the_image() -> None:
    build = stages()[0]
    runs = " ".join(c.value[0] for c in build if c.cmd == "RUN")
    assert "pip install ." in runs  # pyproject.toml pins the spaCy model packages
    assert "wire extract" in runs  # loads both models and builds the lookup tables
    env = {
        c.value[i]: c.value[i + 1]
        for c in build
        if c.cmd == "ENV"
        for i in range(0, len(c.value), 2)
    }
    runtime_env = {
        c.value[i]: c.value[i + 1]
        for c in stages()[-1]
        if c.cmd == "ENV"
        for i in range(0, len(c.value), 2)
    }
    assert env["WIRE_CACHE_DIR"] == runtime_env["WIRE_CACHE_DIR"]  # built where it is read
    assert runtime_env["WIRE_CACHE_DIR"].startswith("/opt/wirestream/")  # copied from build


def wire_commands() -> list[list[str]]:
    found = []
    for c in instructions():
        if c.cmd == "CMD" and c.json:
            found.append(list(c.value))
        if c.cmd == "RUN":
            for part in c.value[0].split("&&"):
                words = shlex.split(part.split(">")[0])
                if words and words[0] == "wire":
                    found.append(words)
    return found


def test_every_wire_command_is_a_command_of_the_cli() -> None:
    commands = wire_commands()
    assert [c[:2] for c in commands] == [["wire", "extract"], ["wire", "worker"]]
    for argv in commands:
        assert check_wire(argv)


def test_the_cli_check_bites() -> None:
    with pytest.raises(AssertionError, match="not a command"):
        check_wire(["wire", "wokrer"])
    with pytest.raises(AssertionError, match="no option --web-prot"):
        check_wire(["wire", "worker", "--web-prot", "6066"])


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules (last match wins, '!' re-includes)."""
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        pattern = pattern.replace("**/", "*")
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            excluded = not negate
    return excluded


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for c in instructions():
        if c.cmd != "COPY" or any(f.startswith("--from") for f in c.flags):
            continue
        for source in c.value[:-1]:
            assert (ROOT / source).exists(), f"line {c.start_line}: {source} does not exist"
            assert not ignored(source, patterns), f"line {c.start_line}: {source} is ignored"
    assert ignored(".venv/bin/python", patterns) and ignored(".git/config", patterns)


def healthcheck() -> ModuleType:
    spec = spec_from_file_location("wire_healthcheck", DEPLOY / "docker" / "healthcheck.py")
    assert spec and spec.loader
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_healthcheck_knows_every_role() -> None:
    target = healthcheck().target
    wire = "/opt/wirestream/venv/bin/wire"
    py = "/opt/wirestream/venv/bin/python"
    assert target([py, wire, "serve"], {}) == "http://127.0.0.1:8000/health"
    assert target([py, wire, "serve", "--port", "9000"], {}) == "http://127.0.0.1:9000/health"
    assert target([py, wire, "worker"], {}) == "http://127.0.0.1:6066/metrics"
    assert (
        target([py, wire, "worker", "--web-port", "6070"], {"WIRE_WORKER_WEB_PORT": "1"})
        == "http://127.0.0.1:6070/metrics"
    )
    assert target([py, wire, "feeds", "run"], {}) is None
    assert target([py, wire, "worker"], {"WIRE_HEALTHCHECK_URL": "http://x/y"}) == "http://x/y"


@pytest.mark.skipif(sys.platform != "linux", reason="POSIX sh")
def test_entrypoint_reads_secrets_from_files(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("s3cret\n")
    script = str(DEPLOY / "docker" / "entrypoint.sh")
    env = {
        "PATH": os.environ["PATH"],
        "WIRE_ES_API_KEY_FILE": str(key),
        "WIRE_FEEDS_FILE": "/f.yaml",
    }
    shown = subprocess.run(
        ["sh", script, "sh", "-c", 'echo "$WIRE_ES_API_KEY|${WIRE_ES_API_KEY_FILE:-}|$WIRE_FEEDS_FILE"'],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == "s3cret||/f.yaml"  # a path setting stays a path
    env["WIRE_ES_API_KEY_FILE"] = str(tmp_path / "missing")
    failed = subprocess.run(["sh", script, "true"], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "not a readable file" in failed.stderr
