"""The fan-out window (pipeline.kafka.fanout.Window): backlog, hand-over and slow
subscribers, decided without a broker."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.kafka.fanout import HEARTBEAT, Record, Window

T, U = "wire.dispatches", "wire.alerts"


def rec(offset: int, topic: str = T, partition: int = 0) -> Record:
    return Record(topic, partition, offset, f"{topic}:{partition}:{offset}".encode())


def drain(q: asyncio.Queue[Record | None]) -> list[Record | None]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


def window(**kw: int) -> Window:
    w = Window(**kw)
    w.track((T, 0), 10)
    w.track((T, 1), 0)
    w.track((U, 0), 5)
    return w


def test_a_new_subscriber_starts_at_the_head_and_gets_what_follows() -> None:
    w = window()
    w.add(rec(10))
    m, start = w.attach([T], {})
    assert start == {(T, 0): 11, (T, 1): 0}
    assert drain(m.queue) == []
    w.add(rec(11))
    w.add(rec(5, U))  # another topic: not this subscriber's
    assert drain(m.queue) == [rec(11)]


def test_a_position_inside_the_window_replays_from_there_exactly_once() -> None:
    w = window()
    for o in range(10, 15):
        w.add(rec(o))
    assert w.covers({(T, 0): 12}, [T])
    m, start = w.attach([T], {(T, 0): 12})
    assert start[(T, 0)] == 12
    w.add(rec(15))
    assert [r.offset for r in drain(m.queue) if r] == [12, 13, 14, 15]


def test_a_position_older_than_the_window_needs_a_catch_up_reader() -> None:
    w = window(per_partition=3)
    for o in range(10, 16):
        w.add(rec(o))
    assert w.first[(T, 0)] == 13  # only the last three held
    assert not w.covers({(T, 0): 11}, [T])
    assert w.covers({(T, 0): 13}, [T])
    assert w.covers({}, [T])  # no position: the head, always covered


def test_a_record_seen_again_after_a_reconnect_is_not_sent_twice() -> None:
    w = window()
    m, _ = w.attach([T], {})
    w.add(rec(10))
    w.add(rec(10))
    assert [r.offset for r in drain(m.queue) if r] == [10]


def test_a_full_queue_drops_that_subscriber_only() -> None:
    w = window(queue_size=2)
    slow, _ = w.attach([T], {})
    fast, _ = w.attach([T], {})
    w.add(rec(10))
    w.add(rec(11))
    assert [r.offset for r in drain(fast.queue) if r] == [10, 11]
    w.add(rec(12))  # the slow one has 2 waiting: full
    assert slow.dropped and not fast.dropped
    assert drain(slow.queue)[-1] is None  # wakes up to learn it was dropped
    assert w.subscribers == 1
    w.add(rec(13))
    assert [r.offset for r in drain(fast.queue) if r] == [12, 13]


def test_detach_stops_delivery() -> None:
    w = window()
    m, _ = w.attach([T, U], {})
    w.detach(m)
    w.add(rec(10))
    assert drain(m.queue) == [] and w.subscribers == 0


@pytest.mark.parametrize("n", [1, 1000])
def test_each_record_reaches_every_subscriber(n: int) -> None:
    w = window()
    members = [w.attach([T], {})[0] for _ in range(n)]
    w.add(rec(10, partition=1))
    assert all([r.offset for r in drain(m.queue) if r] == [10] for m in members)


def test_a_heartbeat_wakes_only_idle_subscribers() -> None:
    w = window()
    idle, _ = w.attach([T], {})
    busy, _ = w.attach([U], {})
    w.add(rec(5, U))
    assert w.heartbeat() == 1
    assert drain(idle.queue) == [HEARTBEAT]
    assert drain(busy.queue) == [rec(5, U)]


def test_the_window_is_bounded_in_bytes_too() -> None:
    w = Window(per_partition=100, bytes_per_partition=40)
    w.track((T, 0), 0)
    for o in range(10):
        w.add(Record(T, 0, o, b"x" * 15))
    assert [r.offset for r in w.records[(T, 0)]] == [8, 9]  # 30 bytes held, under 40
    assert w.first[(T, 0)] == 8
