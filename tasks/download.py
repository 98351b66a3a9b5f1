from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from storage.database import engine_for
from storage.raw_store import RawStore
from storage.repository import record_fetch, stored_source
from tasks.context import RunContext
from tasks.naming import document_run_name
from yusuan.fetch.download import download
from yusuan.fetch.http import RetryPolicy, make_client
from yusuan.models import DisclosureLink, FetchedFile


def fetch_link(ctx: RunContext, link: DisclosureLink) -> FetchedFile:
    """Download (conditionally, when the URL was fetched before) and record the fetch."""
    engine = engine_for(ctx.database_url)
    previous = None
    if not ctx.full_refresh:  # a full refresh asks for the body, not for "not modified"
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
            limiter=ctx.gate,
        )
    with engine.begin() as conn:
        record_fetch(conn, fetched, ctx.run_id)
    return fetched


class DownloadFailed(Exception):
    """The document could not be fetched; the fetch (with its error) is already recorded."""

    def __init__(self, fetched: FetchedFile) -> None:
        # The fetch is the only argument, so the exception survives pickling with it.
        super().__init__(fetched)
        self.fetched = fetched

    def __str__(self) -> str:
        return self.fetched.error or "download failed"


@task(cache_policy=NO_CACHE, name="download", task_run_name=document_run_name("download"))
def download_task(ctx: RunContext, link: DisclosureLink) -> FetchedFile:
    fetched = fetch_link(ctx, link)
    logger = get_run_logger()
    if fetched.error:
        # A failed task run in the UI, with its reason; the flow goes on with the others.
        raise DownloadFailed(fetched)
    elif fetched.http_status == 304:
        logger.info("not modified since last fetch: %s", link.url)
    else:
        logger.info("downloaded %s bytes, sha256 %s", fetched.size_bytes, (fetched.sha256 or "")[:12])
    return fetched
