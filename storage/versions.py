"""Which version of a filing is current, and what changed at the portal since the last run.

A filing (region, agency, fiscal year, kind) may have several versions: files with different
bytes. The current one is the one the portal serves **now**: a version is served while some
source URL answers with its bytes and the portal still lists that URL. Among served versions
a file with the budget's tables wins over a text-only 情况说明 of the same filing, then a
re-publication that says it corrects (更正/调整), then the one first seen last. A filing
none of whose versions is served any more (every URL withdrawn) keeps the version served last
current, marked not served in ``budget.documents``: its numbers were published, and nothing
replaced them.

Currency is recomputed whenever what a URL serves changes (a new fetch, a withdrawal, a return),
whether or not the bytes are new to the database: a portal that swaps a file back (B→A) makes A
current again although A was loaded long ago.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storage import schema as t
from yusuan.models import ContentKind, DocumentStatus


class Change(StrEnum):
    APPEARED = "appeared"  # a URL fetched for the first time
    CHANGED = "changed"  # a URL now serving bytes it never served before
    REVERTED = "reverted"  # a URL serving again bytes it served before
    VANISHED = "vanished"  # a URL a complete crawl no longer lists
    RETURNED = "returned"  # a vanished URL listed again


@dataclass(frozen=True, slots=True)
class FilingKey:
    region_code: str
    agency_name: str
    fiscal_year: int | None
    doc_kind: str

    def lock_key(self) -> str:
        return f"{self.region_code}|{self.agency_name}|{self.fiscal_year}|{self.doc_kind}"


def recompute_current(conn: Connection, key: FilingKey) -> None:
    """Mark the filing's current version (see the module's docstring for the order)."""
    # Serialise concurrent changes to the same filing; the partial unique index is the backstop.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key.lock_key()})
    d, s = t.documents.c, t.sources.c
    same_filing = and_(
        d.region_code == key.region_code,
        d.agency_name == key.agency_name,
        d.fiscal_year.is_not_distinct_from(key.fiscal_year),
        d.doc_kind == key.doc_kind,
    )
    served = exists().where(s.sha256 == d.sha256, s.withdrawn_at.is_(None))
    # When no version is served any more, the one the portal served last stays current.
    last_served = (
        select(func.max(t.source_history.c.last_fetched_at)).where(t.source_history.c.sha256 == d.sha256)
    ).scalar_subquery()
    # Some publishers post a filing as two files (情况说明 text and 公开表 tables): the one with
    # the tables carries the lines and the exact totals (the text rounds them), so it wins over a
    # text-only file of the same filing whichever was seen first, and a correction posted as
    # text alone does not hide the tables either.
    has_tables = d.content_kind == ContentKind.BUDGET_TABLES.value
    winner = conn.execute(
        select(d.document_id)
        .where(same_filing, d.status == DocumentStatus.LOADED.value)
        .order_by(
            served.desc(),
            case((served, None), else_=last_served).desc().nulls_last(),
            has_tables.desc(),
            d.is_correction.desc(),
            d.first_seen_at.desc(),
            d.document_id.desc(),
        )
        .limit(1)
    ).scalar()
    conn.execute(update(t.documents).where(same_filing, d.is_current, d.document_id != winner).values(is_current=False))
    if winner is not None:
        conn.execute(update(t.documents).where(d.document_id == winner, ~d.is_current).values(is_current=True))


def recompute_for_files(conn: Connection, sha256s: Iterable[str | None]) -> None:
    """Recompute the filings of the documents holding these files (loaded ones: the others are
    never current)."""
    wanted = sorted({sha for sha in sha256s if sha})
    if not wanted:
        return
    d = t.documents.c
    keys = conn.execute(
        select(d.region_code, d.agency_name, d.fiscal_year, d.doc_kind)
        .where(d.sha256.in_(wanted), d.status == DocumentStatus.LOADED.value)
        .distinct()
    ).all()
    # A fixed order, so two runs touching the same filings take their locks in the same order.
    for row in sorted(keys, key=lambda r: (r.region_code, r.agency_name, r.fiscal_year or 0, r.doc_kind)):
        recompute_current(conn, FilingKey(*row))


def _change(
    run_id: str, portal: str, url: str, change: Change, old_sha256: str | None, new_sha256: str | None, at: datetime
) -> dict[str, Any]:
    """One row of ``source_changes``."""
    return {
        "run_id": run_id,
        "portal": portal,
        "url": url,
        "change": change.value,
        "old_sha256": old_sha256,
        "new_sha256": new_sha256,
        "changed_at": at,
    }


def _record(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(t.source_changes), rows)


def note_served(
    conn: Connection,
    url: str,
    portal: str,
    previous_sha256: str | None,
    sha256: str,
    fetched_at: datetime,
    run_id: str,
) -> Change | None:
    """Record that ``url`` answered with ``sha256`` (it served ``previous_sha256`` before, or
    nothing); returns the change, if any, after recomputing the filings involved."""
    h = t.source_history.c
    served_before = conn.execute(select(h.sha256).where(h.url == url, h.sha256 == sha256)).first() is not None
    stmt = pg_insert(t.source_history).values(
        url=url, sha256=sha256, first_fetched_at=fetched_at, last_fetched_at=fetched_at
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["url", "sha256"], set_={"last_fetched_at": stmt.excluded.last_fetched_at}
        )
    )
    if previous_sha256 == sha256:
        return None
    if previous_sha256 is None and not served_before:
        change = Change.APPEARED
    else:
        change = Change.REVERTED if served_before else Change.CHANGED
    _record(conn, [_change(run_id, portal, url, change, previous_sha256, sha256, fetched_at)])
    recompute_for_files(conn, [previous_sha256, sha256])
    return change


@dataclass(frozen=True, slots=True)
class ListingOutcome:
    vanished: int
    returned: int
    checked: bool  # False: the crawl was incomplete, so nothing was marked vanished


def note_listed(
    conn: Connection,
    portal: str,
    entry_url: str,
    listed: set[str],
    complete: bool,
    run_id: str,
    now: datetime,
) -> ListingOutcome:
    """After a crawl from ``entry_url``: sources listed again return; when the crawl was complete
    (no page budget hit, no page that failed other than by being gone), the sources it last
    listed and no longer lists are withdrawn. An incomplete crawl withdraws nothing."""
    s = t.sources.c
    returned = (
        conn.execute(select(s.url, s.sha256).where(s.url.in_(sorted(listed)), s.withdrawn_at.is_not(None))).all()
        if listed
        else []
    )
    vanished = []
    if complete:
        vanished = conn.execute(
            select(s.url, s.sha256).where(
                s.entry_url == entry_url, s.withdrawn_at.is_(None), s.sha256.is_not(None), s.url.not_in(sorted(listed))
            )
        ).all()
    for found, withdrawn_at in ((returned, None), (vanished, now)):
        if found:
            conn.execute(
                update(t.sources).where(s.url.in_([url for url, _sha in found])).values(withdrawn_at=withdrawn_at)
            )
    _record(
        conn,
        [_change(run_id, portal, url, Change.RETURNED, None, sha256, now) for url, sha256 in returned]
        + [_change(run_id, portal, url, Change.VANISHED, sha256, None, now) for url, sha256 in vanished],
    )
    recompute_for_files(conn, [sha for _url, sha in (*returned, *vanished)])
    return ListingOutcome(len(vanished), len(returned), complete)


def run_changes(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """The run's diff: one row per URL that appeared, changed, reverted, vanished or returned."""
    c, d = t.source_changes.c, t.documents.c
    rows = conn.execute(
        select(c.change, c.url, c.old_sha256, c.new_sha256, d.agency_name, d.fiscal_year, d.doc_kind, d.is_current)
        .select_from(t.source_changes.outerjoin(t.documents, d.sha256 == func.coalesce(c.new_sha256, c.old_sha256)))
        .where(c.run_id == run_id)
        .order_by(c.change_id)
    ).all()
    return [dict(row._mapping) for row in rows]
