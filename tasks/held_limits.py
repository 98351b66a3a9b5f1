"""Prefect global limits held by a run for a while, instead of asked for on every use.

On a shared server (``tasks/limits.py``) every request to a portal host wants one of the host's
slots and a start token of its rate limit, and every parse wants a slot of the extraction
limit. Asked per use, a slot costs an acquisition, a lease with its renewal thread, a release
and their events; on a SQLite-backed server, where writes queue behind the task runs' own,
that was ≈ 1 s each (a first run of the real set took 450 s there, 231 s with the server on
Postgres), and the rate limit's jittered "retry after" overshot the spacing (50 requests 0.1 s
apart took 13.2 s, 5.2 s now). So a run holds what it is using:

- **Slots linger** (``HeldSlots``). A slot is taken by a holder thread, inside Prefect's own
  ``concurrency`` context (lease renewed by Prefect), and lent to this process's uses one after
  the other. It goes back to the server once unused for ``linger`` seconds, once it has been
  held for ``max_hold`` seconds (so that a run busy for an hour does not shut another run out
  for that hour: it queues again), or when the run closes it. "N uses at once across runs"
  becomes "N slots held across runs", only stricter.
- **Rate tokens come in chunks** (``ChunkedRate``). The rate limit's slots decay at 1 / interval
  per second; this process takes them ``chunk`` at a time (a second's worth) and spends them
  at its own local spacing. Tokens not spent within ``chunk × interval`` seconds of their
  acquisition are dropped, because by then the server has handed the same capacity out again;
  tokens spent early wait for that moment before the next chunk is asked for. Across runs the
  starts stay at most ``MAX_CHUNK`` + elapsed / interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prefect.concurrency.sync import concurrency, rate_limit

# A chunk of rate tokens covers at most this many seconds of starts: a run that needs one
# request then goes quiet wastes at most this much of the host's capacity.
CHUNK_SECONDS = 1.0
MAX_CHUNK = 10
# A held slot is given back (and asked for again, behind any other run waiting) after this long.
MAX_HOLD_SECONDS = 10.0
# Decay is computed by the server from its own clock: ask a moment after the bucket should be empty.
_DECAY_MARGIN = 0.02
# Holder threads give their slot back after the slot has been unused this long.
LINGER_SECONDS = 1.0


def rate_chunk(min_interval: float) -> int:
    """Tokens taken from the rate limit at once (the limit itself has ``MAX_CHUNK`` slots)."""
    if min_interval <= 0:
        return 1
    return max(1, min(MAX_CHUNK, int(CHUNK_SECONDS / min_interval)))


@dataclass(slots=True, eq=False)
class _Held:
    """One global slot a holder thread keeps for this process."""

    taken: float
    returned: float
    give_back: threading.Event = field(default_factory=threading.Event)


@dataclass(slots=True)
class _Limit:
    held: int = 0  # slots held by holder threads (lent or idle)
    pending: int = 0  # holder threads still acquiring
    idle: list[_Held] = field(default_factory=list)
    error: BaseException | None = None


class HeldSlots:
    """One process's holdings of global concurrency limits, at most ``size`` slots of each; shared
    by the run's threads."""

    def __init__(self, size: int, linger: float = LINGER_SECONDS, max_hold: float = MAX_HOLD_SECONDS) -> None:
        self.size = size
        self.linger = linger
        self.max_hold = max_hold
        self._cond = threading.Condition()
        self._limits: dict[str, _Limit] = {}
        self._holders: list[threading.Thread] = []
        self._closing = False

    def __reduce__(self) -> tuple[type[HeldSlots], tuple[int, float, float]]:
        # Threads and leases stay in the process that took them; a copy (a Dask worker's) starts empty.
        return (HeldSlots, (self.size, self.linger, self.max_hold))

    def __repr__(self) -> str:
        return f"HeldSlots(size={self.size}, linger={self.linger}, max_hold={self.max_hold})"

    @contextmanager
    def slot(self, limit: str) -> Iterator[None]:
        """One slot of the global limit ``limit``, for one use."""
        held = self._borrow(limit)
        try:
            yield
        finally:
            self._return(limit, held)

    def close(self, timeout: float = 5.0) -> None:
        """Give every held slot back now (the run is over); slots in use go back when returned."""
        with self._cond:
            self._closing = True
            for state in self._limits.values():
                for held in state.idle:
                    held.give_back.set()
                state.idle.clear()
            self._cond.notify_all()
            holders = list(self._holders)
        deadline = time.monotonic() + timeout
        for holder in holders:
            holder.join(max(0.0, deadline - time.monotonic()))

    def held(self, limit: str) -> int:
        with self._cond:
            return self._limits.setdefault(limit, _Limit()).held

    @staticmethod
    def _retire(held: _Held) -> None:
        # Its holder thread gives the slot back and only then counts it as gone (``_hold``): a
        # new holder asking while the release is still on its way would be refused by the
        # server (the limit still full with this very slot) and told to retry seconds later,
        # the parse or request waiting all that time.
        held.give_back.set()

    def _borrow(self, limit: str) -> _Held:
        with self._cond:
            state = self._limits.setdefault(limit, _Limit())
            while True:
                while state.idle:
                    held = state.idle.pop()
                    if time.monotonic() - held.taken < self.max_hold:
                        return held
                    self._retire(held)  # held long enough: back to the server, queue again
                if state.error is not None:
                    error, state.error = state.error, None
                    raise error
                if state.held + state.pending < self.size:
                    state.pending += 1
                    holder = threading.Thread(target=self._hold, args=(limit, state), name=f"hold-{limit}", daemon=True)
                    self._holders = [h for h in self._holders if h.is_alive()] + [holder]
                    holder.start()
                self._cond.wait()

    def _return(self, limit: str, held: _Held) -> None:
        with self._cond:
            state = self._limits[limit]
            if self._closing:
                self._retire(held)
                return
            held.returned = time.monotonic()
            state.idle.append(held)
            self._cond.notify_all()

    def _hold(self, limit: str, state: _Limit) -> None:
        """A holder thread: takes one slot inside Prefect's ``concurrency`` context (which renews
        its lease) and keeps it until the slot is retired or has been unused for ``linger``."""
        acquired = False
        try:
            # strict=False: a server where the limit was deleted still works, unbounded.
            with concurrency(limit, occupy=1, strict=False):
                now = time.monotonic()
                held = _Held(taken=now, returned=now)
                with self._cond:
                    acquired = True
                    state.pending -= 1
                    state.held += 1
                    if self._closing:
                        self._retire(held)
                    else:
                        state.idle.append(held)
                        self._cond.notify_all()
                while not held.give_back.wait(self.linger):
                    with self._cond:
                        if held in state.idle and time.monotonic() - held.returned >= self.linger:
                            state.idle.remove(held)
                            self._retire(held)
        except BaseException as exc:  # noqa: BLE001 - handed to the use that waits for this slot
            with self._cond:
                if not acquired:
                    state.pending -= 1
                    state.error = exc
                self._cond.notify_all()
        finally:
            if acquired:  # the slot is back on the server: room for another holder
                with self._cond:
                    state.held -= 1
                    self._cond.notify_all()


