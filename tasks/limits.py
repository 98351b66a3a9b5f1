"""Prefect global concurrency limits, created by the project and shared by every flow run of one
Prefect server:

- ``yusuan-extract``: PDFs parsed at once across runs (pdfplumber is CPU- and memory-bound);
- ``yusuan-host-<host>``: requests in flight to one portal host;
- ``yusuan-host-rate-<host>``: a rate limit (slot decay) spacing the starts of requests to it.

A run holds these limits the way ``tasks/held_limits.py`` describes (slots kept while it is busy
with them, rate tokens in chunks), rather than asking the API on every request and parse.

They matter when several runs share a server (deployments on a schedule, a backfill beside an
ingest, tasks on Dask workers). A run on Prefect's ephemeral per-process server is alone, and
the in-process ``HostLimiter`` does the same job without API calls: on the SQLite-backed server
a contended slot acquisition was measured at ~2 s (≈30 ms with the server on Postgres), see
docs/operations.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prefect.client.orchestration import SyncPrefectClient
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import get_current_settings

from tasks.held_limits import LINGER_SECONDS, MAX_CHUNK, ChunkedRate, HeldSlots, while_server_away
from tasks.prefect_api import api_client
from yusuan.fetch.politeness import HostLimiter
from yusuan.runtime import TEMPORARY_API_URL_ENV
from yusuan.settings import Settings

EXTRACTION_LIMIT = "yusuan-extract"
# A parse takes seconds: a run keeps its extraction slots longer between turns than a host's.
PARSE_MAX_HOLD_SECONDS = 30.0


def host_limit_name(host: str) -> str:
    return f"yusuan-host-{host}"


def host_rate_limit_name(host: str) -> str:
    return f"yusuan-host-rate-{host}"


def shared_server_configured() -> bool:
    """True when this process talks to a Prefect server that other runs can share: not Prefect's
    ephemeral one, nor the temporary one the CLI starts for its run in the same way."""
    url = get_current_settings().api.url
    return url is not None and url != os.environ.get(TEMPORARY_API_URL_ENV)


@dataclass(frozen=True, slots=True)
class LimitPlan:
    """Plain values (picklable, safe as a task input) saying which limits apply and how big."""

    shared: bool
    extraction_slots: int
    per_host_slots: int
    per_host_min_interval: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LimitPlan:
        shared = {"on": True, "off": False}.get(settings.global_limits, shared_server_configured())
        return cls(shared, settings.parse_slots, settings.per_host_concurrency, settings.per_host_min_interval_seconds)


def _upsert_limit(client: SyncPrefectClient, name: str, limit: int, slot_decay_per_second: float | None = None) -> None:
    """Create or resize a global limit. Two runs starting together may both find it missing and
    both create it: the second gets ObjectAlreadyExists, and then resizes the one that exists.
    A host's limits are created on its first request, so they too wait out a server that is away."""
    for attempt in (1, 2):
        try:
            while_server_away(
                lambda: client.upsert_global_concurrency_limit_by_name(
                    name, limit, slot_decay_per_second=slot_decay_per_second
                )
            )
            return
        except ObjectAlreadyExists:
            if attempt == 2:
                raise


def ensure_extraction_limit(plan: LimitPlan) -> None:
    if plan.shared:
        with api_client() as client:
            _upsert_limit(client, EXTRACTION_LIMIT, plan.extraction_slots)


def ensure_host_limits(plan: LimitPlan, host: str) -> None:
    if not plan.shared:
        return
    with api_client() as client:
        _upsert_limit(client, host_limit_name(host), plan.per_host_slots)
        if plan.per_host_min_interval > 0:
            # Slots that decay at 1/min_interval per second: request starts at most that often on
            # average, taken a chunk at a time (tasks/held_limits.py). Sized for the largest chunk
            # whatever this run's interval: a run with another interval for the host (a portal's
            # own setting) must never ask for more slots than the limit has.
            _upsert_limit(client, host_rate_limit_name(host), MAX_CHUNK, 1.0 / plan.per_host_min_interval)


