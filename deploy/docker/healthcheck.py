#!/opt/wirestream/venv/bin/python
"""The image's HEALTHCHECK: one check for every role of the one image.

- `wire serve`: GET /health on the API port;
- `wire worker`: GET /metrics on the worker's web port (Faust's web server);
- anything else (`wire feeds run`, one-off commands): healthy while it runs.

WIRE_HEALTHCHECK_URL, when set, is checked instead. Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path


def _option(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def target(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The URL that says whether the process started as `argv` is healthy (None: no port)."""
    if env.get("WIRE_HEALTHCHECK_URL"):
        return env["WIRE_HEALTHCHECK_URL"]
    names = [Path(a).name for a in argv]
    if "wire" not in names:
        return None
    args = list(argv[names.index("wire") + 1 :])
    command = next((a for a in args if not a.startswith("-")), None)
    if command == "serve":
        port = _option(args, "--port") or env.get("WIRE_API_PORT", "8000")
        return f"http://127.0.0.1:{port}/health"
    if command == "worker":
        port = _option(args, "--web-port") or env.get("WIRE_WORKER_WEB_PORT", "6066")
        return f"http://127.0.0.1:{port}/metrics"
    return None


def wire_process() -> list[str]:
    """argv of the `wire` process in this container (PID 1, or under an init)."""
    pids = sorted((p for p in Path("/proc").glob("[0-9]*")), key=lambda p: int(p.name))
    for pid in pids:
        try:
            argv = [a.decode() for a in (pid / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if any(Path(a).name == "wire" for a in argv):
            return argv
    return []


def main() -> int:
    url = target(wire_process(), os.environ)
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
