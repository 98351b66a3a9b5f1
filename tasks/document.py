"""The ``document`` task: one disclosure's way through a run, download → extract → load, as one
task run.

One task run per document, not one per stage: every task run costs the Prefect server its state
changes, events and log rows, and with three per document the server and the flow's Prefect
client spent more CPU than the parses of small budgets (bench/national.py, docs/performance.md).
What the stages did is in the task run's log (the download, then one line for the parse and the
load), a failure names its stage (``StageFailed``), and a transient download failure retries the
task run, which has done nothing else yet (``AwaitingRetry`` → ``Retrying`` in the UI).

The task returns a small ``DocumentDone``, never the parsed document: a task's result stays in
Prefect's in-memory record cache, and parsed documents are 0.1–0.2 MB each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.runtime import task_run

from storage.repository import LoadOutcome
from tasks.context import RunContext
from tasks.download import Downloaded, download_attempt, retry_if_transient, retry_options
from tasks.extract import ParseCache, Parsed, describe_parse, parse_fetched
from tasks.load import load
from tasks.naming import document_run_name
from yusuan.errors import one_line
from yusuan.extract.isolated import ParseStopped
from yusuan.models import Check, DisclosureLink, ExtractedDocument, FetchedFile


class Stage(StrEnum):
    DOWNLOAD = "download"
    EXTRACT = "extract"
    LOAD = "load"


class StageFailed(Exception):
    """A stage of the document's task run failed for a reason that is not a recorded download
    failure: what the operator reads on the failed task run, and in the run's report."""

    def __init__(self, stage: Stage, detail: str) -> None:
        # Plain arguments only, so the exception survives pickling (a Dask worker sends it back).
        super().__init__(stage, detail)
        self.stage = Stage(stage)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.stage} failed: {self.detail}"

    def __repr__(self) -> str:
        return f"StageFailed({str(self)!r})"


@dataclass(frozen=True, slots=True)
class ParsedDigest:
    """What the run's report needs of a parsed document."""

    status: str
    agency_name: str | None
    fiscal_year: int | None
    doc_kind: str | None
    content_kind: str
    error: str | None
    kind_reason: str
    verdict: str
    failed_checks: tuple[Check, ...]

    @classmethod
    def of(cls, doc: ExtractedDocument) -> ParsedDigest:
        return cls(
            doc.status.value,
            doc.agency_name,
            doc.fiscal_year,
            doc.doc_kind,
            doc.content_kind.value,
            doc.error,
            doc.kind_reason,
            doc.verdict,
            tuple(c for c in doc.checks if c.status == "failed"),
        )


@dataclass(frozen=True, slots=True)
class DocumentDone:
    """A document's task run's result: its fetch, and, when it was parsed and loaded, what it
    is and what the load did (None: the database already held these bytes, nothing more ran)."""

    fetched: FetchedFile
    parsed: ParsedDigest | None = None
    outcome: LoadOutcome | None = None


def log_parsed_and_loaded(parsed: Parsed, outcome: LoadOutcome) -> None:
    """One line in the task run's log for the parse and the load (a warning for a quarantine)."""
    log = get_run_logger()
    level = log.warning if parsed.doc.error else log.info
    level(
        "%s; document %d %s (%s), %d facts",
        describe_parse(parsed),
        outcome.document_id,
        outcome.action,
        outcome.status,
        outcome.facts,
    )


def process_document(
    ctx: RunContext,
    link: DisclosureLink,
    cache: ParseCache,
    downloaded: Downloaded | None = None,
    attempt: int = 1,
) -> DocumentDone:
    """Download ``link`` (unless ``downloaded`` holds its fetch already), then parse and load it
    when the database does not hold its bytes. Raises ``DownloadFailed`` (recorded), ``ParseStopped``
    (the run is stopping) or ``StageFailed``."""
    if downloaded is None:
        downloaded = download_attempt(ctx, link, attempt)
    fetched = downloaded.fetched
    if fetched.error or not downloaded.needs_extraction:
        return DocumentDone(fetched)
    try:
        parsed = parse_fetched(ctx, fetched, cache, refresh=ctx.full_refresh)
    except ParseStopped:
        raise
    except Exception as exc:
        raise StageFailed(Stage.EXTRACT, one_line(exc)) from exc
    try:
        outcome = load(ctx, parsed.doc, fetched)
    except Exception as exc:
        raise StageFailed(Stage.LOAD, one_line(exc)) from exc
    log_parsed_and_loaded(parsed, outcome)
    return DocumentDone(fetched, ParsedDigest.of(parsed.doc), outcome)


@task(
    cache_policy=NO_CACHE,
    name="document",
    task_run_name=document_run_name("document"),
    retry_condition_fn=retry_if_transient,
)
def document_task(
    ctx: RunContext, link: DisclosureLink, cache: ParseCache, downloaded: Downloaded | None = None
) -> DocumentDone:
    return process_document(ctx, link, cache, downloaded, task_run.run_count or 1)


DocumentTask = Task[[RunContext, DisclosureLink, ParseCache, Downloaded | None], DocumentDone]


def document_task_for(ctx: RunContext) -> DocumentTask:
    """``document_task`` with ``ctx.http.attempts`` attempts and fresh jittered delays between them."""
    options: dict[str, Any] = retry_options(ctx.http)
    return document_task.with_options(**options)
