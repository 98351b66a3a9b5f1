"""Per-host politeness: at most N requests in flight to one host, and a minimum interval
between the starts of two requests to it. One limiter serves every task thread of a run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class HostLimiter:
    def __init__(self, max_concurrent: int = 2, min_interval_seconds: float = 0.0) -> None:
        self.max_concurrent = max_concurrent
        self.min_interval = min_interval_seconds
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"HostLimiter(max_concurrent={self.max_concurrent}, min_interval={self.min_interval})"

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).hostname or ""
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.max_concurrent))
        with semaphore:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_interval
            if start > now:
                time.sleep(start - now)
            yield
