"""Prefect global limits held by a run for a while, instead of asked for on every use.

On a shared server (``tasks/limits.py``) every request to a portal host wants one of the host's
slots and a start token of its rate limit, and every parse wants a slot of the extraction
limit. Asked per use, a slot costs an acquisition, a lease with its renewal thread, a release
and their events; on a SQLite-backed server, where writes queue behind the task runs' own,
that was ≈ 1 s each (a first run of the real set took 450 s there, 231 s with the server on
Postgres), and the rate limit's jittered "retry after" overshot the spacing (50 requests 0.1 s
apart took 13.2 s, 5.2 s now). So a run holds what it is using:

- **Slots linger** (``HeldSlots``). A slot is taken by a holder thread, on a lease the holder
  renews and releases itself, and lent to this process's uses one after the other. It goes
  back to the server once unused for ``linger`` seconds, once it has been held for
  ``max_hold`` seconds (so that a run busy for an hour does not shut another run out
  for that hour: it queues again), or when the run closes it. "N uses at once across runs"
  becomes "N slots held across runs", only stricter.
- **Rate tokens come in chunks** (``ChunkedRate``). The rate limit's slots decay at 1 / interval
  per second; this process takes them ``chunk`` at a time (a second's worth) and spends them
  at its own local spacing. Tokens not spent within ``chunk × interval`` seconds of their
  acquisition are dropped, because by then the server has handed the same capacity out again;
  tokens spent early wait for that moment before the next chunk is asked for. Across runs the
  starts stay at most ``MAX_CHUNK`` + elapsed / interval. The tokens are asked for through
  one API client per run, not Prefect's ``rate_limit``: that starts an acquisition service (a
  thread, an event loop and an API client) for every distinct limit name and keeps it to the
  end of the process, so a group run crawling a new host per portal grew a thread and ≈ 1 MB
  per entry (bench/national.py: 231 → 558 MB over 300 entries).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient

from tasks.prefect_api import SharedApiClient

# Under "yusuan" so that runs forward it to the Prefect API (PREFECT_LOGGING_EXTRA_LOGGERS).
log = logging.getLogger("yusuan.limits")

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
# A held slot's lease: the server's minimum. A process killed while holding a slot shuts other
# runs out of it for at most this long; the holder renews it while the slot is in use.
LEASE_SECONDS = 60.0
_RENEW_AFTER = 1 / 3
# A refused holder asks again after the server's "retry after", at most this long: a run that
# closes meanwhile is not kept waiting for it.
_MAX_REFUSED_WAIT = 5.0
# How long an ask waits out a Prefect server that does not answer (restarting, failing over)
# before the use fails: as long as a database touch waits out the database (DbRetry's default).
SERVER_AWAY_SECONDS = 180.0

T = TypeVar("T")


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

    def __init__(
        self,
        size: int,
        linger: float = LINGER_SECONDS,
        max_hold: float = MAX_HOLD_SECONDS,
        server_away_seconds: float = SERVER_AWAY_SECONDS,
    ) -> None:
        self.size = size
        self.linger = linger
        self.max_hold = max_hold
        self.server_away_seconds = server_away_seconds
        self._cond = threading.Condition()
        self._limits: dict[str, _Limit] = {}
        self._holders: list[threading.Thread] = []
        self._closing = False
        self._closed = threading.Event()  # wakes holders waiting to ask the server again
        self._api = SharedApiClient("a slot holder")

    def __reduce__(self) -> tuple[type[HeldSlots], tuple[int, float, float, float]]:
        # Threads and leases stay in the process that took them; a copy (a Dask worker's) starts empty.
        return (HeldSlots, (self.size, self.linger, self.max_hold, self.server_away_seconds))

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
            self._closed.set()
            for state in self._limits.values():
                for held in state.idle:
                    held.give_back.set()
                state.idle.clear()
            self._cond.notify_all()
            holders = list(self._holders)
        deadline = time.monotonic() + timeout
        for holder in holders:
            holder.join(max(0.0, deadline - time.monotonic()))
        self._api.close()

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
                if self._closing:
                    raise RuntimeError(f"slots of {limit} asked for after the run closed its holdings")
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

    def _take(self, client: SyncPrefectClient, limit: str) -> UUID | None:
        """The lease of one slot of ``limit``; None when the run closed before it was granted.

        Each ask is one request that the server grants or refuses, and the holder waits out a
        refusal itself: a holder must never be mid-ask when the process ends. Prefect's
        ``concurrency`` retries inside a per-process service instead, and a wait still going on
        at exit was completed by the service's exit drain after the holder thread was gone: the
        slot granted then stayed taken, refusing every other run, until its lease expired."""
        # A limit deleted on the server is granted with an empty lease: unbounded, not failing.
        response = granted(
            lambda: client.increment_concurrency_slots_with_lease(
                names=[limit], slots=1, mode="concurrency", lease_duration=LEASE_SECONDS
            ),
            self._closed,
            self.server_away_seconds,
        )
        return None if response is None else UUID(response.json()["lease_id"])

    def _hold(self, limit: str, state: _Limit) -> None:
        """A holder thread: takes one slot on a lease (renewed while held) and keeps it until the
        slot is retired or has been unused for ``linger``."""
        acquired = False
        try:
            client = self._api.get()
            lease = self._take(client, limit)
            if lease is None:
                with self._cond:
                    state.pending -= 1
                    self._cond.notify_all()
                return
            try:
                acquired = True
                self._lend(limit, state, client, lease)
            finally:
                _release(client, limit, lease)
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

    def _lend(self, limit: str, state: _Limit, client: SyncPrefectClient, lease: UUID) -> None:
        """Lend the slot to this process's uses until it is retired, renewing its lease."""
        now = renewed = time.monotonic()
        held = _Held(taken=now, returned=now)
        with self._cond:
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
            if time.monotonic() - renewed >= LEASE_SECONDS * _RENEW_AFTER:
                renewed = time.monotonic()
                try:
                    client.renew_concurrency_lease(lease_id=lease, lease_duration=LEASE_SECONDS)
                except Exception as exc:  # noqa: BLE001 - the next renewal may succeed; the slot is still in use
                    log.warning("could not renew the lease of a slot of %s: %s", limit, exc)


