"""The ``backfill`` flow: re-extract and re-load stored raw PDFs with the current extractor.

No network: the raw store holds every file by sha256. Use it after an extractor change, for all
documents or a filter (agency, year, documents extracted by a version older than X).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from flows.ingest import prepare_database
from storage.database import engine_for
from storage.repository import StoredDocument, stored_documents
from tasks.context import RunContext
from tasks.extract import cached_parse, ensure_result_storage, fetch_hint
from tasks.limits import ensure_extraction_limit
from tasks.load import load
from tasks.runner import task_runner_for
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.settings import load_settings


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def select_for_backfill(documents: list[StoredDocument], older_than: str | None, force: bool) -> list[StoredDocument]:
    if force:
        return documents
    bound = version_tuple(older_than or EXTRACTOR_VERSION)
    return [d for d in documents if version_tuple(d.extractor_version) < bound]


@task(cache_policy=NO_CACHE, name="re-extract", task_run_name="re-extract document {stored.document_id}")
def reextract_task(ctx: RunContext, stored: StoredDocument, force: bool = False) -> str:
    if not Path(stored.storage_path).is_file():
        return f"document {stored.document_id}: raw file missing at {stored.storage_path}"
    # force re-parses even what the cache holds for this extractor version (refresh_cache).
    doc = cached_parse(ctx, stored.sha256, stored.storage_path, fetch_hint(stored.fetched), refresh=force)
    outcome = load(ctx, doc, stored.fetched)
    return f"document {outcome.document_id}: {outcome.action} ({outcome.status}, {outcome.facts} facts)"


@flow(name="backfill", task_runner=task_runner_for(load_settings()))
def backfill(
    agency_name: str | None = None,
    fiscal_year: int | None = None,
    older_than_version: str | None = None,
    force: bool = False,
) -> list[str]:
    """Re-extract stored documents: by default those extracted by an older extractor version."""
    settings = load_settings()
    database_url = prepare_database(settings.database_url, settings.pgdata_dir)
    run_id = str(flow_run.id or uuid.uuid4())
    storage = ensure_result_storage(settings.results_dir)
    ctx = RunContext.for_run(settings, run_id, database_url, "backfill", storage)
    ensure_extraction_limit(ctx.limits)
    with engine_for(database_url).connect() as conn:
        candidates = stored_documents(conn, agency_name, fiscal_year)
    chosen = select_for_backfill(candidates, older_than_version, force)
    get_run_logger().info("backfill: %d of %d stored documents selected", len(chosen), len(candidates))
    futures = reextract_task.map(unmapped(ctx), chosen, force=unmapped(force))
    return [f.result() for f in futures]
