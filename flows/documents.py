"""One document's way through a run (download → extract → load) and the loop that drives many.

Documents stream: discovery hands each disclosure over the moment the crawl takes it (a
``LinkFeed``), at most ``window`` documents are in flight at once, each goes to its next stage
as soon as its previous one is done, and a new document starts only when one finishes. So the
first document reaches the database seconds after the crawl finds it whatever the portal's
size, the cores parse while the crawl still walks the list pages, the number of
parsed-but-unloaded documents in memory is bounded, and a crash late in a run keeps everything
loaded before it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from prefect.futures import PrefectFuture

from storage.repository import LoadOutcome
from tasks.as_is import AsIs
from tasks.context import RunContext
from tasks.download import Downloaded, DownloadFailed, download_with_retries
from tasks.extract import extract_for
from tasks.load import load_task
from tasks.revalidate import Revalidated, Verdict, revalidate_task
from tasks.stopping import PROCESS_STOP, StopRequest
from yusuan.discover.links import wanted_year
from yusuan.extract.isolated import ParseStopped
from yusuan.models import DisclosureLink, ExtractedDocument, FetchedFile


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


class Stage(StrEnum):
    REVALIDATE = "revalidate"
    DOWNLOAD = "download"
    EXTRACT = "extract"
    LOAD = "load"


@dataclass(slots=True)
class DocumentRun:
    """What the stages gave for one link. A stage that failed names itself in ``failed_stage``
    (with the task's error; a failed download is ``fetched`` with its recorded error); a
    document whose chain ended early without failing is ``unchanged`` (the database already held
    its bytes; ``recent``: not even asked, read within the recheck window) or ``stopped`` (the
    run is stopping: left for the next run, not reported)."""

    link: DisclosureLink
    fetched: FetchedFile | None = None
    doc: ExtractedDocument | None = None
    outcome: LoadOutcome | None = None
    failed_stage: Stage | None = None
    failure: str = ""
    unchanged: bool = False
    recent: bool = False
    stopped: bool = False

    def fail(self, stage: Stage, exc: BaseException) -> None:
        self.failed_stage, self.failure = stage, repr(exc)


def _take(run: DocumentRun, stage: Stage, future: PrefectFuture[Any]) -> bool:
    """Record what ``stage`` gave for ``run``; True when the document goes on to the next stage."""
    try:
        value = future.result()
    except DownloadFailed as exc:
        run.fetched = exc.fetched  # recorded with its error: reported as download_failed
        return False
    except ParseStopped:
        run.stopped = True  # the run is stopping: nothing recorded, the next run parses it
        return False
    except Exception as exc:  # noqa: BLE001 - reported per document, the run goes on
        run.fail(stage, exc)
        return False
    if stage is Stage.DOWNLOAD:
        assert isinstance(value, Downloaded)
        return _downloaded(run, value)
    if stage is Stage.EXTRACT:
        run.doc = value
        return True
    run.outcome = value
    return False


def _downloaded(run: DocumentRun, downloaded: Downloaded) -> bool:
    run.fetched = downloaded.fetched
    if downloaded.fetched.error:  # recorded with its error (or given up because the run is stopping)
        return False
    run.unchanged = not downloaded.needs_extraction
    return downloaded.needs_extraction


def _revalidated(run: DocumentRun, result: Revalidated) -> Stage | None:
    """Record a batch's verdict for ``run``; the stage it goes on to, or None when it is done."""
    if result.verdict is Verdict.DOWNLOAD:
        return Stage.DOWNLOAD
    if result.verdict is Verdict.STOPPED:
        run.stopped = True
        return None
    assert result.downloaded is not None
    run.recent = result.verdict is Verdict.RECENT
    return Stage.EXTRACT if _downloaded(run, result.downloaded) else None


def run_documents(
    ctx: RunContext,
    feed: LinkFeed,
    on_progress: Callable[[float], object] = lambda share: None,
    stop: StopRequest = PROCESS_STOP,
    window: int = 8,
    known: Container[str] = frozenset(),
    batch_size: int = 64,
    batch_wait_seconds: float = 1.0,
) -> Iterator[DocumentRun]:
    """Download → extract → load every link of ``feed``, at most ``window`` documents in
    flight, and yield each document when it is finished; ends when the feed is exhausted and
    every document is finished.

    A link in ``known`` (an attachment whose bytes the database holds; empty for a full
    refresh, which downloads everything) is checked in a
    ``revalidate`` batch instead of its own download task run: a batch goes out when it holds
    ``batch_size`` links, when its first link has waited ``batch_wait_seconds``, or when the
    feed is exhausted. A checked link that changed joins the others at ``extract``.

    The flow submits a stage only when the previous one succeeded, with plain values as inputs
    (``wait_for`` keeps the upstream link in the UI): no failed future is ever handed to a task,
    which behaves the same on every task runner (prefect-dask turns ``allow_failure(...)``
    into a bare tuple). A failed stage is a failed task run, and the document's chain ends there.
    When ``stop`` is set, no further stage is submitted and the generator ends.
    """
    # A stage's end, or None: the feed changed (a link offered, the crawl over).
    finished: queue.SimpleQueue[tuple[Stage, int, PrefectFuture[Any]] | None] = queue.SimpleQueue()
    feed.on_change(lambda: finished.put(None))
    runs: list[DocumentRun] = []
    batches: list[list[int]] = []
    download = download_with_retries(ctx.http)
    extract = extract_for(ctx, refresh=ctx.full_refresh)
    waiting: deque[tuple[int, Stage, PrefectFuture[Any] | None]] = deque()  # for room in the window
    pending: list[int] = []  # known links for the next batch
    pending_since = 0.0
    outstanding = active = done = 0

    def watch(stage: Stage, index: int, future: PrefectFuture[Any]) -> None:
        nonlocal outstanding
        outstanding += 1
        future.add_done_callback(lambda future: finished.put((stage, index, future)))

    def submit(index: int, stage: Stage, upstream: PrefectFuture[Any] | None) -> None:
        run = runs[index]
        after = [upstream] if upstream is not None else None
        if stage is Stage.DOWNLOAD:
            watch(stage, index, download.submit(ctx, run.link, wait_for=after))
        elif stage is Stage.EXTRACT:
            assert run.fetched is not None
            watch(stage, index, extract.submit(ctx, run.fetched, wait_for=after))
        else:
            assert run.doc is not None and run.fetched is not None
            watch(stage, index, load_task.submit(ctx, AsIs(run.doc), run.fetched, wait_for=after))

    def take_links() -> None:
        nonlocal pending_since
        while (link := feed.poll()) is not None:
            runs.append(DocumentRun(link))
            if link.url in known:
                pending_since = pending_since if pending else time.monotonic()
                pending.append(len(runs) - 1)
            else:
                waiting.append((len(runs) - 1, Stage.DOWNLOAD, None))

    def send_batch(force: bool) -> None:
        if pending and (force or len(pending) >= batch_size or time.monotonic() - pending_since >= batch_wait_seconds):
            batches.append(pending[:batch_size])
            del pending[:batch_size]
            links = [runs[i].link for i in batches[-1]]
            watch(Stage.REVALIDATE, len(batches) - 1, revalidate_task.submit(ctx, links))

    def start_waiting() -> None:
        nonlocal active
        while waiting and active < window:
            index, stage, upstream = waiting.popleft()
            active += 1
            submit(index, stage, upstream)

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
            # No next stage for anything: documents not finished now are left to the next run.
            return
        take_links()
        send_batch(force=feed.exhausted)
        start_waiting()
        if not (outstanding or waiting or pending) and feed.exhausted:
            return
        try:
            ended = finished.get(timeout=0.25)
        except queue.Empty:
            continue
        if ended is None:
            continue
        stage, index, future = ended
        outstanding -= 1
        if stage is Stage.REVALIDATE:
            yield from _batch_done(runs, batches[index], future, waiting, finish)
            continue
        run = runs[index]
        if _take(run, stage, future):
            submit(index, Stage.EXTRACT if stage is Stage.DOWNLOAD else Stage.LOAD, future)
            continue
        active -= 1
        yield from finish(run)


def _batch_done(
    runs: list[DocumentRun],
    indexes: list[int],
    future: PrefectFuture[list[Revalidated]],
    waiting: deque[tuple[int, Stage, PrefectFuture[Any] | None]],
    finish: Callable[[DocumentRun], Iterator[DocumentRun]],
) -> Iterator[DocumentRun]:
    """A revalidate batch ended: each link is done, or waits for its next stage."""
    upstream: PrefectFuture[Any] | None = future
    try:
        results = future.result()
    except Exception:  # noqa: BLE001 - the batch's failed task run says why; each link gets its own download
        # No wait_for on a failed future: Prefect would never start the task behind it.
        results, upstream = [Revalidated(runs[i].link, Verdict.DOWNLOAD) for i in indexes], None
    for index, result in zip(indexes, results, strict=True):
        next_stage = _revalidated(runs[index], result)
        if next_stage is None:
            yield from finish(runs[index])
        else:
            waiting.append((index, next_stage, upstream))
