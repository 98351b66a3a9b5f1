from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from storage.database import engine_for
from storage.raw_store import RawStore
from storage.repository import record_fetch, stored_source
from tasks.context import RunContext
from yusuan.fetch.download import download
from yusuan.fetch.http import RetryPolicy, make_client
from yusuan.models import DisclosureLink, FetchedFile


def fetch_link(ctx: RunContext, link: DisclosureLink) -> FetchedFile:
    """Download (conditionally, when the URL was fetched before) and record the fetch."""
    engine = engine_for(ctx.database_url)
    with engine.connect() as conn:
        previous = stored_source(conn, link.url)
    store = RawStore(ctx.raw_dir)
    with make_client(ctx.http) as client:
        fetched = download(
            link,
            client,
            store,
            RetryPolicy.from_config(ctx.http),
            previous_etag=previous.etag if previous else None,
            previous_last_modified=previous.last_modified if previous else None,
            previous_sha256=previous.sha256 if previous else None,
            limiter=ctx.limiter,
        )
    with engine.begin() as conn:
        record_fetch(conn, fetched, ctx.run_id)
    return fetched


@task(cache_policy=NO_CACHE, name="download", task_run_name="download {link.link_text}")
def download_task(ctx: RunContext, link: DisclosureLink) -> FetchedFile:
    fetched = fetch_link(ctx, link)
    logger = get_run_logger()
    if fetched.error:
        logger.error("download failed: %s", fetched.error)
    elif fetched.http_status == 304:
        logger.info("not modified since last fetch: %s", link.url)
    else:
        logger.info("downloaded %s bytes, sha256 %s", fetched.size_bytes, (fetched.sha256 or "")[:12])
    return fetched