def _release(client: SyncPrefectClient, limit: str, lease: UUID) -> None:
    try:
        client.release_concurrency_slots_with_lease(lease)
    except Exception as exc:  # noqa: BLE001 - the lease expires on its own within LEASE_SECONDS
        log.warning("could not give back a slot of %s (it frees itself in %.0f s): %s", limit, LEASE_SECONDS, exc)


def server_away(exc: BaseException) -> bool:
    """Whether ``exc`` says the Prefect server did not answer: a transport error, itself or as the
    cause Prefect's own helpers wrap (``rate_limit`` raises ConcurrencySlotAcquisitionError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TransportError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def while_server_away(
    ask: Callable[[], T], seconds: float = SERVER_AWAY_SECONDS, closed: threading.Event | None = None
) -> T:
    """``ask()``, asked again every second while the Prefect server does not answer (a restart,
    a failover), for up to ``seconds``: a parse or a request waits for the server instead of
    failing its document, as the run's other API calls do. Gives up at once when ``closed`` is
    set (the run is over)."""
    away_since: float | None = None
    while True:
        try:
            return ask()
        except Exception as exc:
            if not server_away(exc):
                raise
            now = time.monotonic()
            away_since = now if away_since is None else away_since
            if now - away_since > seconds or (closed is not None and closed.is_set()):
                raise
        if closed is not None:
            closed.wait(1.0)
        else:
            time.sleep(1.0)


def granted(
    ask: Callable[[], httpx.Response], closed: threading.Event, server_away_seconds: float = SERVER_AWAY_SECONDS
) -> httpx.Response | None:
    """The server's grant of ``ask`` (a slot or tokens of a global limit); None when ``closed``
    is set (the run is over) while the server refuses (423: full, try again after its
    Retry-After, at most ``_MAX_REFUSED_WAIT``). A server that is away is waited out
    (``while_server_away``); any other error is raised."""
    while True:
        try:
            return while_server_away(ask, server_away_seconds, closed)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != httpx.codes.LOCKED:
                raise
            retry_after = _retry_after(exc.response)
        if closed.wait(min(retry_after, _MAX_REFUSED_WAIT)):
            return None


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


@dataclass(slots=True)
class _Tokens:
    left: int = 0
    until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class ChunkedRate:
    """Start tokens of rate limits (slot decay 1 / ``min_interval``), taken ``chunk`` at a time
    through one API client, opened at the first ask and closed with the run (``close``)."""

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.chunk = rate_chunk(min_interval)
        self._lock = threading.Lock()
        self._tokens: dict[str, _Tokens] = {}
        self._api = SharedApiClient("a rate token")
        self._closed = threading.Event()

    def close(self) -> None:
        """The run is over: its API client goes (tokens need no giving back: they decay)."""
        self._closed.set()
        self._api.close()

    def _ask(self, limit: str) -> None:
        """``chunk`` tokens of ``limit``, waiting out refusals (the bucket not yet decayed) and a
        server that is away. A limit that does not exist grants nothing and refuses nothing."""

        def ask() -> httpx.Response:
            return self._api.get().increment_concurrency_slots(names=[limit], slots=self.chunk, mode="rate_limit")

        if granted(ask, self._closed) is None:
            raise RuntimeError(f"the run closed its limits while waiting for a token of {limit}")

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
            self._ask(limit)
            tokens.left = self.chunk - 1
            tokens.until = time.monotonic() + self.chunk * self.min_interval
