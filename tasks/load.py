from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from storage.repository import LoadOutcome, load_document, stored_region_code
from storage.retrying import in_transaction
from tasks.context import RunContext
from yusuan.models import ExtractedDocument, FetchedFile
from yusuan.normalise.regions import agency_region, region_for_code

UNIQUE_VIOLATION = frozenset({"23505"})


def load(ctx: RunContext, doc: ExtractedDocument, fetched: FetchedFile) -> LoadOutcome:
    """One document, one transaction: all of its facts land, or none do; retried whole while the
    database is away. The agency's region is the one its name prints, else the portal's (a
    backfill, which has no portal, keeps the one stored)."""

    def work(conn: Connection) -> LoadOutcome:
        portal_region = ctx.region or region_for_code(stored_region_code(conn, doc.sha256))
        region = agency_region(doc.agency_name, portal_region)
        return load_document(conn, doc, fetched, ctx.run_id, datetime.now(UTC), region)

    # A unique violation is another run loading the same file at the same moment: the retry
    # finds it there ("unchanged").
    return in_transaction(ctx.database_url, "loading the document", work, ctx.db_retry, also=UNIQUE_VIOLATION)
