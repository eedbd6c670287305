"""`wire demo` supervises its processes (pipeline.supervisor): a child that dies is
started again; a stop is passed on and obeyed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

SUPERVISOR = """
import sys
from pipeline.supervisor import supervise
raise SystemExit(supervise(sys.argv[1:], sys.stdout.buffer, stop_timeout_s=3))
"""


def test_a_child_that_dies_is_started_again_and_a_stop_ends_both(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    child = (
        "import sys, time, pathlib\n"
        f"p = pathlib.Path({str(starts)!r}); p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        "if len(p.read_text()) < 3: sys.exit(1)\n"  # dies twice, then runs
        "time.sleep(60)\n"
    )
    sup = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not (starts.exists() and len(starts.read_text()) >= 3):
            assert time.monotonic() < deadline, "the child was not started again"
            time.sleep(0.2)
        t0 = time.monotonic()
        sup.send_signal(signal.SIGTERM)
        sup.wait(timeout=10)
        assert time.monotonic() - t0 < 8
        out = sup.stdout.read().decode() if sup.stdout else ""
        assert out.count("exited with 1; starting it again") == 2
    finally:
        if sup.poll() is None:
            sup.kill()
