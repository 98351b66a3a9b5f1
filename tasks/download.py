"""A document's download stage: one attachment into the raw store, its fetch recorded.

Transient failures (timeouts, dropped connections, HTTP 5xx/408/429) are retried by Prefect, not
by a loop inside the task: each attempt is one request, and the operator sees the document's
task run go ``AwaitingRetry`` → ``Retrying`` with its reason and run count; ``yusuan.sources``
records the last attempt with its number. The delays are full-jitter exponential backoff computed per
document (Prefect's own ``retry_jitter_factor`` is not relied on, see FIELD_NOTES); a 404 fails
at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

from httpx import Client
from prefect.logging import get_run_logger
from sqlalchemy import Connection

from storage.repository import needs_extraction, record_fetch, stored_source
from storage.retrying import in_transaction
from storage.versions import Change
from tasks.context import RunContext
from tasks.stopping import PROCESS_STOP
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.fetch.download import download
from yusuan.fetch.http import HttpConfig, RetryPolicy, make_client
from yusuan.models import DisclosureLink, FetchedFile

# One request per attempt: the attempts are the task's retries.
ONE_REQUEST = RetryPolicy(attempts=1)


class Validators(Protocol):
    """What a conditional request needs from the last good fetch of a URL."""

    @property
    def sha256(self) -> str | None: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A fetched file, what changed at its URL, and whether it goes on to be parsed and loaded
    (False: the database holds these bytes from this extractor version, the document is
    unchanged and its task run ends here, with no parse and no load)."""

    fetched: FetchedFile
    change: Change | None
    needs_extraction: bool


def fetch_link(ctx: RunContext, link: DisclosureLink, attempt: int = 1) -> Downloaded:
    """One conditional request (when the URL was fetched before) for ``link``; the fetch is
    recorded, with what changed at the URL, and in the same transaction whether the file needs
    extracting."""
    previous = None
    if not ctx.full_refresh:  # a full refresh asks for the body, not for "not modified"
        previous = in_transaction(
            ctx.database_url, "reading the last fetch", lambda conn: stored_source(conn, link.url), ctx.db_retry
        )
    with make_client(ctx.http, ctx.hosts.request_hook(attachment=True) if ctx.hosts else None) as client:
        fetched = request_link(ctx, client, link, previous, attempt)
    return in_transaction(
        ctx.database_url, "recording the fetch", lambda conn: record_download(conn, ctx, fetched), ctx.db_retry
    )


def request_link(
    ctx: RunContext, client: Client, link: DisclosureLink, previous: Validators | None, attempt: int = 1
) -> FetchedFile:
    """One request for ``link`` into the raw store: conditional when ``previous`` holds its last
    good fetch. ``attempt`` is the task's attempt: the record counts those."""
    fetched = download(
        link,
        client,
        ctx.raw_store(),
        ONE_REQUEST,
        previous_etag=previous.etag if previous else None,
        previous_last_modified=previous.last_modified if previous else None,
        previous_sha256=previous.sha256 if previous else None,
        limiter=ctx.gate,
        limits=dataclasses.replace(ctx.http.download_limits, stopped=PROCESS_STOP.is_set),
    )
    fetched = dataclasses.replace(fetched, attempts=attempt)
    if fetched.error and fetched.transient:
        fetched = dataclasses.replace(fetched, error=f"{fetched.error} (attempt {attempt} of {ctx.http.attempts})")
    return fetched


def record_download(conn: Connection, ctx: RunContext, fetched: FetchedFile) -> Downloaded:
    """Record a fetch, with what changed at its URL, and decide whether the file goes on."""
    change = record_fetch(conn, fetched, ctx.run_id, ctx.entry_url)
    needed = fetched.ok and fetched.sha256 is not None and fetched.raw_path is not None
    if needed and not ctx.full_refresh:
        needed = needs_extraction(conn, fetched.sha256 or "", EXTRACTOR_VERSION)
    return Downloaded(fetched, change, needed)


class DownloadFailed(Exception):
    """The document could not be fetched; the fetch (with its error) is already recorded."""

    def __init__(self, fetched: FetchedFile) -> None:
        # The fetch is the only argument, so the exception survives pickling with it.
        super().__init__(fetched)
        self.fetched = fetched

    def __str__(self) -> str:
        return self.fetched.error or "download failed"

    def __repr__(self) -> str:
        # What Prefect shows in the task run's state and log: the reason, not the whole record.
        return f"DownloadFailed({str(self)!r})"


def retry_if_transient(task: object, task_run: object, state: object) -> bool:
    """Prefect's retry condition for a document's task run: another attempt only for a download
    that failed for a reason that passes (a 404, a bad file or a bug fail at once)."""
    try:
        state.result()  # type: ignore[attr-defined]
    except DownloadFailed as exc:
        return exc.fetched.transient
    except Exception:  # noqa: BLE001 - a bug, not the network: no retry
        return False
    return False


def download_attempt(ctx: RunContext, link: DisclosureLink, attempt: int) -> Downloaded:
    """Attempt ``attempt`` at ``link``, logged in the calling task run; raises ``DownloadFailed``
    (the fetch recorded with its reason) when it failed, unless the run is stopping."""
    downloaded = fetch_link(ctx, link, attempt)
    fetched, change = downloaded.fetched, downloaded.change
    logger = get_run_logger()
    if change in (Change.CHANGED, Change.REVERTED):
        logger.info("%s: the URL serves other bytes than at its last fetch", change.value)
    if fetched.error and PROCESS_STOP.is_set():
        logger.info("left for the next run (the run is stopping): %s", fetched.error)
        return downloaded
    if fetched.error:
        if fetched.transient and fetched.retry_after and attempt < ctx.http.attempts:
            # Prefect's retry delays are fixed when the task is submitted: the server's own
            # Retry-After is honoured here, before the attempt is handed back for its retry.
            logger.info("the server asks to wait %.0f s before the next attempt (Retry-After)", fetched.retry_after)
            PROCESS_STOP.wait(fetched.retry_after)
        # A failed task run in the UI, with its reason; the flow goes on with the others.
        raise DownloadFailed(fetched)
    if fetched.http_status == 304:
        logger.info("not modified since last fetch: %s", link.url)
    else:
        logger.info("downloaded %s bytes, sha256 %s", fetched.size_bytes, (fetched.sha256 or "")[:12])
    if not downloaded.needs_extraction:
        logger.info("unchanged: %s already extracted by extractor %s", (fetched.sha256 or "")[:12], EXTRACTOR_VERSION)
    return downloaded


def retry_options(http: HttpConfig, attempts_made: int = 0) -> dict[str, Any]:
    """Task options for what is left of ``http.attempts`` after ``attempts_made``, with fresh
    jittered delays between them."""
    policy = RetryPolicy.from_config(http)
    delays = [policy.delay(attempt) for attempt in range(attempts_made + 1, policy.attempts)]
    return {"retries": len(delays), "retry_delay_seconds": delays or 0}


def retry_delay(http: HttpConfig, attempts_made: int) -> float:
    """The wait before attempt ``attempts_made + 1``."""
    return RetryPolicy.from_config(http).delay(attempts_made)
