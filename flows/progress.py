"""A run's progress artifact: created once the run has gone on for a while, then written at
most every few seconds.

Every update of a progress artifact is a write on the Prefect server. A re-run settles its known
files in batches of up to 64, and reporting each document of a batch on its own cost as many
writes in one burst. On the temporary server's SQLite, with a group's lanes side by side, such
bursts met the other lanes' writes; the server answered 503 and Prefect's client waited each one
out (2, 4, 8 … s), which held a lane for up to half a minute.

A run over within seconds shows no progress artifact at all: its state and summary say all
there is, and a group of hundreds of small portal entries made one artifact and three or four
updates per entry (bench/national.py: 14 % of its API requests). A long run's artifact moves
every 5 s rather than every second: an operator reads no more from the finer steps, and the real
set's first run (190 s) wrote 180 updates, a second of the Prefect server's CPU in ten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact

# A run shorter than this shows no progress artifact.
SHOW_PROGRESS_AFTER_SECONDS = 10.0
# Then its artifact is written at most this often (and when the run's documents are all done).
PROGRESS_EVERY_SECONDS = 5.0


class ThrottledProgress:
    """Call it with each new share done (0–1); ``update`` gets the latest share when
    ``min_interval`` seconds have passed since the last one it got, or when the share is whole,
    but never before ``hold_first`` seconds from its creation. ``flush`` hands over a share
    held back (within ``hold_first``: none)."""

    def __init__(
        self,
        update: Callable[[float], object],
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        hold_first: float = 0.0,
    ) -> None:
        self._update = update
        self._min_interval = min_interval
        self._clock = clock
        self._sent: float | None = None
        self._sent_at = float("-inf")
        self._latest: float | None = None
        self._shown_from = clock() + hold_first

    def __call__(self, share: float) -> None:
        self._latest = share
        now = self._clock()
        if share >= 1.0 or now - self._sent_at >= self._min_interval:
            self._send(now)

    def flush(self) -> None:
        self._send(self._clock())

    def _send(self, now: float) -> None:
        if self._latest is None or self._latest == self._sent or now < self._shown_from:
            return
        self._update(self._latest)
        self._sent, self._sent_at = self._latest, now


class ProgressArtifact:
    """A progress artifact of the current run, created by its first update (in percent)."""

    def __init__(self, key: str, description: str) -> None:
        self._key = key
        self._description = description
        self._id: UUID | None = None

    def __call__(self, share: float) -> None:
        if self._id is None:
            self._id = create_progress_artifact(100.0 * share, key=self._key, description=self._description)
        else:
            update_progress_artifact(self._id, 100.0 * share)


def run_progress(key: str, description: str, clock: Callable[[], float] = time.monotonic) -> ThrottledProgress:
    """The progress of a run's documents: an artifact once the run has gone on for
    ``SHOW_PROGRESS_AFTER_SECONDS``, updated at most every ``PROGRESS_EVERY_SECONDS``."""
    return ThrottledProgress(
        ProgressArtifact(key, description), PROGRESS_EVERY_SECONDS, clock, hold_first=SHOW_PROGRESS_AFTER_SECONDS
    )
