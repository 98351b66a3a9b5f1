"""The per-host global limits of a shared Prefect server, at a few API calls per host and run
instead of several per request.

Asked per request, the two limits of a host cost an acquisition, a lease with its renewal
thread, a release and their events for ``yusuan-host-<host>``, plus an acquisition of
``yusuan-host-rate-<host>``, whose jittered "retry after" overshoots the spacing: 50 requests
0.1 s apart took 13.2 s that way, 5.2 s this way (docs/operations.md).
So this process holds what it needs for a while:

- **Slots linger.** A concurrency slot is taken by a holder thread, inside Prefect's own
  ``concurrency`` context (lease renewed by Prefect), and lent to this process's requests to
  the host one after the other. It goes back to the server once no request has used it for
  ``linger`` seconds, once it has been held for ``max_hold`` seconds (so that a run busy with a
  host for an hour does not shut another run out of it for that hour), or when the run closes
  its gate. The bound "N requests in flight to a host across runs" becomes "N slots held across
  runs", only stricter.
- **Rate tokens come in chunks.** The rate limit holds ``chunk`` slots that decay at
  1 / interval per second; this process takes them ``chunk`` at a time and spends them at its
  own local spacing. Tokens not spent within ``chunk × interval`` seconds of their acquisition
  are dropped, because by then the server has handed the same capacity out again; tokens spent
  early wait for that moment before the next chunk is asked for. Across runs the request starts
  to a host stay at most ``chunk`` + elapsed / interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prefect.concurrency.sync import concurrency, rate_limit

# A chunk of rate tokens covers at most this many seconds of the host's request starts: a run
# that needs one request then goes quiet wastes at most this much of the host's capacity.
CHUNK_SECONDS = 1.0
MAX_CHUNK = 10
# A held slot is given back (and asked for again, behind any other run waiting) after this long.
MAX_HOLD_SECONDS = 10.0
# Decay is computed by the server from its own clock: ask a moment after the bucket should be empty.
_DECAY_MARGIN = 0.02
# Holder threads give their slot back after the slot has been idle this long (plus the spacing).
LINGER_SECONDS = 1.0


def host_limit_name(host: str) -> str:
    return f"yusuan-host-{host}"


def host_rate_limit_name(host: str) -> str:
    return f"yusuan-host-rate-{host}"


def rate_chunk(min_interval: float) -> int:
    """Tokens taken from the rate limit at once (and the rate limit's size)."""
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
class _Host:
    held: int = 0  # slots held by holder threads (lent or idle)
    pending: int = 0  # holder threads still acquiring
    idle: list[_Held] = field(default_factory=list)
    error: BaseException | None = None
    tokens: int = 0
    tokens_until: float = 0.0
    token_lock: threading.Lock = field(default_factory=threading.Lock)


class SharedHostLimits:
    """One process's holdings of the per-host global limits; shared by the run's task threads."""

    def __init__(
        self, per_host_slots: int, min_interval: float, linger: float | None = None, max_hold: float = MAX_HOLD_SECONDS
    ) -> None:
        self.per_host_slots = per_host_slots
        self.max_hold = max_hold
        self.min_interval = min_interval
        self.chunk = rate_chunk(min_interval)
        self.linger = LINGER_SECONDS + 2 * min_interval if linger is None else linger
        self._cond = threading.Condition()
        self._hosts: dict[str, _Host] = {}
        self._holders: list[threading.Thread] = []
        self._closing = False

    def __reduce__(self) -> tuple[type[SharedHostLimits], tuple[int, float, float, float]]:
        # Threads and leases stay in the process that took them; a copy (a Dask worker's) starts empty.
        return (SharedHostLimits, (self.per_host_slots, self.min_interval, self.linger, self.max_hold))

    def __repr__(self) -> str:
        return f"SharedHostLimits(per_host_slots={self.per_host_slots}, min_interval={self.min_interval})"

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """One of the host's global concurrency slots, for one request."""
        held = self._borrow(host)
        try:
            yield
        finally:
            self._return(host, held)

    def take_token(self, host: str) -> None:
        """One request start's worth of the host's global rate limit (blocks until there is one)."""
        if self.min_interval <= 0:
            return
        state = self._state(host)
        with state.token_lock:
            now = time.monotonic()
            if state.tokens > 0 and now < state.tokens_until:
                state.tokens -= 1
                return
            if now < state.tokens_until:
                # Spent early. The server refills the bucket only once the last chunk has decayed;
                # asked before, it answers "locked, retry in ≈ chunk × interval", which halves the rate.
                time.sleep(state.tokens_until - now + _DECAY_MARGIN)
            rate_limit(host_rate_limit_name(host), occupy=self.chunk, strict=False)
            state.tokens = self.chunk - 1
            state.tokens_until = time.monotonic() + self.chunk * self.min_interval

    def close(self, timeout: float = 15.0) -> None:
        """Give every held slot back now (the run is over)."""
        with self._cond:
            self._closing = True
            for state in self._hosts.values():
                for held in state.idle:
                    held.give_back.set()
                state.held -= len(state.idle)
                state.idle.clear()
            self._cond.notify_all()
            holders = list(self._holders)
        deadline = time.monotonic() + timeout
        for holder in holders:
            holder.join(max(0.0, deadline - time.monotonic()))

    def held(self, host: str) -> int:
        with self._cond:
            return self._state(host).held

    def _state(self, host: str) -> _Host:
        with self._cond:
            return self._hosts.setdefault(host, _Host())

    def _retire(self, state: _Host, held: _Held) -> None:
        state.held -= 1
        held.give_back.set()
        self._cond.notify_all()

    def _borrow(self, host: str) -> _Held:
        with self._cond:
            state = self._hosts.setdefault(host, _Host())
            while True:
                while state.idle:
                    held = state.idle.pop()
                    if time.monotonic() - held.taken < self.max_hold:
                        return held
                    self._retire(state, held)  # held long enough: back to the server, queue again
                if state.error is not None:
                    error, state.error = state.error, None
                    raise error
                if state.held + state.pending < self.per_host_slots:
                    state.pending += 1
                    holder = threading.Thread(
                        target=self._hold, args=(host, state), name=f"yusuan-hold-{host}", daemon=True
                    )
                    self._holders = [h for h in self._holders if h.is_alive()] + [holder]
                    holder.start()
                self._cond.wait()

    def _return(self, host: str, held: _Held) -> None:
        with self._cond:
            state = self._hosts[host]
            if self._closing:
                self._retire(state, held)
                return
            held.returned = time.monotonic()
            state.idle.append(held)
            self._cond.notify_all()

    def _hold(self, host: str, state: _Host) -> None:
        """A holder thread: takes one global slot inside Prefect's ``concurrency`` context (which
        renews its lease) and keeps it until the slot is retired or has been idle for ``linger``."""
        acquired = False
        try:
            # strict=False: a server where the limit was deleted still crawls, unbounded.
            with concurrency(host_limit_name(host), occupy=1, strict=False):
                now = time.monotonic()
                held = _Held(taken=now, returned=now)
                with self._cond:
                    acquired = True
                    state.pending -= 1
                    state.held += 1
                    if self._closing:
                        self._retire(state, held)
                    else:
                        state.idle.append(held)
                        self._cond.notify_all()
                while not held.give_back.wait(self.linger):
                    with self._cond:
                        if held in state.idle and time.monotonic() - held.returned >= self.linger:
                            state.idle.remove(held)
                            self._retire(state, held)
        except BaseException as exc:  # noqa: BLE001 - handed to the request that waits for this slot
            with self._cond:
                if not acquired:
                    state.pending -= 1
                    state.error = exc
                self._cond.notify_all()