class ParseSlots:
    """How many parses this process runs at once, each in its own process: sized by the cores,
    so that parses use every core and never more (a parse waiting for a core only holds memory).
    One run's task threads share it. ``shared``: each slot also holds one of the server-wide
    extraction limit's, kept between parses (``HeldSlots``)."""

    def __init__(self, size: int, shared: bool = False) -> None:
        self.size = size
        self.shared = shared
        self._semaphore = threading.BoundedSemaphore(size)
        self._held = HeldSlots(size, max_hold=PARSE_MAX_HOLD_SECONDS) if shared else None
        self._demand = 0
        self._demand_lock = threading.Lock()

    @classmethod
    def for_plan(cls, plan: LimitPlan) -> ParseSlots:
        return cls(plan.extraction_slots, shared=plan.shared)

    def __reduce__(self) -> tuple[type[ParseSlots], tuple[int, bool]]:
        # Locks do not cross processes: a copy sent to a Dask worker starts fresh, and there the
        # worker's own thread count bounds its parses.
        return (ParseSlots, (self.size, self.shared))

    def __repr__(self) -> str:
        return f"ParseSlots({self.size}, shared={self.shared})"

    @property
    def demand(self) -> int:
        """Parses running or waiting for a slot in this process now."""
        return self._demand

    @property
    def saturated(self) -> bool:
        """Every slot busy and a parse waiting behind each: the cores have work for a while
        whatever is submitted next (documents.py then gathers documents into shared task runs)."""
        return self._demand >= 2 * self.size

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._demand_lock:
            self._demand += 1
        try:
            with self._semaphore, self._held.slot(EXTRACTION_LIMIT) if self._held is not None else nullcontext():
                yield
        finally:
            with self._demand_lock:
                self._demand -= 1

    def close(self) -> None:
        if self._held is not None:
            self._held.close()


@contextmanager
def extraction_slot(plan: LimitPlan, local: ParseSlots | None = None) -> Iterator[None]:
    """A parse's turn: this process's slots, and the server-wide limit when runs share one (held
    by ``local`` when it was made for a shared server, else asked for this parse alone)."""
    per_parse = plan.shared and (local is None or not local.shared)
    # strict=False: a server where the limit was deleted still extracts (unbounded) rather than failing.
    shared = concurrency(EXTRACTION_LIMIT, occupy=1, strict=False) if per_parse else nullcontext()
    with local.slot() if local is not None else nullcontext(), shared:
        yield


@dataclass(frozen=True, slots=True)
class SharedHostLimits:
    """A run's hold on the per-host Prefect global limits of a shared server: the concurrency
    slots it keeps while busy, and the start tokens it takes a second's worth at a time."""

    slots: HeldSlots
    rate: ChunkedRate


@dataclass(slots=True)
class HostGate:
    """The ``RequestGate`` of a run: the in-process limiter always, plus the per-host Prefect
    global limits when the plan says runs share a server."""

    plan: LimitPlan
    local: HostLimiter = field(default_factory=HostLimiter)
    # None on a server of its own, where the in-process limiter is the whole story.
    shared: SharedHostLimits | None = None
    # Hosts whose limits this process has created: attachments can live on hosts that the
    # portal's entry URL did not name, so limits are created on first use.
    _ready: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def for_plan(cls, plan: LimitPlan) -> HostGate:
        local = HostLimiter(plan.per_host_slots, plan.per_host_min_interval)
        if not plan.shared:
            return cls(plan, local)
        # A crawl's requests come 0.1 s apart: a slot lingers a little past the spacing.
        linger = LINGER_SECONDS + 2 * plan.per_host_min_interval
        held = HeldSlots(plan.per_host_slots, linger)
        return cls(plan, local, SharedHostLimits(held, ChunkedRate(plan.per_host_min_interval)))

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        if self.shared is None:
            with self.local.slot(url):
                yield
            return
        host = urlsplit(url).hostname or ""
        if host not in self._ready:
            ensure_host_limits(self.plan, host)
            self._ready.add(host)
        # The global slot, then the server-wide start token, then this process's own spacing
        # last, so that waiting for a token never lets two of this run's requests start together.
        with self.shared.slots.slot(host_limit_name(host)):
            self.shared.rate.take(host_rate_limit_name(host))
            with self.local.slot(url):
                yield

    def close(self) -> None:
        """The run is over: global slots still held go back to the server now."""
        if self.shared is not None:
            self.shared.slots.close()
            self.shared.rate.close()
