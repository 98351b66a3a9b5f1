"""The ``ingest`` flow: discover → download → extract → load, one portal per run.

The flow only wires tasks together; each stage is a plain function in ``tasks``/``yusuan``.
Documents are independent: they stream through a thread pool (``flows.documents``), parses run
in processes on every core, and one document that fails is reported without stopping the others.
"""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectFuture
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, Failed, State
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from flows.documents import LinkFeed, run_documents
from flows.progress import run_progress
from flows.summary import IngestSummary, report_document, summarise_discovery, summary_markdown
from storage.database import create_missing_database, engine_for, resolve_database_url
from storage.evidence import read_review
from storage.migrate import upgrade_if_behind
from storage.recheck import KnownSource, portal_known_sources
from storage.retrying import DatabaseUnavailable, DbRetry, in_transaction, with_retries
from storage.runs import close_stale_runs, record_run_finish, record_run_start, run_lease
from storage.versions import run_changes
from tasks.context import RunContext
from tasks.discover import discover_task
from tasks.extract import ParseCache, prune_parse_cache
from tasks.group import run_result_storage
from tasks.runner import task_runner_for, untagged
from tasks.stopping import PROCESS_STOP, StopRequest, stop_on_signals
from yusuan.errors import one_line
from yusuan.evidence.review import review_dir, write_review_within
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.fetch.offsite import HostPolicy
from yusuan.models import DiscoveryResult
from yusuan.normalise.regions import resolve_region
from yusuan.settings import Settings, load_settings, with_politeness


def prepare_database(database_url: str | None, pgdata_dir: Path, retry: DbRetry | None = None) -> str:
    """The database URL (an embedded server when none is given), migrated; a database that is
    restarting is waited for within ``retry``."""
    url = resolve_database_url(database_url, pgdata_dir)

    def migrate() -> None:
        try:
            upgrade_if_behind(url)
        except DBAPIError:
            # A database its server lacks fails to connect like a server that is away (no
            # SQLSTATE): asked only then, so a run (a group's every entry) that connects pays nothing.
            if not create_missing_database(url):
                raise
            upgrade_if_behind(url)

    with_retries("migrating the database", migrate, retry or DbRetry())
    return url


def _artifact_key(portal: str) -> str:
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in portal.lower()).strip("-")
    return f"ingest-{slug or 'portal'}"


@flow(
    name="ingest",
    flow_run_name="ingest {portal}",
    task_runner=task_runner_for(load_settings()),
    validate_parameters=True,
)
def ingest(
    entry_url: str,
    portal: str = "demo",
    max_pages: int = 200,
    max_documents: int | None = None,
    allowed_hosts: list[str] | None = None,
    years: list[int] | None = None,
    full_refresh: bool = False,
    per_host_concurrency: int | None = None,
    request_interval_seconds: float | None = None,
    region: str | None = None,
    attachment_hosts: list[str] | None = None,
    allow_private_addresses: bool = False,
) -> dict:
    """Crawl one portal from ``entry_url`` and load every budget disclosure found into Postgres.

    ``years`` keeps the disclosures whose link or page names one of those years (or no year);
    ``full_refresh`` downloads every file unconditionally and parses it again even when the
    database or the cache already hold it from this extractor version.
    ``per_host_concurrency`` (requests in flight per host) and ``request_interval_seconds``
    (least time between two request starts to one host) override the settings for this run.
    ``region`` (a division code or name, e.g. ``410100`` or ``河南省郑州市``) places the agencies
    whose names print no region of their own.
    Requests go only to ``allowed_hosts`` (default: the entry URL's host) and, for attachments,
    ``attachment_hosts``; every redirect hop is checked; a host on a private, loopback or
    link-local address is refused unless ``allow_private_addresses`` (the entry URL's own host
    excepted: the operator named it).
    """
    started = time.monotonic()
    logger = get_run_logger()
    settings = with_politeness(load_settings(), per_host_concurrency, request_interval_seconds)
    run_id = str(flow_run.id or uuid.uuid4())
    portal_region = resolve_region(region)
    if region and portal_region is None:
        return Failed(message=f"unknown region {region!r}: give a 6-digit division code or a name such as 河南省郑州市")
    retry = DbRetry(settings.database_retry_seconds, interrupt=PROCESS_STOP)
    with stop_on_signals() as stop, ExitStack() as lease:
        try:
            database_url = prepare_database(settings.database_url, settings.pgdata_dir, retry)
            # The lease first: between recording "running" and holding the lease, another run
            # starting at that moment would take this one for dead and close it.
            lease.enter_context(run_lease(database_url, run_id))

            def start(conn: Connection) -> tuple[list[str], dict[str, KnownSource]]:
                now = datetime.now(UTC)
                stale = close_stale_runs(conn, now)
                record_run_start(conn, run_id, "ingest", portal, entry_url, now)
                # Attachments the database holds are settled by the flow when read within the
                # recheck window, checked in batches otherwise: never a task run each.
                return stale, {} if full_refresh else portal_known_sources(conn, portal, EXTRACTOR_VERSION)

            closed, known = in_transaction(database_url, "recording the run's start", start, retry)
        except (DatabaseUnavailable, DBAPIError) as exc:
            return Failed(message=f"{portal}: {one_line(exc)}")
        for stale in closed:
            logger.warning("the last run of %s never finished (its process was killed): closed as failed", stale)
        ctx = RunContext.for_run(
            settings,
            run_id,
            database_url,
            portal,
            full_refresh=full_refresh,
            region=portal_region,
            hosts=HostPolicy.for_portal(entry_url, allowed_hosts, attachment_hosts, allow_private_addresses),
            entry_url=entry_url,
        )
        try:
            # In a group, the group has set this up once for all its entries (tasks/group.py).
            cache = ParseCache.for_run(ctx, run_result_storage(ctx.limits, settings.results_dir, ctx.objects))
            return _run(
                ctx, settings, entry_url, max_pages, allowed_hosts, years, max_documents, stop, started, known, cache
            )
        finally:
            ctx.close()


