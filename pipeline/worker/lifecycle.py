"""Stopping and restarting the worker process.

- **Stop within a deadline.** On SIGTERM or SIGINT Faust stops its services in order:
  the agent (in-flight batches are cancelled, not acknowledged: their records come back),
  the consumer (which leaves the group: pipeline.kafka.membership), the producer, the web
  server. Each step can wait on a broker or search node that is down or frozen, so the
  signal also arms a timer thread: if the process is still there `WIRE_WORKER_STOP_TIMEOUT_S`
  later (10 s), it ends its NLP processes and exits at once. A thread, not a task: it
  fires even when the event loop is stuck.
- **Restart instead of limping.** When Faust stops on its own (a service crashed) or the
  worker asks for it (`request_restart`: the agent hit something it cannot carry on
  from), `run` does not return: it ends the NLP processes and replaces the process image
  with a fresh worker (`os.execv`, same pid, same arguments), after a backoff that grows
  with consecutive restarts. A stop that was asked for (a signal) ends the process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import faust

from pipeline.resilience import restart_delay

log = logging.getLogger("wirestream.worker")

RESTARTS_ENV = "WIRE_WORKER_RESTARTS"  # consecutive restarts, carried across exec
EXIT_STOP_OVERDUE = 128 + signal.SIGTERM

_stop_requested = threading.Event()
_restart_reason: list[str] = []
_on_stop: list[Callable[[], None]] = []


_on_start: list[Callable[[], Coroutine[Any, Any, None]]] = []


def on_start(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `factory()` as a task of the Faust worker from its start (Faust's own timers
    start only once the first partitions are assigned and the tables recovered: too late
    to watch a join that does not complete)."""
    _on_start.append(factory)


def stop_requested() -> bool:
    return _stop_requested.is_set()


def on_stop(callback: Callable[[], None]) -> None:
    """Called (in the event loop's thread) as soon as a stop signal arrives."""
    _on_stop.append(callback)


def end_children(grace_s: float = 1.0) -> None:
    """Terminate this process's multiprocessing children (the NLP processes), then kill
    whichever is still there after `grace_s`."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()


def _overdue(timeout_s: float) -> None:
    log.error("the worker did not stop within %.0f s of the signal: exiting now", timeout_s)
    try:
        end_children(grace_s=0.1)
    finally:
        logging.shutdown()
        os._exit(EXIT_STOP_OVERDUE)


class Worker(faust.Worker):
    """Faust's worker, with a deadline on stopping (class attribute, set by `run`)."""

    stop_timeout_s: float = 10.0

    def _arm(self) -> None:
        if _stop_requested.is_set():
            return
        _stop_requested.set()
        timer = threading.Timer(self.stop_timeout_s, _overdue, args=(self.stop_timeout_s,))
        timer.daemon = True
        timer.start()
        for callback in _on_stop:
            try:
                callback()
            except Exception:  # a hook must never stop the stop
                log.exception("stop hook failed")

    async def on_start(self) -> None:
        await super().on_start()
        for factory in _on_start:
            self.add_future(factory())

    def _on_sigterm(self) -> None:
        self._arm()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm()
        super()._on_sigint()


def request_restart(app: Any, reason: str) -> None:
    """Stop the Faust app so that `run` starts the worker afresh (from the event loop)."""
    if _stop_requested.is_set() or _restart_reason:
        return
    _restart_reason.append(reason)
    log.error("restarting the worker: %s", reason)
    threading.Timer(30.0, _overdue, args=(30.0,)).start()  # the same bound as a stop
    app.loop.create_task(app.stop())


def run(main: Callable[[], None], argv: list[str], stop_timeout_s: float) -> None:
    """Run the Faust worker (`main`); re-exec `argv` when it stops without being asked."""
    Worker.stop_timeout_s = stop_timeout_s
    code: object = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # a crash re-raised by mode after its loop closed
        log.exception("the worker crashed: %r", exc)
        code = 1
    if _stop_requested.is_set():
        end_children()  # at once: the interpreter's own exit would wait for them
        raise SystemExit(code)
    restarts = int(os.environ.get(RESTARTS_ENV, "0"))
    delay = restart_delay(restarts)
    reason = _restart_reason[0] if _restart_reason else f"Faust stopped (exit {code})"
    log.error("%s; starting a fresh worker in %.0f s (restart %d)", reason, delay, restarts + 1)
    end_children()
    # A stop signal during the pause ends the process (default handlers are back).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    time.sleep(delay)
    os.environ[RESTARTS_ENV] = str(restarts + 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *argv])


def healthy_for_a_while() -> None:
    """The worker has run well since its last restart: the next one starts from 1 s."""
    os.environ[RESTARTS_ENV] = "0"
