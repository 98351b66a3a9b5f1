"""The loop that drives a run's documents, each in a ``document`` task run of its own or a
``documents`` task run it shares (download → extract → load, tasks/document.py), and the
revalidate batches of the attachments a portal served before.

Documents stream: discovery hands each disclosure over the moment the crawl takes it (a
``LinkFeed``), at most ``window`` documents are in flight at once, and a new document starts
only when one finishes. So the
first document reaches the database seconds after the crawl finds it whatever the portal's
size, the cores parse while the crawl still walks the list pages, the number of
parsed-but-unloaded documents in memory is bounded, and a crash late in a run keeps everything
loaded before it.

A task run costs the Prefect server and the flow's client ≈ 50 ms of CPU whatever it does
(docs/performance.md), ≈ 2.5 % of a real budget's parse. So while every parse slot is busy with
a parse waiting behind it, a new document would only queue for a slot: documents then gather,
up to ``per_task_run`` in one ``documents`` task run, which parses them one after the other. Until
the slots are that busy, and for what is left once the crawl is over, documents go out spread
over the room in the window, alone as soon as there is room for each.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect.futures import PrefectFuture

from storage.recheck import KnownSource
from storage.repository import LoadOutcome
from tasks.context import RunContext
from tasks.document import (
    DocumentDone,
    DocumentOutcome,
    ParsedDigest,
    Stage,
    StageFailed,
    document_task_for,
    documents_task,
    retry_alone,
)
from tasks.download import Downloaded, DownloadFailed, retry_delay
from tasks.extract import ParseCache
from tasks.revalidate import Revalidated, Verdict, revalidate_task, settled_without_request
from tasks.shared_runs import outcomes_of
from tasks.stopping import PROCESS_STOP, StopRequest
from yusuan.discover.links import wanted_year
from yusuan.extract.isolated import ParseStopped
from yusuan.models import DisclosureLink, FetchedFile


class LinkFeed:
    """The disclosures of a run, as discovery finds them: ``offer`` (any thread) puts one in,
    ``close`` says discovery is over, ``poll`` (the flow's thread) takes the next one wanted:
    each URL once, only the ``years`` asked for, at most ``limit``."""

    def __init__(self, years: Iterable[int] | None = None, limit: int | None = None) -> None:
        self.years = set(years) if years else None
        self.limit = limit
        self.taken = 0
        self.skipped_by_year = 0
        self._queue: queue.SimpleQueue[DisclosureLink] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._seen: set[str] = set()
        self._changed: Callable[[], object] = lambda: None

    def on_change(self, callback: Callable[[], object]) -> None:
        """``callback`` (any thread) after each offer and at close: the consumer wakes at once."""
        self._changed = callback

    def offer(self, link: DisclosureLink) -> None:
        self._queue.put(link)
        self._changed()

    def close(self) -> None:
        self._closed.set()
        self._changed()

    @property
    def exhausted(self) -> bool:
        return self._closed.is_set() and self._queue.empty()

    def poll(self) -> DisclosureLink | None:
        while True:
            try:
                link = self._queue.get_nowait()
            except queue.Empty:
                return None
            if link.url in self._seen:
                continue
            self._seen.add(link.url)
            if self.years and not wanted_year(link.link_text, link.page_title, self.years):
                self.skipped_by_year += 1
                continue
            if self.limit is not None and self.taken >= self.limit:
                continue
            self.taken += 1
            return link


@dataclass(slots=True)
class DocumentRun:
    """What a link's task runs gave. A failed stage names itself in ``failed_stage`` (with the
    reason; a failed download is ``fetched`` with its recorded error); a document whose run
    ended early without failing is ``unchanged`` (the database already held its bytes;
    ``recent``: not even asked, read within the recheck window) or ``stopped`` (the run is
    stopping: left for the next run, not reported)."""

    link: DisclosureLink
    fetched: FetchedFile | None = None
    parsed: ParsedDigest | None = None
    outcome: LoadOutcome | None = None
    failed_stage: Stage | None = None
    failure: str = ""
    unchanged: bool = False
    recent: bool = False
    stopped: bool = False


def _record(run: DocumentRun, outcome: DocumentOutcome) -> None:
    """Record for ``run`` what its document's task run gave: its result or what it raised."""
    if isinstance(outcome, DocumentDone):
        run.fetched, run.parsed, run.outcome = outcome.fetched, outcome.parsed, outcome.outcome
        run.unchanged = outcome.outcome is None and not outcome.fetched.error
    elif isinstance(outcome, DownloadFailed):
        run.fetched = outcome.fetched  # recorded with its error: reported as download_failed
    elif isinstance(outcome, ParseStopped):
        run.stopped = True  # the run is stopping: nothing recorded, the next run parses it
    elif isinstance(outcome, StageFailed):
        run.failed_stage, run.failure = outcome.stage, outcome.detail
    else:
        run.failed_stage, run.failure = Stage.DOWNLOAD if run.fetched is None else Stage.EXTRACT, repr(outcome)


