"""The extract stage in its own process: results equal the in-process ones, and a child
that dies (killed, out of memory) is replaced without losing the batch."""

from __future__ import annotations

import asyncio
import os
import signal

from pipeline.extract import extract_batch
from pipeline.nlp_runner import NlpRunner
from pipeline.normalise import normalise
from tests.helpers import FIXTURES, parse_file


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
