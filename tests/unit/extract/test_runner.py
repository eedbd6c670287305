"""The extract stage in its own process: results equal the in-process ones, and a child
that dies (killed, out of memory) is replaced without losing the batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.extract.batch import extract_batch
from pipeline.extract.normalise import normalise
from pipeline.extract.runner import NlpRunner
from tests.helpers import FIXTURES, ROOT, parse_file


def test_child_processes_give_the_same_events_and_survive_being_killed() -> None:
    dispatches = [
        normalise(d) for d in parse_file(FIXTURES / "live" / "afp-fr-ovhcloud-rachat.txt")
    ]
    expected = extract_batch(dispatches)
    runner = NlpRunner(in_process=False)
    try:
        first = asyncio.run(runner.run(dispatches, 16, 1024))
        assert [d.guid for d in first.ok] == [d.guid for d in dispatches]  # order kept
        assert [d.events for d in first.ok] == [d.events for d in expected]
        pool = runner._executor()
        pid = next(iter(pool._processes))  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
        again = asyncio.run(runner.run(dispatches, 16, 1024))
        assert [d.events for d in again.ok] == [d.events for d in expected]
        assert not again.dead
    finally:
        runner.close()


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except FileNotFoundError:
        return True


def test_a_child_leaves_when_its_worker_is_killed_outright(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up in the worker: its NLP child must notice and go."""
    ready = tmp_path / "child.pid"
    child = (
        "import os, time; from pipeline.extract.runner import exit_with_parent; "
        f"exit_with_parent(0.1); open({str(ready)!r}, 'w').write(str(os.getpid())); "
        "time.sleep(120)"
    )
    worker = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", worker], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()):
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.1)
        pid = int(ready.read_text())
        assert not _gone(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while not _gone(pid):
            assert time.monotonic() < deadline, "the orphaned child is still running"
            time.sleep(0.1)
    finally:
        parent.kill()