@dataclass(slots=True)
class _Tokens:
    left: int = 0
    until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class ChunkedRate:
    """Start tokens of rate limits (slot decay 1 / ``min_interval``), taken ``chunk`` at a time."""

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.chunk = rate_chunk(min_interval)
        self._lock = threading.Lock()
        self._tokens: dict[str, _Tokens] = {}

    def __reduce__(self) -> tuple[type[ChunkedRate], tuple[float]]:
        return (ChunkedRate, (self.min_interval,))

    def __repr__(self) -> str:
        return f"ChunkedRate(min_interval={self.min_interval})"

    def take(self, limit: str) -> None:
        """One start's worth of the rate limit ``limit`` (blocks until there is one)."""
        if self.min_interval <= 0:
            return
        with self._lock:
            tokens = self._tokens.setdefault(limit, _Tokens())
        with tokens.lock:
            now = time.monotonic()
            if tokens.left > 0 and now < tokens.until:
                tokens.left -= 1
                return
            if now < tokens.until:
                # Spent early. The server refills the bucket only once the last chunk has decayed;
                # asked before, it answers "locked, retry in ≈ chunk × interval", which halves the rate.
                time.sleep(tokens.until - now + _DECAY_MARGIN)
            rate_limit(limit, occupy=self.chunk, strict=False)
            tokens.left = self.chunk - 1
            tokens.until = time.monotonic() + self.chunk * self.min_interval
