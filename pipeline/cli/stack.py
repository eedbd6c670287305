"""`wire stack`: the local Kafka + Elasticsearch, and the background processes `wire demo` starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import app, fail, out

stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka + Elasticsearch (noida-db).")


app.add_typer(stack_app, name="stack", rich_help_panel="Run the pipeline")


@stack_app.command("up")
def stack_up() -> None:
    """Start Kafka + Elasticsearch locally (idempotent); waits until both answer."""
    from pipeline import stack

    try:
        out.print(stack.up(get_settings()))
    except stack.StackError as exc:
        raise fail(str(exc)) from None


@stack_app.command("down")
def stack_down() -> None:
    """Stop the local stack (data stays in WIRE_STACK_DIR)."""
    from pipeline import stack

    try:
        out.print(stack.down(get_settings()))
    except stack.StackError as exc:
        raise fail(str(exc)) from None


@stack_app.command("status")
def stack_status() -> None:
    """Does Kafka answer? Does Elasticsearch answer? Exit 0 only when both do."""
    from pipeline import stack

    s = get_settings()
    st = stack.status(s)
    out.print(f"kafka          {s.kafka_bootstrap:28} {'up' if st['kafka'] else 'DOWN'}")
    out.print(f"elasticsearch  {s.es_url:28} {'up' if st['elasticsearch'] else 'DOWN'}")
    if not all(st.values()):
        raise typer.Exit(1)


def state_dir() -> Path:
    d = get_settings().stack_dir.resolve().parent
    d.mkdir(parents=True, exist_ok=True)
    return d


def alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def gone(pidfile: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pidfile):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def start_background(name: str, args: list[str]) -> str:
    state = state_dir()
    pidfile, logfile = state / f"{name}.pid", state / f"{name}.log"
    pid = alive(pidfile)
    if pid:
        return f"{name} already running (pid {pid}, log {logfile})"
    with logfile.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile.write_text(str(proc.pid))
    return f"{name} started (pid {proc.pid}, log {logfile})"
