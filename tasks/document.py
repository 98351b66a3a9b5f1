"""The ``document`` task: one disclosure's way through a run, download → extract → load, as one
task run; and the ``documents`` task: several of them, one after the other, in one task run.

At most one task run per document, not one per stage: every task run costs the Prefect server
its state changes, events and log rows, and with three per document the server and the flow's
Prefect client spent more CPU than the parses of small budgets (bench/national.py,
docs/performance.md). What the stages did is in the task run's log (the download, then one line
for the parse and the load), a failure names its stage (``StageFailed``), and a transient
download failure retries the task run, which has done nothing else yet (``AwaitingRetry`` →
``Retrying`` in the UI).

Documents that would only queue for a busy parse slot share a ``documents`` task run
(flows/documents.py decides): one task run's bookkeeping for several parses. Each document's
outcome is its own (a ``DocumentDone`` or the exception it raised); a document that failed fails
the shared task run (its state names the document and the reason) without costing the others,
and one whose download failed for a passing reason is handed back for a ``document`` task run of
its own, which retries it as above.

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
from prefect.states import State

from storage.repository import LoadOutcome
from tasks.context import RunContext
from tasks.download import Downloaded, DownloadFailed, download_attempt, retry_if_transient, retry_options
from tasks.extract import ParseCache, Parsed, describe_parse, parse_fetched
from tasks.load import load
from tasks.naming import document_run_name, shared_run_name
from tasks.shared_runs import shared_state
from tasks.stopping import PROCESS_STOP
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
    ctx: RunContext,
    link: DisclosureLink,
    cache: ParseCache,
    downloaded: Downloaded | None = None,
    attempts_made: int = 0,
) -> DocumentDone:
    return process_document(ctx, link, cache, downloaded, attempts_made + (task_run.run_count or 1))


DocumentTask = Task[[RunContext, DisclosureLink, ParseCache, Downloaded | None, int], DocumentDone]


def document_task_for(ctx: RunContext, attempts_made: int = 0) -> DocumentTask:
    """``document_task`` with what is left of ``ctx.http.attempts`` after ``attempts_made`` (a
    shared task run's attempt) and fresh jittered delays between them."""
    options: dict[str, Any] = retry_options(ctx.http, attempts_made)
    return document_task.with_options(**options)


# A document's outcome in a shared task run: what it gave, or what it raised.
DocumentOutcome = DocumentDone | Exception


def retry_alone(outcome: DocumentOutcome, ctx: RunContext) -> bool:
    """Whether a shared task run's document goes on to a ``document`` task run of its own: its
    first download attempt failed for a passing reason and attempts are left."""
    return isinstance(outcome, DownloadFailed) and outcome.fetched.transient and ctx.http.attempts > 1


def process_documents(
    ctx: RunContext,
    links: tuple[DisclosureLink, ...],
    cache: ParseCache,
    downloaded: tuple[Downloaded | None, ...],
) -> list[DocumentOutcome]:
    """``process_document`` for each link, each outcome its own: a document's failure is its
    result, not the others'. The downloads come first, one attempt each, one after the other:
    a host's slot and rate tokens, held a moment past each use (tasks/held_limits.py), serve
    them all, where downloads spaced by parses would ask the server for them again each time;
    and no parse waits for a download. Once the run is stopping, the documents not begun are
    ``ParseStopped`` (left for the next run, as a task run never submitted)."""
    fetches: list[Downloaded | Exception] = []
    for link, fetch in zip(links, downloaded, strict=True):
        if fetch is not None:
            fetches.append(fetch)
        elif PROCESS_STOP.is_set():
            fetches.append(ParseStopped("the run is stopping"))
        else:
            try:
                fetches.append(download_attempt(ctx, link, 1))
            except Exception as exc:  # noqa: BLE001 - recorded for this document; the others go on
                fetches.append(exc)
    outcomes: list[DocumentOutcome] = []
    for link, fetch in zip(links, fetches, strict=True):
        if isinstance(fetch, Exception):
            outcomes.append(fetch)
        elif PROCESS_STOP.is_set():
            outcomes.append(ParseStopped("the run is stopping"))
        else:
            try:
                outcomes.append(process_document(ctx, link, cache, fetch))
            except Exception as exc:  # noqa: BLE001 - recorded for this document; the others go on
                outcomes.append(exc)
    return outcomes


def shared_run_state(
    ctx: RunContext, links: tuple[DisclosureLink, ...], outcomes: list[DocumentOutcome]
) -> list[DocumentOutcome] | State:
    """The outcomes as the shared task run's result; Failed (with the outcomes as its data) when
    a document failed, its message naming each one and why. A download that failed for a passing
    reason is not a failure here: it is retried in a task run of its own, which says how it ended."""
    log = get_run_logger()
    failed: list[str] = []
    for link, outcome in zip(links, outcomes, strict=True):
        if not isinstance(outcome, Exception) or isinstance(outcome, ParseStopped):
            continue
        name = link.link_text or link.url
        if retry_alone(outcome, ctx):
            log.warning("%s: %s; retried in a task run of its own", name, outcome)
        else:
            log.error("%s: %s", name, outcome)
            failed.append(f"{name}: {outcome}")
    return shared_state(outcomes, failed)


@task(cache_policy=NO_CACHE, name="documents", task_run_name=shared_run_name("documents", "links"))
def documents_task(
    ctx: RunContext,
    links: tuple[DisclosureLink, ...],
    cache: ParseCache,
    downloaded: tuple[Downloaded | None, ...],
) -> list[DocumentOutcome] | State:
    return shared_run_state(ctx, links, process_documents(ctx, links, cache, downloaded))
