"""A run's progress artifact, written at most about once a second.

Every update of a progress artifact is a write on the Prefect server. A re-run settles its known
files in batches of up to 64, and reporting each document of a batch on its own cost as many
writes in one burst. On the temporary server's SQLite, with a group's lanes side by side, such
bursts met the other lanes' writes; the server answered 503 and Prefect's client waited each one
out (2, 4, 8 … s), which held a lane for up to half a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ThrottledProgress:
    """Call it with each new share done (0–1); ``update`` gets the latest share when
    ``min_interval`` seconds have passed since the last one it got, or when the share is whole.
    ``flush`` hands over a share held back."""

    def __init__(
        self,
        update: Callable[[float], object],
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._update = update
        self._min_interval = min_interval
        self._clock = clock
        self._sent: float | None = None
        self._sent_at = float("-inf")
        self._latest: float | None = None

    def __call__(self, share: float) -> None:
        self._latest = share
        now = self._clock()
        if share >= 1.0 or now - self._sent_at >= self._min_interval:
            self._send(now)

    def flush(self) -> None:
        self._send(self._clock())

    def _send(self, now: float) -> None:
        if self._latest is None or self._latest == self._sent:
            return
        self._update(self._latest)
        self._sent, self._sent_at = self._latest, now