def _run(
    ctx: RunContext,
    settings: Settings,
    entry_url: str,
    max_pages: int,
    allowed_hosts: list[str] | None,
    years: list[int] | None,
    max_documents: int | None,
    stop: StopRequest,
    started: float,
    known: dict[str, KnownSource],
    cache: ParseCache,
) -> State:
    logger = get_run_logger()
    portal = ctx.portal
    summary = IngestSummary(portal=portal, run_id=ctx.run_id)
    limit = max_documents if max_documents is not None else settings.max_documents_per_run
    feed = LinkFeed(years, limit)
    # The crawl hands each disclosure to the feed as it finds it, so that downloads and parses
    # start while it walks on. A task on a Dask worker cannot reach this process: there the
    # disclosures come from the crawl's result.
    streaming = not settings.dask_address

    def discovered(future: PrefectFuture[DiscoveryResult]) -> None:
        try:
            if not streaming:
                for link in future.result().disclosures:
                    feed.offer(link)
        except Exception:  # noqa: BLE001 - the flow reads the failure from the future itself
            pass
        finally:
            feed.close()

    progress = run_progress(f"{_artifact_key(portal)}-progress", "Documents done")
    with untagged():
        crawl = discover_task.submit(ctx, entry_url, max_pages, allowed_hosts, found=feed.offer if streaming else None)
        crawl.add_done_callback(discovered)
        for document in run_documents(
            ctx,
            feed,
            progress,
            stop=stop,
            window=settings.document_window,
            known=known,
            recent_since=ctx.recheck_since(datetime.now(UTC)),
            cache=cache,
            per_task_run=settings.documents_per_task_run,
        ):
            summary.documents.append(report_document(document))
            fetched = document.fetched
            if document.recent:
                summary.not_requested += 1
            elif fetched is not None and not fetched.error:
                summary.downloaded += fetched.http_status != 304
                summary.not_modified += fetched.http_status == 304
    progress.flush()
    if summary.not_requested:
        logger.info("%d known files read within %g h: not requested", summary.not_requested, ctx.recheck_after_hours)
    summary.skipped_by_year = feed.skipped_by_year
    try:
        # A stopping run waits for the crawl only briefly: the crawl may be queued for a host slot
        # that a slow download holds, and the run's end must be recorded within the CLI's grace
        # (flows.cli.STOP_GRACE_SECONDS, 6 s); a cancelled run's summary does without its page counts.
        discovery: DiscoveryResult | None = crawl.result(timeout=None if not stop.is_set() else 2.0)
        failure = ""
    except Exception as exc:  # noqa: BLE001 - the run ends recorded, with the reason, not as a traceback
        discovery, failure = None, one_line(exc)
    summary.seconds = time.monotonic() - started
    if discovery is not None:
        summarise_discovery(summary, discovery)
    if stop.is_set():
        return _finish(ctx, settings.results_dir, summary, "cancelled", _stopped(stop, summary, feed))
    if discovery is None:
        message = f"discovery of {portal} failed: {failure}"
        return _finish(ctx, settings.results_dir, summary, "failed", Failed(message=message))
    # A portal none of whose pages could be read did nothing: that is a failed run, with the reason.
    if discovery.pages and all(page.error for page in discovery.pages):
        reason = f"no page of {portal} could be read: {discovery.pages[0].url}: {discovery.pages[0].error}"
        return _finish(ctx, settings.results_dir, summary, "failed", Failed(message=reason))
    if summary.failures:
        # Finished, with documents that failed: "Partial" in the UI, a COMPLETED type for the
        # group flow and the scheduler (the other documents are in), and the count in the message.
        state = Completed(name="Partial", message=_final_message(summary))
    else:
        state = Completed(message=_final_message(summary))
    return _finish(ctx, settings.results_dir, summary, "completed", state)


