from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.logging import get_run_logger

from storage.database import engine_for
from storage.repository import document_state
from tasks.context import RunContext
from tasks.naming import document_run_name
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.models import DisclosureLink, DocumentStatus, ExtractedDocument, FetchedFile, QuarantineReason


def extract_fetched(ctx: RunContext, fetched: FetchedFile) -> ExtractedDocument | None:
    """Extract a downloaded file; None when this file was already extracted by this extractor version."""
    if not fetched.ok or fetched.sha256 is None or fetched.raw_path is None:
        return None
    with engine_for(ctx.database_url).connect() as conn:
        state = document_state(conn, fetched.sha256)
    if state is not None and state.extractor_version == EXTRACTOR_VERSION:
        return None
    try:
        hint = f"{fetched.link.link_text} {fetched.link.page_title}"
        # The slot is held while pdfplumber parses; strict=False: a server without the limit
        # (created by the ingest flow) does not block extraction.
        with concurrency("yusuan-extract", occupy=1, strict=False):
            return extract_document(Path(fetched.raw_path), fetched.sha256, hint)
    except Exception as exc:  # noqa: BLE001 - one odd file must not cost the others; it is recorded
        return ExtractedDocument(
            sha256=fetched.sha256,
            status=DocumentStatus.QUARANTINED,
            extractor_version=EXTRACTOR_VERSION,
            reason=QuarantineReason.EXTRACT_FAILED,
            error=f"extractor failed: {type(exc).__name__}: {exc}",
        )


@task(cache_policy=NO_CACHE, name="extract", task_run_name=document_run_name("extract"))
def extract_task(
    ctx: RunContext, fetched: FetchedFile | BaseException, link: DisclosureLink | None = None
) -> ExtractedDocument | None:
    """``link`` only names the run: ``fetched`` is still a future when the name is made."""
    if isinstance(fetched, BaseException):
        return None  # the download failed (and says why in its own task run)
    doc = extract_fetched(ctx, fetched)
    logger = get_run_logger()
    if doc is None:
        if fetched.ok:
            logger.info(
                "unchanged: %s already extracted by extractor %s", (fetched.sha256 or "")[:12], EXTRACTOR_VERSION
            )
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
