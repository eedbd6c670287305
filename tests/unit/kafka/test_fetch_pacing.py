"""Fetch pacing: a pause after an empty fetch only, installed once on aiokafka's Fetcher."""

from __future__ import annotations

import asyncio
import inspect
import time

from aiokafka.consumer.fetcher import Fetcher

from pipeline.kafka import fetch_pacing


def test_installs_once_on_the_aiokafka_method_it_expects() -> None:
    before = Fetcher._proc_fetch_request
    try:
        fetch_pacing.install(0.01)
        fetch_pacing.install(0.02)
        wrapped = Fetcher._proc_fetch_request
        inner = wrapped.__wrapped__
        # Exactly one layer, around aiokafka's own coroutine (self, assignment, node_id, request).
        assert not hasattr(inner, "__wrapped__")
        assert inspect.iscoroutinefunction(inner)
        assert list(inspect.signature(inner).parameters) == [
            "self",
            "assignment",
            "node_id",
            "request",
        ]
        assert fetch_pacing.pause_seconds() == 0.02
    finally:
        fetch_pacing.install(0)
        Fetcher._proc_fetch_request = before


def test_pauses_after_an_empty_fetch_and_not_after_records() -> None:
    async def fetch(got: bool) -> bool:
        return got

    async def elapsed(got: bool) -> tuple[bool, float]:
        t0 = time.perf_counter()
        result = await fetch_pacing.paced(fetch)(got)
        return result, time.perf_counter() - t0

    try:
        fetch_pacing.install(0.2)
        empty, empty_s = asyncio.run(elapsed(False))
        full, full_s = asyncio.run(elapsed(True))
    finally:
        fetch_pacing.install(0)
    assert (empty, full) == (False, True)
    assert empty_s >= 0.2 > full_s  # asyncio.sleep never returns early


def test_a_fetch_cancelled_during_its_pause_returns_as_aiokafka_expects() -> None:
    """aiokafka's Fetcher.close() cancels each pending fetch and awaits it bare: the
    fetch must return, as aiokafka's own one does when cancelled, not raise."""

    async def fetch() -> bool:
        return False

    async def close_during_pause() -> tuple[bool, float]:
        task = asyncio.ensure_future(fetch_pacing.paced(fetch)())
        await asyncio.sleep(0.05)  # the fetch is done; the task sits in its pause
        t0 = time.perf_counter()
        task.cancel()
        result = await task  # raises CancelledError if the pause lets it through
        return result, time.perf_counter() - t0

    try:
        fetch_pacing.install(30.0)
        result, waited = asyncio.run(close_during_pause())
    finally:
        fetch_pacing.install(0)
    assert result is False and waited < 1.0


def test_empty_fetches_in_a_row_lengthen_the_pause_up_to_a_cap() -> None:
    pauses = [fetch_pacing.pause_after(n, 0.02) for n in range(1, 7)]
    assert pauses == [0.02, 0.04, 0.08, 0.1, 0.1, 0.1]


def test_records_bring_the_pause_back_to_its_base() -> None:
    class Fake:  # stands for aiokafka's Fetcher: (self, assignment, node_id, request)
        pass

    answers = iter([False, False, False, True, False])
    slept: list[float] = []

    async def fetch(self: Fake, assignment: object, node_id: int, request: object) -> bool:
        return next(answers)

    async def run() -> None:
        paced = fetch_pacing.paced(fetch)
        fetcher = Fake()
        for _ in range(5):
            t0 = time.perf_counter()
            await paced(fetcher, None, 1, None)
            slept.append(time.perf_counter() - t0)

    try:
        fetch_pacing.install(0.02)
        asyncio.run(run())
    finally:
        fetch_pacing.install(0)
    # 20, 40, 80 ms after three empty answers; none after records; 20 ms again after
    assert slept[0] >= 0.02 and slept[1] >= 0.04 and slept[2] >= 0.08
    assert slept[3] < 0.02 and 0.02 <= slept[4] < 0.04
