"""The ``revalidate`` task: attachments a portal served before, checked many per task run.

On a re-run nearly every attachment is unchanged, and one task run per document (each with its
own database reads and writes and its Prefect state changes) would cost more than the check
itself. A batch of known URLs is checked in one task run instead:

- read within the recheck window, already loaded by this extractor version: not requested (the
  flow settles those it knew of at its start itself, with no task run: ``flows.documents``);
- otherwise one conditional request each, several in flight (the host's limits still hold);
- every fetch of the batch recorded in one transaction, with what changed at its URL.

What needs parsing goes on to its ``document`` task run, which starts at the parse; a failure
worth another attempt goes to a ``document`` task run that downloads it again and retries it
with backoff; a URL the database does not know goes there too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.runtime import task_run
from sqlalchemy import Connection

from storage.recheck import KnownSource, known_sources
from storage.retrying import in_transaction
from tasks.context import RunContext
from tasks.download import Downloaded, record_download, request_link
from tasks.stopping import PROCESS_STOP
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.fetch.http import make_client
from yusuan.models import DisclosureLink, FetchedFile


class Verdict(StrEnum):
    RECENT = "recent"  # read within the recheck window and loaded: not requested
    UNCHANGED = "unchanged"  # asked: the bytes this version already loaded
    CHANGED = "changed"  # asked: bytes to parse
    FAILED = "failed"  # asked: a failure another attempt would not mend (recorded)
    DOWNLOAD = "download"  # unknown, or a transient failure: its own document task run
    STOPPED = "stopped"  # the run is stopping: left for the next run


@dataclass(frozen=True, slots=True)
class Revalidated:
    link: DisclosureLink
    verdict: Verdict
    # The recorded fetch (RECENT: the last good one) and whether it goes on to be parsed.
    downloaded: Downloaded | None = None


def settled_without_request(link: DisclosureLink, source: KnownSource, since: datetime | None) -> Revalidated | None:
    """The ``RECENT`` verdict for ``link`` when its last fetch stands without a request (read
    after ``since``, see ``KnownSource.settled_since``); None when it must be asked for."""
    if not source.settled_since(since):
        return None
    return Revalidated(link, Verdict.RECENT, Downloaded(source.as_fetched(link), None, False))


def revalidate_links(ctx: RunContext, links: list[DisclosureLink], now: datetime | None = None) -> list[Revalidated]:
    """Check ``links`` (in this order in the result): see the module's docstring."""
    since = ctx.recheck_since(now or datetime.now(UTC))
    known = in_transaction(
        ctx.database_url,
        "reading the last fetches",
        lambda conn: known_sources(conn, (link.url for link in links), EXTRACTOR_VERSION),
        ctx.db_retry,
    )
    verdicts: dict[str, Revalidated] = {}
    due: list[tuple[DisclosureLink, KnownSource]] = []
    for link in links:
        source = known.get(link.url)
        if source is None or ctx.full_refresh:
            verdicts[link.url] = Revalidated(link, Verdict.DOWNLOAD)
        elif (recent := settled_without_request(link, source, since)) is not None:
            verdicts[link.url] = recent
        else:
            due.append((link, source))

    def ask(item: tuple[DisclosureLink, KnownSource]) -> FetchedFile | None:
        if PROCESS_STOP.is_set():
            return None
        return request_link(ctx, client, item[0], item[1])

    with (
        make_client(ctx.http, ctx.hosts.request_hook(attachment=True) if ctx.hosts else None) as client,
        ThreadPoolExecutor(max_workers=max(1, min(len(due), ctx.limits.per_host_slots))) as pool,
    ):
        answers = list(pool.map(ask, due))

    def record(conn: Connection) -> None:
        for (link, _), fetched in zip(due, answers, strict=True):
            if fetched is None:
                verdicts[link.url] = Revalidated(link, Verdict.STOPPED)
            elif fetched.error and fetched.transient:
                verdicts[link.url] = Revalidated(link, Verdict.DOWNLOAD)
            else:
                downloaded = record_download(conn, ctx, fetched)
                if fetched.error:
                    verdict = Verdict.FAILED
                else:
                    verdict = Verdict.CHANGED if downloaded.needs_extraction else Verdict.UNCHANGED
                verdicts[link.url] = Revalidated(link, verdict, downloaded)

    if due:
        in_transaction(ctx.database_url, "recording the fetches", record, ctx.db_retry)
    return [verdicts[link.url] for link in links]


def _run_name() -> str:
    return f"revalidate {len(task_run.parameters.get('links') or ())} known files"


@task(cache_policy=NO_CACHE, name="revalidate", task_run_name=_run_name)
def revalidate_task(ctx: RunContext, links: list[DisclosureLink]) -> list[Revalidated]:
    results = revalidate_links(ctx, links)
    counts = {verdict: sum(1 for r in results if r.verdict is verdict) for verdict in Verdict}
    get_run_logger().info(
        "%d not requested (read within %g h), %d not modified or the same bytes, %d changed, "
        "%d failed, %d back to their own download",
        counts[Verdict.RECENT],
        ctx.recheck_after_hours,
        counts[Verdict.UNCHANGED],
        counts[Verdict.CHANGED],
        counts[Verdict.FAILED],
        counts[Verdict.DOWNLOAD],
    )
    return results
