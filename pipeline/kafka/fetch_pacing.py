"""Pace aiokafka's fetch loop after a fetch that brought nothing.

A Kafka broker holds an empty fetch up to `fetch.max.wait.ms` (Faust asks for 1.5 s),
so an idle consumer costs nothing. A broker that answers an empty fetch at once (the
local noida-db does) makes aiokafka's background fetcher ask again in a tight loop:
an idle worker then burns ~90% of a core (bench/README.md), which on a 2-core machine
is CPU taken from spaCy, and every live-feed subscriber of the API does the same.

`install(seconds)` makes each aiokafka fetcher wait `seconds` after an empty answer
before it asks that broker again, twice that after a second empty answer in a row, and
so on up to BACKOFF_CAP times `seconds`; an answer with records resets it. Against a
broker that long-polls this changes nothing measurable (the pause follows a wait of up
to fetch.max.wait.ms); against one that does not, it bounds the fetch rate of an idle
consumer to about 1/(5 × seconds) per broker (a worker busy with a batch whose records
are already fetched is idle to the fetcher too), at the price of up to 5 × `seconds`
more latency for the first record after a lull. It wraps one method of aiokafka's Fetcher (aiokafka is pinned in
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


# Empty answers in a row double the pause, up to this many times the base: a worker busy
# with a batch (its raw partitions' records already fetched, only quiet ones asked) or
# idle asks ~10 times a second, not 50; the first record after a lull waits at most this.
BACKOFF_CAP = 5


def pause_after(empty_in_a_row: int, base_s: float) -> float:
    """The pause after `empty_in_a_row` (>= 1) empty fetches in a row from one broker."""
    return float(min(base_s * 2.0 ** (empty_in_a_row - 1), base_s * BACKOFF_CAP))


def paced(original: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
    """`original` (a fetch that returns whether it brought records), then the pause
    when it brought none, longer after each empty one in a row (`pause_after`)."""
    empty: dict[tuple[int, Any], int] = {}  # (fetcher, broker) -> empty fetches in a row

    @functools.wraps(original)
    async def fetch(*args: Any, **kwargs: Any) -> bool:
        got_records = await original(*args, **kwargs)
        key = (id(args[0]), args[2]) if len(args) > 2 else (0, None)
        if got_records or _pause_s <= 0:
            empty.pop(key, None)
        else:
            n = empty[key] = min(empty.get(key, 0) + 1, 16)
            # The broker stays marked 'in flight' while we sleep: no new fetch to it.
            try:
                await asyncio.sleep(pause_after(n, _pause_s))
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
