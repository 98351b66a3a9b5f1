"""Live progress of an ingest run, read from the database the run writes to.

The CLI runs the flow in a worker thread and polls these counts: the flow needs no callback
and the numbers shown are the ones that actually landed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from storage.database import engine_for

_QUERY = text(
    """
    SELECT r.run_id,
           (SELECT count(*) FROM yusuan.pages p WHERE p.last_run_id = r.run_id) AS pages,
           (SELECT count(*) FROM yusuan.sources s WHERE s.last_run_id = r.run_id) AS fetched,
           (SELECT count(*) FROM yusuan.documents d WHERE d.flow_run_id = r.run_id) AS loaded
    FROM yusuan.last_runs r
    WHERE r.started_at >= :since
    ORDER BY r.started_at DESC
    LIMIT 1
    """
)


@dataclass(frozen=True, slots=True)
class RunProgress:
    run_id: str | None
    pages: int
    fetched: int
    loaded: int


def current_progress(database_url: str, since: datetime) -> RunProgress:
    with engine_for(database_url).connect() as conn:
        row = conn.execute(_QUERY, {"since": since}).first()
    if row is None:
        return RunProgress(None, 0, 0, 0)
    return RunProgress(row.run_id, row.pages, row.fetched, row.loaded)


def current_totals(database_url: str) -> list[tuple[object, ...]]:
    """The current filings' key figures, as the CLI prints them after a run."""
    with engine_for(database_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT agency_name, fiscal_year, doc_kind, income_total, expenditure_total, basic_expenditure,"
                " project_expenditure, three_public_total FROM budget.totals ORDER BY agency_name, fiscal_year"
            )
        ).all()
    return [tuple(row) for row in rows]
