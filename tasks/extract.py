"""Extraction tasks.

``extract`` runs for a downloaded file that needs parsing (the download stage decided that, see
``storage.repository.needs_extraction``); ``parse-pdf`` parses it. The parse is a pure function of the
file's bytes (its sha256), the link text that hints at agency and year, and the extractor
version, so its result is cached by exactly those values and persisted under the data directory:
a file re-downloaded into a fresh database, a load that failed after extraction, or a backfill
with the same extractor is not parsed again, and a new extractor version misses the cache.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import task
from prefect.cache_policies import INPUTS, NO_CACHE
from prefect.filesystems import LocalFileSystem
from prefect.logging import get_run_logger

from storage.result_cache import prune_expired_results
from tasks.context import RunContext
from tasks.limits import LimitPlan, ParseSlots, extraction_slot
from tasks.naming import document_run_name
from tasks.stopping import PROCESS_STOP
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.extract.isolated import ParseBudget, ParseStopped, extract_within
from yusuan.models import ExtractedDocument, FetchedFile, QuarantineReason


def parse_file(path: Path, sha256: str, hint: str, budget: ParseBudget | None = None) -> ExtractedDocument:
    """Extract one file (in a child process within ``budget`` when given); an extractor crash
    becomes a quarantined document that says why."""
    try:
        if budget is None:
            return extract_document(path, sha256, hint)
        return extract_within(path, sha256, hint, budget, stopped=PROCESS_STOP.is_set)
    except ParseStopped:
        raise  # not a verdict on the file: nothing is recorded, the next run parses it
    except Exception as exc:  # noqa: BLE001 - one odd file must not cost the others; it is recorded
        return ExtractedDocument.quarantined(
            sha256, EXTRACTOR_VERSION, QuarantineReason.EXTRACT_FAILED, f"extractor failed: {type(exc).__name__}: {exc}"
        )


def fetch_hint(fetched: FetchedFile) -> str:
    return f"{fetched.link.link_text} {fetched.link.page_title}"


# The cache key is the hash of the inputs but the path (the same bytes can sit at another path
# on another machine), the limit plan and the parse budget (how to run is not what is computed).
PARSE_CACHE_POLICY = INPUTS - "raw_path" - "limits" - "budget" - "slots"


@task(name="parse-pdf", task_run_name="parse-pdf {sha256:.12}", cache_policy=PARSE_CACHE_POLICY, persist_result=True)
def parse_pdf_task(
    sha256: str,
    raw_path: str,
    hint: str,
    extractor_version: str,
    limits: LimitPlan,
    budget: ParseBudget | None = None,
    slots: ParseSlots | None = None,
) -> ExtractedDocument:
    if extractor_version != EXTRACTOR_VERSION:
        # A cache key naming one version must never hold another version's result.
        raise ValueError(f"asked for extractor {extractor_version}, this process runs {EXTRACTOR_VERSION}")
    with extraction_slot(limits, slots):
        return parse_file(Path(raw_path), sha256, hint, budget)


def ensure_result_storage(results_dir: Path) -> str:
    """Save (once per directory) the Prefect storage block the parse results go to; returns its
    slug. Prefect wants result storage saved server-side, so that any process of a run (a Dask
    worker, a retry) finds the same place; the name derives from the path, so two data
    directories on one Prefect server never share a block."""
    basepath = str(results_dir.resolve())
    name = "yusuan-results-" + hashlib.sha1(basepath.encode()).hexdigest()[:12]
    try:
        LocalFileSystem.load(name)
    except ValueError:  # not saved yet on this server
        LocalFileSystem(basepath=basepath).save(name, overwrite=True)
    return f"local-file-system/{name}"


def prune_parse_cache(results_dir: Path) -> None:
    """Delete the expired parse results (Prefect never does); a run calls it when it ends."""
    pruned = prune_expired_results(results_dir, datetime.now(UTC))
    if pruned.files:
        get_run_logger().info("parse cache: %s", pruned)


def cached_parse(ctx: RunContext, sha256: str, raw_path: str, hint: str, refresh: bool = False) -> ExtractedDocument:
    """Run ``parse-pdf`` (a child task run) with this run's result location and cache lifetime."""
    options: dict[str, object] = {"cache_expiration": timedelta(days=ctx.cache_days), "refresh_cache": refresh}
    if ctx.cache_days <= 0:
        # Prefect reads a zero expiration as "never expires": a lifetime of 0 means no cache at all.
        options = {"cache_policy": NO_CACHE, "persist_result": False}
    elif ctx.result_storage is not None:
        options["result_storage"] = ctx.result_storage
    parse = parse_pdf_task.with_options(**options)  # type: ignore[arg-type]
    return parse(sha256, raw_path, hint, EXTRACTOR_VERSION, ctx.limits, ctx.parse_budget, ctx.parse_slots)


@task(cache_policy=NO_CACHE, name="extract", task_run_name=document_run_name("extract"))
def extract_task(ctx: RunContext, fetched: FetchedFile) -> ExtractedDocument | None:
    """None when the run is stopping (the next run parses the file)."""
    if not fetched.ok or fetched.sha256 is None or fetched.raw_path is None:
        raise ValueError(f"nothing to extract: {fetched.link.url} has no stored file")
    logger = get_run_logger()
    try:
        doc = cached_parse(ctx, fetched.sha256, fetched.raw_path, fetch_hint(fetched), refresh=ctx.full_refresh)
    except ParseStopped as exc:
        logger.info("%s", exc)  # the run is stopping; the next run parses it
        return None
    if doc.error:
        logger.warning("%s: %s", doc.status.value, doc.error)
    else:
        logger.info(
            "%s %s %s: %d tables, %d function / %d economic lines, %d projects",
            doc.agency_name,
            doc.fiscal_year,
            doc.doc_kind,
            len(doc.tables),
            len(doc.function_lines),
            len(doc.economic_lines),
            len(doc.projects),
        )
    return doc