def _stopped(stop: StopRequest, summary: IngestSummary, feed: LinkFeed) -> State:
    done = len(summary.documents)
    message = f"stopped by {stop.signal_name}: {done} of {feed.taken} documents done, {feed.taken - done} left"
    get_run_logger().info("%s", message)  # the CLI prints its own one line
    return Cancelled(message=message, data={"signal": stop.signal_name, "exit_code": stop.exit_code})


def _finish(ctx: RunContext, results_dir: Path, summary: IngestSummary, status: str, state: State) -> State:
    """Record the run's end (its changes, its status, its artifacts) and return ``state`` with
    the run's summary as its data (plus what ``state.data`` already holds). A database that
    stays away here turns the state into a failure that says so."""
    logger = get_run_logger()
    # A stopping run writes its end at once: it does not wait out a database outage.
    retry = DbRetry(5.0) if status == "cancelled" else ctx.db_retry

    def finish(conn: Connection) -> None:
        summary.changes = run_changes(conn, ctx.run_id)
        record_run_finish(conn, ctx.run_id, status, summary.as_json(), datetime.now(UTC))

    try:
        in_transaction(ctx.database_url, "recording the run's end", finish, retry)
    except (DatabaseUnavailable, DBAPIError) as exc:
        reason = one_line(exc)
        logger.error("%s", reason)
        if status != "cancelled":
            state = Failed(message=f"{state.message}; {reason}")
    state.data = summary.as_json() | (state.data if isinstance(state.data, dict) else {})
    _publish_artifacts(summary, _review_pages(ctx, summary) if status != "cancelled" else {})
    if ctx.prunes_parse_cache:
        prune_parse_cache(results_dir, ctx.objects)
    message = ", ".join(f"{k}={v}" for k, v in (summary.totals() | summary.change_counts()).items())
    logger.info("run summary: %s", message)
    return state


def _final_message(summary: IngestSummary) -> str:
    totals = summary.totals()
    text = f"{totals['loaded']} loaded, {totals['unchanged']} unchanged, {totals['quarantined']} quarantined"
    return text + (f", {summary.failures} failed (see the summary artifact)" if summary.failures else "")


def _review_pages(ctx: RunContext, summary: IngestSummary) -> dict[int, Path]:
    """The review pages (yusuan/evidence/review.py) of this run's documents whose checks failed,
    for the summary artifact to link to."""
    failed = [d.document_id for d in summary.documents if d.verdict == "failed" and d.document_id is not None]
    if not failed:
        return {}
    store, out, engine = ctx.raw_store(), review_dir(ctx.raw_dir), engine_for(ctx.database_url)
    written: dict[int, Path] = {}
    cpu = 0.0
    for document_id in failed:
        try:
            with engine.connect() as conn:
                review = read_review(conn, document_id)
            page = write_review_within(review, store.local(review.sha256), out / f"{document_id}.html")
        except Exception as exc:  # noqa: BLE001 - a help for the operator, never a reason to fail the run
            get_run_logger().warning("review page of document %d not written: %s", document_id, one_line(exc))
            continue
        written[document_id], cpu = page.path, cpu + page.cpu_seconds
    # The rendering's CPU, which bench/national.py tells apart from the parses' (both are children
    # of the parse processes' forkserver).
    get_run_logger().info("review pages: %d written in %.2f s of CPU", len(written), cpu)
    return written


def _publish_artifacts(summary: IngestSummary, reviews: dict[int, Path] | None = None) -> None:
    key = _artifact_key(summary.portal)
    create_table_artifact(
        key=f"{key}-documents",
        table=[
            {
                "outcome": d.outcome,
                "agency": d.agency_name,
                "year": d.fiscal_year,
                "kind": d.doc_kind,
                "content": d.content_kind,
                "region": d.region,
                "facts": d.facts,
                "verdict": d.verdict,
                "document_id": d.document_id,
                "detail": d.detail[:200],
                "url": d.url,
            }
            for d in summary.documents
        ],
        description=f"Documents of portal {summary.portal} in this run",
    )
    if summary.changes:
        # Only a run that found a change writes it, so the key's latest version is the portal's
        # last diff. An unchanged re-run's "none" row cost the server a write and two events per
        # portal entry (a group's re-run of 300 portals: 300 writes, 600 events) for what the
        # summary's totals say anyway; budget.source_changes holds every diff.
        create_table_artifact(
            key=f"{key}-changes",
            table=list(summary.changes),
            description=f"What changed at portal {summary.portal} since its last run",
        )
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=summary_markdown(summary, reviews, load_settings().review_base_url),
        description="Run summary",
    )
