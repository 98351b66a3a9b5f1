"""The ``backfill`` flow: re-extract and re-load stored raw PDFs with the current extractor.

No network: the raw store holds every file by sha256. Use it after an extractor change, for all
documents or a filter (agency, year, documents extracted by a version older than X).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State
from sqlalchemy.exc import DBAPIError

from flows.documents import shared_run_size
from flows.ingest import prepare_database
from storage.object_store import object_store_of
from storage.repository import LoadOutcome, StoredDocument, stored_documents
from storage.retrying import DatabaseUnavailable, DbRetry, in_transaction
from tasks.context import RunContext
from tasks.document import log_parsed_and_loaded
from tasks.extract import ParseCache, parse_fetched, prune_parse_cache
from tasks.group import run_result_storage
from tasks.load import load
from tasks.naming import shared_run_name
from tasks.runner import task_runner_for
from tasks.shared_runs import outcomes_of, shared_state
from yusuan.errors import first_line, one_line
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.settings import load_settings


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def select_for_backfill(documents: list[StoredDocument], older_than: str | None, force: bool) -> list[StoredDocument]:
    if force:
        return documents
    bound = version_tuple(older_than or EXTRACTOR_VERSION)
    return [d for d in documents if version_tuple(d.extractor_version) < bound]


def reextract(ctx: RunContext, stored: StoredDocument, cache: ParseCache, force: bool = False) -> LoadOutcome:
    """Parse ``stored``'s raw file again (from the object store when this machine lacks it) and load it."""
    fetched = stored.fetched
    if not Path(stored.storage_path).is_file():
        # Stored by another machine, or this one's raw store moved: the object store has it.
        try:
            fetched = dataclasses.replace(fetched, raw_path=str(ctx.raw_store().local(stored.sha256)))
        except FileNotFoundError as exc:
            raise FileNotFoundError(
                f"raw file of document {stored.document_id} (sha256 {stored.sha256[:12]}…) is not in the raw store"
                f" at {stored.storage_path}: run ingest with full_refresh to download it again"
            ) from exc
    # force re-parses even what the cache holds for this extractor version.
    parsed = parse_fetched(ctx, fetched, cache, refresh=force)
    outcome = load(ctx, parsed.doc, fetched)
    log_parsed_and_loaded(parsed, outcome)
    return outcome


@task(cache_policy=NO_CACHE, name="re-extract", task_run_name=shared_run_name("re-extract", "chosen"))
def reextract_task(
    ctx: RunContext, chosen: tuple[StoredDocument, ...], cache: ParseCache, force: bool = False
) -> list[LoadOutcome | Exception] | State:
    """Re-extract ``chosen`` one after the other, each outcome its own (a task run's bookkeeping
    costs ≈ 2.5 % of a real budget's parse: a backfill's documents share task runs, as a run's
    do when the parse slots are busy). A document that failed fails the task run, whose state
    names it; the others load."""
    outcomes: list[LoadOutcome | Exception] = []
    failed: list[str] = []
    for stored in chosen:
        try:
            outcomes.append(reextract(ctx, stored, cache, force))
        except Exception as exc:  # noqa: BLE001 - this document's failure, recorded in its row
            outcomes.append(exc)
            failed.append(f"document {stored.document_id}: {_reason(exc)}")
            get_run_logger().error("%s", failed[-1])
    return shared_state(outcomes, failed)


def shared_runs(chosen: list[StoredDocument], window: int, most: int) -> list[tuple[StoredDocument, ...]]:
    """``chosen`` in task runs of up to ``most``, shorter towards the end (``shared_run_size``:
    spread over the window) so that the backfill's end waits on no long task run."""
    runs: list[tuple[StoredDocument, ...]] = []
    start = 0
    while start < len(chosen):
        size = shared_run_size(len(chosen) - start, window, window, most, saturated=False, final=True)
        runs.append(tuple(chosen[start : start + size]))
        start += size
    return runs


