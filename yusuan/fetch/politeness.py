"""Per-host politeness: at most N requests in flight to one host, and a minimum interval
between the starts of two requests to it. One limiter serves every task thread of a run.

``RequestGate`` is what the HTTP layer asks for; ``HostLimiter`` is the in-process gate, and
``tasks/limits.py`` adds one backed by Prefect global concurrency limits (shared across runs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol
from urllib.parse import urlsplit


class RequestGate(Protocol):
    def slot(self, url: str) -> AbstractContextManager[None]:
        """Held from the start of a request to ``url`` until its body is read."""
        ...


class HostLimiter:
    def __init__(self, max_concurrent: int = 2, min_interval_seconds: float = 0.0) -> None:
        self.max_concurrent = max_concurrent
        self.min_interval = min_interval_seconds
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def __reduce__(self) -> tuple[type[HostLimiter], tuple[int, float]]:
        # Locks do not cross processes: a copy sent to another process (a Dask worker) starts
        # empty and limits that process only; limits across processes are Prefect's job.
        return (HostLimiter, (self.max_concurrent, self.min_interval))

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