def _take(run: DocumentRun, future: PrefectFuture[DocumentDone]) -> None:
    """Record what the document's own task run gave for ``run``."""
    try:
        outcome: DocumentOutcome = future.result()
    except Exception as exc:  # noqa: BLE001 - reported per document, the run goes on
        outcome = exc
    _record(run, outcome)


def shared_run_size(waiting: int, room: int, window: int, most: int, saturated: bool, final: bool) -> int:
    """How many of the ``waiting`` documents the next task run takes, with ``room`` of the
    ``window``'s task runs free (0: none goes out now). While the parse slots are ``saturated``
    a new document would only queue for one: documents gather until ``most`` wait. Otherwise,
    and once the crawl is over (``final``), they are spread over the whole window, so that task
    runs grow shorter as the queue does and the run's end waits on no long one: each goes alone
    as soon as no more wait than the window holds."""
    if waiting <= 0 or room <= 0:
        return 0
    if saturated and not final:
        return most if waiting >= most else 0
    return min(most, waiting, -(-waiting // window))


def _revalidated(run: DocumentRun, result: Revalidated) -> tuple[bool, Downloaded | None]:
    """Record a batch's verdict for ``run``: whether it goes on to a document task run, and with
    which fetch (None: it is downloaded there)."""
    if result.verdict is Verdict.DOWNLOAD:
        return True, None
    if result.verdict is Verdict.STOPPED:
        run.stopped = True
        return False, None
    downloaded = result.downloaded
    assert downloaded is not None
    run.recent = result.verdict is Verdict.RECENT
    run.fetched = downloaded.fetched
    if downloaded.fetched.error or not downloaded.needs_extraction:
        run.unchanged = not downloaded.fetched.error
        return False, None
    return True, downloaded


def run_documents(
    ctx: RunContext,
    feed: LinkFeed,
    on_progress: Callable[[float], object] = lambda share: None,
    stop: StopRequest = PROCESS_STOP,
    window: int = 8,
    known: Mapping[str, KnownSource] | None = None,
    batch_size: int = 64,
    batch_wait_seconds: float = 1.0,
    *,
    cache: ParseCache,
    recent_since: datetime | None = None,
    per_task_run: int = 4,
) -> Iterator[DocumentRun]:
    """Download → extract → load every link of ``feed``, at most ``window`` task runs in flight,
    each a ``document`` task run or a ``documents`` one of up to ``per_task_run`` documents (see
    ``shared_run_size``), and yield each document when it is finished; ends when the feed is
    exhausted and every document is finished. A shared task run's document whose download
    failed for a passing reason gets a ``document`` task run of its own for the attempts left,
    after the policy's delay.

    A link in ``known`` (an attachment whose bytes the database holds, as read at the run's
    start; empty for a full refresh, which downloads everything) read after ``recent_since``
    (the recheck window's start) is settled at once, with no task run and no request: a
    re-run within the window is the crawl's task run alone. Any other known link is checked
    in a ``revalidate`` batch instead of its own task run: a batch goes out when it holds
    ``batch_size`` links, when its first link has waited ``batch_wait_seconds``, or when the
    feed is exhausted. A checked link that changed
    gets its document task run, which starts at the parse (``wait_for`` keeps the batch as its
    upstream in the UI; no failed future is ever handed to a task, which behaves the same on
    every task runner: prefect-dask turns ``allow_failure(...)`` into a bare tuple).

    When ``stop`` is set, no further task run is submitted and the generator ends. ``cache``:
    the run's parse cache.
    """
    # A task run's end, or None: the feed changed (a link offered, the crawl over).
    finished: queue.SimpleQueue[tuple[bool, tuple[int, ...], PrefectFuture[Any]] | None] = queue.SimpleQueue()
    feed.on_change(lambda: finished.put(None))
    runs: list[DocumentRun] = []
    known = known or {}
    settled: deque[int] = deque()  # known links read within the window: done without a task run
    batches: list[list[int]] = []
    document = document_task_for(ctx)
    retried = document_task_for(ctx, attempts_made=1)
    # Documents of shared task runs to retry alone: when (monotonic), index.
    later: list[tuple[float, int]] = []
    # Documents waiting for room in the window: index, its fetch (from a batch), the batch.
    waiting: deque[tuple[int, Downloaded | None, PrefectFuture[Any] | None]] = deque()
    pending: list[int] = []  # known links for the next batch
    pending_since = 0.0
    outstanding = active = done = 0

    def watch(is_batch: bool, indexes: tuple[int, ...], future: PrefectFuture[Any]) -> None:
        nonlocal outstanding
        outstanding += 1
        future.add_done_callback(lambda future: finished.put((is_batch, indexes, future)))

    def take_links() -> None:
        nonlocal pending_since
        while (link := feed.poll()) is not None:
            runs.append(DocumentRun(link))
            source = known.get(link.url)
            recent = settled_without_request(link, source, recent_since) if source is not None else None
            if recent is not None:
                _revalidated(runs[-1], recent)
                settled.append(len(runs) - 1)
            elif source is not None:
                pending_since = pending_since if pending else time.monotonic()
                pending.append(len(runs) - 1)
            else:
                waiting.append((len(runs) - 1, None, None))

    def send_batch(force: bool) -> None:
        if pending and (force or len(pending) >= batch_size or time.monotonic() - pending_since >= batch_wait_seconds):
            batches.append(pending[:batch_size])
            del pending[:batch_size]
            links = [runs[i].link for i in batches[-1]]
            watch(True, (len(batches) - 1,), revalidate_task.submit(ctx, links))

    def start_waiting() -> None:
        nonlocal active
        now = time.monotonic()
        while later and later[0][0] <= now and active < window:
            _due, index = heapq.heappop(later)
            active += 1
            watch(False, (index,), retried.submit(ctx, runs[index].link, cache, None, 1))
        while waiting and active < window:
            size = shared_run_size(
                len(waiting), window - active, window, per_task_run, ctx.parse_slots.saturated, feed.exhausted
            )
            if not size:
                return
            taken = [waiting.popleft() for _ in range(size)]
            upstreams = list({id(up): up for _i, _d, up in taken if up is not None}.values())
            after = upstreams or None
            active += 1
            if size == 1:
                index, downloaded, _up = taken[0]
                watch(False, (index,), document.submit(ctx, runs[index].link, cache, downloaded, wait_for=after))
                continue
            indexes = tuple(index for index, _d, _up in taken)
            links = tuple(runs[index].link for index in indexes)
            fetches = tuple(downloaded for _i, downloaded, _up in taken)
            watch(False, indexes, documents_task.submit(ctx, links, cache, fetches, wait_for=after))

    def finish(run: DocumentRun) -> Iterator[DocumentRun]:
        nonlocal done
        done += 1
        # The total grows while discovery runs: the share is of the documents known so far.
        share = done / max(1, feed.taken)
        on_progress(share if feed.exhausted else min(0.99, share))
        if not run.stopped:
            yield run

    while True:
        if stop.is_set():
            # Nothing further is submitted: documents not finished now are left to the next run.
            return
        take_links()
        while settled:
            yield from finish(runs[settled.popleft()])
        send_batch(force=feed.exhausted)
        start_waiting()
        if not (outstanding or waiting or pending or later) and feed.exhausted:
            return
        try:
            ended = finished.get(timeout=0.25)
        except queue.Empty:
            continue
        if ended is None:
            continue
        is_batch, indexes, future = ended
        outstanding -= 1
        if is_batch:
            yield from _batch_done(runs, batches[indexes[0]], future, waiting, finish)
            continue
        active -= 1
        if len(indexes) == 1:
            _take(runs[indexes[0]], future)
            yield from finish(runs[indexes[0]])
            continue
        for index, outcome in zip(indexes, outcomes_of(future, len(indexes)), strict=True):
            if retry_alone(outcome, ctx) and not stop.is_set():
                heapq.heappush(later, (time.monotonic() + retry_delay(ctx.http, 1), index))
                continue
            _record(runs[index], outcome)
            yield from finish(runs[index])


def _batch_done(
    runs: list[DocumentRun],
    indexes: list[int],
    future: PrefectFuture[list[Revalidated]],
    waiting: deque[tuple[int, Downloaded | None, PrefectFuture[Any] | None]],
    finish: Callable[[DocumentRun], Iterator[DocumentRun]],
) -> Iterator[DocumentRun]:
    """A revalidate batch ended: each link is done, or waits for its document task run."""
    upstream: PrefectFuture[Any] | None = future
    try:
        results = future.result()
    except Exception:  # noqa: BLE001 - the batch's failed task run says why; each link gets its own download
        # No wait_for on a failed future: Prefect would never start the task behind it.
        results, upstream = [Revalidated(runs[i].link, Verdict.DOWNLOAD) for i in indexes], None
    for index, result in zip(indexes, results, strict=True):
        goes_on, downloaded = _revalidated(runs[index], result)
        if goes_on:
            waiting.append((index, downloaded, upstream))
        else:
            yield from finish(runs[index])