def backfill_run_name() -> str:
    parameters = flow_run.parameters
    chosen = [str(parameters[key]) for key in ("agency_name", "fiscal_year") if parameters.get(key) is not None]
    if parameters.get("older_than_version"):
        chosen.append(f"before {parameters['older_than_version']}")
    return "backfill " + (" ".join(chosen) or "all") + (" (forced)" if parameters.get("force") else "")


@flow(name="backfill", flow_run_name=backfill_run_name, task_runner=task_runner_for(load_settings()))
def backfill(
    agency_name: str | None = None,
    fiscal_year: int | None = None,
    older_than_version: str | None = None,
    force: bool = False,
) -> State:
    """Re-extract stored documents: by default those extracted by an older extractor version.

    A document whose raw file is gone is a failed task run with the reason; the others go on,
    and the run ends Completed with a message that counts them (the table artifact lists them).
    """
    settings = load_settings()
    retry = DbRetry(settings.database_retry_seconds)
    try:
        database_url = prepare_database(settings.database_url, settings.pgdata_dir, retry)
        candidates = in_transaction(
            database_url,
            "listing the stored documents",
            lambda conn: stored_documents(conn, agency_name, fiscal_year),
            retry,
        )
    except (DatabaseUnavailable, DBAPIError) as exc:
        return Failed(message=f"backfill: {one_line(exc)}")
    run_id = str(flow_run.id or uuid.uuid4())
    ctx = RunContext.for_run(settings, run_id, database_url, "backfill")
    storage = run_result_storage(ctx.limits, settings.results_dir, ctx.objects)
    chosen = select_for_backfill(candidates, older_than_version, force)
    logger = get_run_logger()
    logger.info(
        "backfill: %d of %d stored documents selected (extractor %s)", len(chosen), len(candidates), EXTRACTOR_VERSION
    )
    cache = ParseCache.for_run(ctx, storage)
    shared = shared_runs(chosen, settings.document_window, settings.documents_per_task_run)
    futures = reextract_task.map(unmapped(ctx), shared, unmapped(cache), force=unmapped(force))
    progress = create_progress_artifact(0.0, key="backfill-progress", description=f"Documents done of {len(chosen)}")
    rows: list[dict[str, object]] = []
    try:
        for run, future in zip(shared, futures, strict=True):
            rows.extend(_rows(run, future))
            update_progress_artifact(progress, 100.0 * len(rows) / len(chosen))
    finally:
        ctx.close()
    if not chosen:
        update_progress_artifact(progress, 100.0)
    create_table_artifact(
        key="backfill-documents",
        table=rows or [{"document_id": None, "detail": "nothing to re-extract"}],
        description=f"Documents re-extracted with extractor {EXTRACTOR_VERSION}",
    )
    counts = Counter(str(row["action"]) for row in rows)
    message = f"{len(chosen)} of {len(candidates)} stored documents re-extracted with {EXTRACTOR_VERSION}"
    if rows:
        message += ": " + ", ".join(f"{counts[action]} {action}" for action in sorted(counts))
    logger.info("backfill: %s", message)
    prune_parse_cache(settings.results_dir, object_store_of(settings))
    return Completed(message=message, data=rows)


def _rows(chosen: tuple[StoredDocument, ...], future: PrefectFuture[list[LoadOutcome | Exception]]) -> list[dict]:
    """A row for each document of a task run: its load, or why it failed."""
    future.wait()
    outcomes = outcomes_of(future, len(chosen))
    return [_row(stored, outcome) for stored, outcome in zip(chosen, outcomes, strict=True)]


def _row(stored: StoredDocument, outcome: LoadOutcome | Exception) -> dict[str, object]:
    row: dict[str, object] = {
        "document_id": stored.document_id,
        "agency": stored.agency_name,
        "year": stored.fiscal_year,
        "was": stored.extractor_version,
    }
    if isinstance(outcome, LoadOutcome):
        return row | {"action": outcome.action, "status": outcome.status, "facts": outcome.facts, "detail": ""}
    return row | {"action": "failed", "status": None, "facts": 0, "detail": _reason(outcome)[:300]}


def _reason(exc: BaseException) -> str:
    # The exception's own first line: ours say what to do (``one_line`` would give its cause's).
    return f"{type(exc).__name__}: {first_line(str(exc))}"
