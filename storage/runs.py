"""The run records of ``yusuan.last_runs``: started, finished, and closed when a run's process died.

A run holds a session-level advisory lock (its lease) on its own connection for as long as it
runs. Postgres drops the lock when that connection goes, whatever ended the process (kill -9, an
out-of-memory kill, a machine stop), so the next run can tell a run that is still going from one
that will never finish, and close the latter with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert

from storage import schema as t
from storage.database import engine_for

INTERRUPTED = "interrupted: the run's process ended before the run finished (killed, or its machine stopped)"


_INTERRUPTED_JSON = literal({"error": INTERRUPTED}, JSONB)


def _lease_key(run_id: str) -> str:
    return f"yusuan-run:{run_id}"


@contextmanager
def run_lease(database_url: str, run_id: str) -> Iterator[None]:
    """Hold the run's lease for the ``with`` block (see the module docstring)."""
    conn = engine_for(database_url).connect()
    try:
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": _lease_key(run_id)})
        conn.commit()
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": _lease_key(run_id)})
            conn.commit()
        except Exception:  # noqa: BLE001 - a lost connection has released the lock already
            conn.invalidate()
        conn.close()


def close_stale_runs(conn: Connection, now: datetime) -> list[str]:
    """Close the runs still marked ``running`` whose lease is free; returns their portals."""
    runs = t.last_runs.c
    closed = []
    for portal, run_id in conn.execute(select(runs.portal, runs.run_id).where(runs.status == "running")).all():
        free = conn.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": _lease_key(run_id)}
        ).scalar_one()
        if free:
            conn.execute(
                update(t.last_runs)
                .where(runs.run_id == run_id, runs.status == "running")
                .values(
                    status="failed",
                    finished_at=now,
                    stats=runs.stats.op("||")(_INTERRUPTED_JSON),
                )
            )
            closed.append(portal)
    return closed


def record_run_start(conn: Connection, run_id: str, flow_name: str, portal: str, entry_url: str, now: datetime) -> None:
    stmt = insert(t.last_runs).values(
        portal=portal, run_id=run_id, flow_name=flow_name, entry_url=entry_url, started_at=now, status="running"
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["portal"],
            set_={
                "run_id": stmt.excluded.run_id,
                "flow_name": stmt.excluded.flow_name,
                "entry_url": stmt.excluded.entry_url,
                "started_at": stmt.excluded.started_at,
                "finished_at": None,
                "status": "running",
                "stats": {},
            },
        )
    )


def record_run_finish(conn: Connection, run_id: str, status: str, stats: dict[str, Any], now: datetime) -> None:
    """``status``: completed, failed or cancelled."""
    runs = t.last_runs
    conn.execute(update(runs).where(runs.c.run_id == run_id).values(finished_at=now, status=status, stats=stats))
