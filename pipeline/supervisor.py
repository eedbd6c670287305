"""Keep a process running: start it again when it dies, stop it when asked.

`wire demo` starts the worker and the API through `wire supervise NAME -- ARGS` (a small
parent process, pipeline.cli.run): when the child exits without having been asked to
(killed, crashed, out of memory), it is started again after a backoff that grows with
consecutive failures (pipeline.resilience.restart_delay) and resets once the child has
run for a while. SIGTERM / SIGINT are passed to the child; if it has not exited within
`stop_timeout_s`, it is killed. Production runs the same commands under systemd
(`Restart=always`, deploy/systemd), which does the same.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from pipeline.resilience import restart_delay

STEADY_S = 60.0  # a child that ran this long starts the backoff from 1 s again


def supervise(
    cmd: Sequence[str],
    log: IO[bytes],
    *,
    stop_timeout_s: float = 15.0,
    say: Callable[[str], None] = print,
    env: dict[str, str] | None = None,
) -> int:
    """Run `cmd` until stopped; returns the last child's exit code."""
    stop = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    restarts = 0
    code = 0
    while not stop.is_set():
        started = time.monotonic()
        child = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, env=env)
        code = _wait(child, stop, stop_timeout_s)
        if stop.is_set():
            break
        if time.monotonic() - started >= STEADY_S:
            restarts = 0
        delay = restart_delay(restarts)
        restarts += 1
        say(
            f"supervisor: {cmd[-1] if cmd else 'child'} exited with {code}; starting it again in {delay:.0f} s"
        )
        stop.wait(delay)
    return code


def _wait(child: subprocess.Popen[bytes], stop: threading.Event, stop_timeout_s: float) -> int:
    stop_seen: float | None = None
    while True:
        try:
            return child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            stop_seen = stop_seen or time.monotonic()
            if time.monotonic() - stop_seen > stop_timeout_s:
                child.kill()
