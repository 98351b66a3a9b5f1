from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from sqlalchemy import Connection

from storage.recheck import remembered_page
from storage.repository import record_discovery
from storage.retrying import in_transaction
from storage.versions import ListingOutcome, note_listed
from tasks.context import RunContext
from tasks.stopping import PROCESS_STOP
from yusuan.discover.crawler import crawl
from yusuan.fetch.http import RetryPolicy, make_client
from yusuan.fetch.offsite import HostPolicy
from yusuan.fetch.robots import RobotsCache
from yusuan.models import DisclosureLink, DiscoveryResult, RememberedPage


def _remembered_pages(ctx: RunContext, since: datetime) -> Callable[[str], RememberedPage | None]:
    def remembered(url: str) -> RememberedPage | None:
        return in_transaction(
            ctx.database_url, "reading a page visit", lambda conn: remembered_page(conn, url, since), ctx.db_retry
        )

    return remembered


def discover(
    ctx: RunContext,
    entry_url: str,
    max_pages: int,
    allowed_hosts: list[str] | None = None,
    found: Callable[[DisclosureLink], object] | None = None,
) -> tuple[DiscoveryResult, ListingOutcome]:
    """Crawl, record every page and link decision, and note which sources the portal still lists.
    ``found`` is given each disclosure as soon as the crawl takes it."""
    policy = ctx.hosts or HostPolicy.for_portal(entry_url, allowed_hosts)
    since = ctx.recheck_since(datetime.now(UTC))
    with make_client(ctx.http, policy.request_hook(attachment=False)) as client:
        result = crawl(
            entry_url,
            client,
            ctx.portal,
            RetryPolicy.from_config(ctx.http),
            max_pages=max_pages,
            allowed_hosts=set(allowed_hosts) if allowed_hosts else None,
            robots=RobotsCache(client, ctx.http.user_agent, ctx.http.page_limits),
            limiter=ctx.gate,
            page_limits=dataclasses.replace(ctx.http.page_limits, stopped=PROCESS_STOP.is_set),
            host_policy=policy,
            stopped=PROCESS_STOP.is_set,
            found=found,
            remembered=_remembered_pages(ctx, since) if since is not None else None,
        )
    now = datetime.now(UTC)
    listed = {link.url for link in result.disclosures}

    def record(conn: Connection) -> ListingOutcome:
        record_discovery(conn, result, ctx.run_id, now)
        return note_listed(conn, ctx.portal, entry_url, listed, result.complete, ctx.run_id, now)

    return result, in_transaction(ctx.database_url, "recording the crawl", record, ctx.db_retry)


@task(cache_policy=NO_CACHE, name="discover", task_run_name="discover {ctx.portal}")
def discover_task(
    ctx: RunContext,
    entry_url: str,
    max_pages: int,
    allowed_hosts: list[str] | None = None,
    found: Callable[[DisclosureLink], object] | None = None,
) -> DiscoveryResult:
    """``found`` streams the disclosures to the flow while the crawl goes on (a task running in
    the flow's process only: on a Dask worker the flow takes them from the result)."""
    result, listing = discover(ctx, entry_url, max_pages, allowed_hosts, found)
    failed = [p for p in result.pages if p.error]
    logger = get_run_logger()
    if not listing.checked:
        logger.info("crawl incomplete (page budget or failed pages): no source is marked withdrawn")
    elif listing.vanished:
        logger.warning("%d sources no longer listed from %s: marked withdrawn", listing.vanished, entry_url)
    logger.info(
        "%s: %d pages visited (%d failed, %d not requested: read within the recheck window), "
        "%d disclosure attachments, %d links skipped",
        ctx.portal,
        len(result.pages),
        len(failed),
        sum(1 for p in result.pages if p.remembered),
        len(result.disclosures),
        sum(1 for d in result.decisions if not d.taken),
    )
    return result
