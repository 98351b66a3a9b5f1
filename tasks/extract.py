"""The ``extract`` task: parse one downloaded file that needs parsing (the download stage
decided that, see ``storage.repository.needs_extraction``).

The parse is a pure function of the file's bytes (its sha256), the link text that hints at
agency and year, and the extractor version, so the task's result is cached by exactly those
values (``parse_cache_key``) and persisted under the data directory: a file re-downloaded into
a fresh database, a load that failed after extraction, or a backfill with the same extractor is
not parsed again, and a new extractor version misses the cache. One task run per document does
both the cache lookup and the parse: a separate cached child task would cost the Prefect API a
fourth task run per new document, which on a first run competes with the parses for the cores.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.blocks.core import Block
from prefect.cache_policies import NO_CACHE, CacheKeyFnPolicy
from prefect.context import TaskRunContext
from prefect.filesystems import LocalFileSystem, RemoteFileSystem
from prefect.logging import get_run_logger

from storage.object_store import ObjectStore
from storage.result_cache import prune_parse_results
from tasks.context import RunContext
from tasks.limits import extraction_slot
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


def parse_cache_key(sha256: str, hint: str) -> str:
    """What a parse's result depends on, and nothing else: not the path (the same bytes can sit
    at another path on another machine), not the run's limits or budget (how to run is not what
    is computed). The version is read at call time, so a new extractor misses every old key."""
    hinted = hashlib.sha256(hint.encode()).hexdigest()[:16]
    return f"parse-{EXTRACTOR_VERSION}-{sha256}-{hinted}"


def _extract_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    fetched: FetchedFile = parameters["fetched"]
    return parse_cache_key(fetched.sha256 or "", fetch_hint(fetched))


# A policy, not ``cache_key_fn``: a run with a cache lifetime of 0 swaps it for NO_CACHE, and
# Prefect lets a task's ``cache_key_fn`` win over any policy given later.
PARSE_CACHE_POLICY = CacheKeyFnPolicy(cache_key_fn=_extract_cache_key)


@task(name="extract", task_run_name=document_run_name("extract"), cache_policy=PARSE_CACHE_POLICY, persist_result=True)
def extract_task(ctx: RunContext, fetched: FetchedFile) -> ExtractedDocument:
    """Parse ``fetched`` in this run's extraction slots. Raises ``ParseStopped`` when the run
    is stopping: a failed task run caches nothing, and the next run parses the file."""
    if not fetched.ok or fetched.sha256 is None or fetched.raw_path is None:
        raise ValueError(f"nothing to extract: {fetched.link.url} has no stored file")
    raw = Path(fetched.raw_path)
    if not raw.is_file():
        # Downloaded on another machine (a worker, an earlier run elsewhere): from the object store.
        raw = ctx.raw_store().local(fetched.sha256)
    with extraction_slot(ctx.limits, ctx.parse_slots):
        doc = parse_file(raw, fetched.sha256, fetch_hint(fetched), ctx.parse_budget)
    logger = get_run_logger()
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


def extract_for(ctx: RunContext, refresh: bool = False) -> Task[[RunContext, FetchedFile], ExtractedDocument]:
    """``extract_task`` with this run's result location and cache lifetime; ``refresh`` parses
    again what the cache holds (and replaces it)."""
    if ctx.cache_days <= 0:
        # Prefect reads a zero expiration as "never expires": a lifetime of 0 means no cache at all.
        return extract_task.with_options(cache_policy=NO_CACHE, persist_result=False)
    options: dict[str, Any] = {
        "cache_expiration": timedelta(days=ctx.cache_days),
        "refresh_cache": refresh,
        # Persisted, so not kept in memory too: Prefect's result store holds up to 1,000 records
        # in memory, shared by a run's task runs, and a parsed document is 0.1–0.2 MB, so a
        # group's flow process grew by 0.17 MB per document (276 → 788 MB over 3,142 documents,
        # bench/national.py). The flow reads each result back from the cache once, to load it.
        "cache_result_in_memory": False,
    }
    if ctx.result_storage is not None:
        # The block, loaded once here: given its slug, Prefect loads it from the API for every
        # task run, two requests per parse (a third of a first run's API requests, measured by
        # bench/national.py).
        options["result_storage"] = Block.load(ctx.result_storage)
    return extract_task.with_options(**options)


def _block_name(basepath: str) -> str:
    return "yusuan-results-" + hashlib.sha1(basepath.encode()).hexdigest()[:12]


def ensure_result_storage(results_dir: Path, objects: ObjectStore | None = None) -> str:
    """Save (once per place) the Prefect storage block the parse results go to; returns its
    slug. Prefect wants result storage saved server-side, so that any process of a run (a Dask
    worker, a retry, a worker on another machine) finds the same place; the name derives from
    the place, so two data directories (or stores) on one Prefect server never share a block.
    With an object store the results live there, beside the raw files, for every machine."""
    if objects is not None:
        name = _block_name(objects.results_url)
        RemoteFileSystem(basepath=objects.results_url, settings=objects.options).save(name, overwrite=True)
        return f"remote-file-system/{name}"
    basepath = str(results_dir.resolve())
    name = _block_name(basepath)
    try:
        LocalFileSystem.load(name)
    except ValueError:  # not saved yet on this server
        LocalFileSystem(basepath=basepath).save(name, overwrite=True)
    return f"local-file-system/{name}"


def prune_parse_cache(results_dir: Path, objects: ObjectStore | None = None) -> None:
    """Delete the expired parse results (Prefect never does), in the object store when the cache
    lives there; a run calls it when it ends."""
    _place, pruned = prune_parse_results(results_dir, objects, datetime.now(UTC))
    if pruned.files:
        get_run_logger().info("parse cache: %s", pruned)
