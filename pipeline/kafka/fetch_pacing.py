"""Pace aiokafka's fetch loop after a fetch that brought nothing.

A Kafka broker holds an empty fetch up to `fetch.max.wait.ms` (Faust asks for 1.5 s),
so an idle consumer costs nothing. A broker that answers an empty fetch at once (the
local noida-db does) makes aiokafka's background fetcher ask again in a tight loop:
an idle worker then burns ~90% of a core (bench/README.md), which on a 2-core machine
is CPU taken from spaCy, and every live-feed subscriber of the API does the same.

`install(seconds)` makes each aiokafka fetcher wait `seconds` after an empty answer
before it asks that broker again. Against a broker that long-polls this changes
nothing measurable (the pause follows a wait of up to fetch.max.wait.ms); against
one that does not, it bounds the fetch rate of an idle consumer to 1/seconds per
broker, at the price of up to `seconds` more latency for a record arriving during
the pause. It wraps one method of aiokafka's Fetcher (aiokafka is pinned in
pyproject.toml; `tests/unit/kafka/test_fetch_pacing.py` checks the wrapped method is there).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

_WRAPPED = "_wirestream_paced"
_pause_s = 0.0


def paced(original: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
    """`original` (a fetch that returns whether it brought records), then the pause
    when it brought none."""

    @functools.wraps(original)
    async def fetch(*args: Any, **kwargs: Any) -> bool:
        got_records = await original(*args, **kwargs)
        if not got_records and _pause_s > 0:
            # The broker stays marked 'in flight' while we sleep: no new fetch to it.
            try:
                await asyncio.sleep(_pause_s)
            except asyncio.CancelledError:
                # The contract of the method wrapped: cancelled (consumer closing,
                # partitions revoked) it returns, it does not raise. Fetcher.close()
                # awaits each cancelled fetch bare, and a raise there hung the
                # worker's shutdown and orphaned its NLP processes.
                return got_records
        return got_records

    setattr(fetch, _WRAPPED, True)
    return fetch


def install(seconds: float) -> None:
    """Pause `seconds` after every empty fetch, in every aiokafka consumer of this
    process; 0 switches pacing off. Idempotent."""
    global _pause_s
    _pause_s = max(0.0, seconds)
    if not getattr(Fetcher._proc_fetch_request, _WRAPPED, False):
        Fetcher._proc_fetch_request = paced(Fetcher._proc_fetch_request)


def pause_seconds() -> float:
    return _pause_s
