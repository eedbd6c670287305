"""The self-healing policy, without servers (pipeline.resilience)."""

from __future__ import annotations

import asyncio
import random

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, ConnectionTimeout, HttpHeaders
from elasticsearch import ApiError, BadRequestError

from pipeline.resilience import Readiness, Stall, backoff, item_transient, transient


def _api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(
        status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=None
    )
    return ApiError(message="x", meta=meta, body={})


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_busy_or_away_is_transient(status: int) -> None:
    assert transient(_api_error(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413])
def test_a_bad_request_is_the_records_own_fault(status: int) -> None:
    assert not transient(_api_error(status))


def test_network_failures_and_timeouts_are_transient() -> None:
    assert transient(ConnectionError("refused"))
    assert transient(ConnectionTimeout("slow"))
    assert transient(TimeoutError())
    assert transient(ConnectionRefusedError())
    assert not transient(ValueError("a bug"))
    assert not transient(KeyError("a bug"))
    assert not transient(asyncio.CancelledError())


def test_kafka_errors_that_say_they_are_retriable_are_transient() -> None:
    from aiokafka.errors import KafkaConnectionError, NodeNotReadyError, RequestTimedOutError
    from kafka.errors import MessageSizeTooLargeError

    assert transient(KafkaConnectionError())
    assert transient(NodeNotReadyError())
    assert transient(RequestTimedOutError())
    assert not transient(MessageSizeTooLargeError())


def test_bad_request_error_class_is_permanent() -> None:
    meta = ApiResponseMeta(
        status=400, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=None
    )
    assert not transient(BadRequestError(message="mapper_parsing_exception", meta=meta, body={}))


def test_bulk_items_shed_under_load_are_retried_not_dead_lettered() -> None:
    assert item_transient(429)
    assert item_transient(503)
    assert item_transient(500, "es_rejected_execution_exception")
    assert not item_transient(400, "mapper_parsing_exception")
    assert not item_transient(400, "document_parsing_exception")


def test_backoff_grows_to_its_cap_and_is_spread() -> None:
    plain = [backoff(a, first=0.5, cap=15, jitter=0) for a in range(1, 9)]
    assert plain == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    rng = random.Random(1)
    spread = {round(backoff(3, jitter=0.2, rng=rng), 3) for _ in range(20)}
    assert len(spread) > 1 and all(1.6 <= s <= 2.4 for s in spread)


def test_readiness_says_why_not() -> None:
    r = Readiness(kafka=True, search=False, assigned=True)
    assert not r.ready and r.reasons() == ["search node unreachable or refusing"]
    r.search = True
    assert r.ready and r.reasons() == []
    r.stopping = True
    assert not r.ready and r.reasons() == ["stopping"]
    assert Readiness(kafka=True, search=True).reasons() == ["no partition assigned"]


def test_a_join_that_does_not_complete_reaps_then_restarts() -> None:
    stall = Stall(join_timeout_s=60, reap_after_s=20)
    verdicts = [stall.observe(t, kafka=True, rebalancing=True, assigned=0) for t in range(0, 70, 2)]
    reaps = [i * 2 for i, v in enumerate(verdicts) if v.reap]
    restarts = [i * 2 for i, v in enumerate(verdicts) if v.restart]
    assert reaps == [20]  # once per stuck join
    assert restarts and restarts[0] == 60


def test_an_outage_is_waited_out_not_restarted() -> None:
    stall = Stall(join_timeout_s=60, progress_timeout_s=60)
    for t in range(0, 600, 2):  # Kafka down: rebalancing, nothing processed, no verdict
        v = stall.observe(t, kafka=False, rebalancing=True, assigned=0, search=False, lag=50)
        assert not v.restart and not v.reap


def test_a_worker_without_partitions_is_not_stuck() -> None:
    stall = Stall(join_timeout_s=60)
    for t in range(0, 600, 2):
        assert not stall.observe(t, kafka=True, rebalancing=False, assigned=0, lag=0).restart


def test_records_waiting_and_nothing_processed_restarts() -> None:
    stall = Stall(progress_timeout_s=100)
    assert not stall.observe(0, kafka=True, rebalancing=False, assigned=4, lag=10).restart
    stall.progressed(5)  # progress resets the clock
    assert not stall.observe(90, kafka=True, rebalancing=False, assigned=4, lag=10).restart
    assert not stall.observe(180, kafka=True, rebalancing=False, assigned=4, lag=10).restart
    v = stall.observe(200, kafka=True, rebalancing=False, assigned=4, lag=10)
    assert v.restart and "10 record(s) waiting" in v.restart


def test_no_records_waiting_is_idle_not_stuck() -> None:
    stall = Stall(progress_timeout_s=100)
    for t in range(0, 1000, 10):
        assert not stall.observe(t, kafka=True, rebalancing=False, assigned=4, lag=0).restart


def test_steady_work_resets_the_restart_backoff_once() -> None:
    stall = Stall(healthy_after_s=120)
    healthy = [
        t
        for t in range(0, 400, 2)
        if stall.observe(t, kafka=True, rebalancing=False, assigned=2, lag=0).healthy_since_restart
    ]
    assert healthy == [120]


def test_a_batch_being_worked_on_is_not_a_stall() -> None:
    stall = Stall(progress_timeout_s=100)
    for t in range(0, 500, 10):
        stall.busy()  # a long extraction: the agent keeps saying it is at work
        assert not stall.observe(t, kafka=True, rebalancing=False, assigned=4, lag=64).restart


def test_a_rebalance_recovering_its_tables_is_not_stuck_while_the_recovery_falls() -> None:
    stall = Stall(join_timeout_s=60, reap_after_s=20)
    left = 220_000
    for t in range(0, 300, 2):  # a large state on a slow machine: five minutes to read
        left -= 1_400
        v = stall.observe(t, kafka=True, rebalancing=True, assigned=4, recovering=left)
        assert not v.restart and not v.reap
    # a recovery that stops falling is stuck like any join
    verdicts = [
        stall.observe(t, kafka=True, rebalancing=True, assigned=4, recovering=left)
        for t in range(300, 380, 2)
    ]
    assert [v.reap for v in verdicts].index(True) == 9  # at 318 s: 20 s after the last fall
    assert any(v.restart for v in verdicts)
