from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.database import engine_for
from storage.repository import LoadOutcome, load_document, stored_region_code
from tasks.context import RunContext
from tasks.naming import document_run_name
from yusuan.models import ExtractedDocument, FetchedFile
from yusuan.normalise.regions import agency_region, region_for_code


def load(ctx: RunContext, doc: ExtractedDocument, fetched: FetchedFile) -> LoadOutcome:
    """One document, one transaction: all of its facts land, or none do. The agency's region is
    the one its name prints, else the portal's (a backfill, which has no portal, keeps the one
    stored)."""
    with engine_for(ctx.database_url).begin() as conn:
        portal_region = ctx.region or region_for_code(stored_region_code(conn, doc.sha256))
        region = agency_region(doc.agency_name, portal_region)
        return load_document(conn, doc, fetched, ctx.run_id, datetime.now(UTC), region)


def _retry_on_transient_db_error(task: object, task_run: object, state: object) -> bool:
    try:
        state.result()  # type: ignore[attr-defined]
    except OperationalError:
        return True
    except DBAPIError as exc:
        # Serialization failures and deadlocks are worth a retry, and so is a unique violation:
        # another run loaded the same file at the same moment, and the retry finds it there
        # ("unchanged"). Other constraint violations are real failures.
        return getattr(exc.orig, "sqlstate", "") in {"40001", "40P01", "23505"}
    except Exception:  # noqa: BLE001 - anything else is a real failure
        return False
    return False


@task(
    cache_policy=NO_CACHE,
    name="load",
    task_run_name=document_run_name("load"),
    retries=3,
    retry_delay_seconds=[1, 4, 10],
    retry_condition_fn=_retry_on_transient_db_error,
)
def load_task(ctx: RunContext, doc: ExtractedDocument, fetched: FetchedFile) -> LoadOutcome:
    outcome = load(ctx, doc, fetched)
    get_run_logger().info(
        "document %d %s (%s): %d facts", outcome.document_id, outcome.action, outcome.status, outcome.facts
    )
    return outcome
