"""A small Server-Sent Events reader for tests: a real HTTP stream read in a thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx


class SSEReader:
    def __init__(self, url: str, *, headers: dict[str, str], params: Any = None) -> None:
        self.events: queue.Queue[dict[str, str]] = queue.Queue()
        self.status: int | None = None
        self.last_id: str | None = None
        self._opened = threading.Event()
        self._response: httpx.Response | None = None
        self._closed = False
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(url, headers, params), daemon=True)
        self._thread.start()
        if not self._opened.wait(30):
            raise AssertionError(f"no response from {url}")

    def _run(self, url: str, headers: dict[str, str], params: Any) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=60)) as client,
                client.stream("GET", url, headers=headers, params=params) as resp,
            ):
                self._response = resp
                self.status = resp.status_code
                self._opened.set()
                frame: dict[str, str] = {}
                for line in resp.iter_lines():
                    if line == "":
                        if "id" in frame:
                            self.last_id = frame["id"]
                        if "data" in frame:
                            self.events.put(frame)
                        frame = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        frame[name] = frame[name] + "\n" + value if name in frame else value
        except Exception as exc:  # surfaced by next(); a closed stream ends quietly
            if not self._closed:
                self.error = exc
        finally:
            self._opened.set()

    def next(self, want: Callable[[dict[str, str]], bool], timeout: float = 60) -> dict[str, str]:
        """The first frame `want` accepts; the frames before it are returned by `skipped`."""
        deadline = time.monotonic() + timeout
        self.skipped: list[dict[str, str]] = []
        while time.monotonic() < deadline:
            try:
                frame = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if want(frame):
                return frame
            self.skipped.append(frame)
        raise AssertionError(
            f"no wanted SSE frame in {timeout}s (error {self.error!r}, skipped {self.skipped!r})"
        )

    def close(self) -> None:
        self._closed = True
        if self._response is not None:
            self._response.close()
