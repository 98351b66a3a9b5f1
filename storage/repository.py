"""Writes and reads of the ``yusuan`` schema. Every function takes an open connection, so the
caller decides the transaction: one document is loaded in exactly one transaction.

Runs are in ``storage.runs``, versions in ``storage.versions``, and a document's fact rows (built
from the model dataclasses, written with COPY) in ``storage.facts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from storage import schema as t
from storage.facts import insert_facts
from storage.versions import Change, FilingKey, note_served, recompute_current
from yusuan.models import (
    DisclosureLink,
    DiscoveryResult,
    DocumentStatus,
    ExtractedDocument,
    FetchedFile,
    LoadAction,
)
from yusuan.normalise.regions import Region

UPSERT_BATCH_ROWS = 2000
_CORRECTION = re.compile(r"更正|调整|修订|修正|更新")


def is_correction(*texts: str) -> bool:
    """A re-publication that says it corrects an earlier one (更正, 调整, 修订 …)."""
    return any(_CORRECTION.search(x or "") for x in texts)


# ------------------------------------------------------------------ discovery


def _upsert_seen(conn: Connection, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """Insert rows keyed by ``keys``; a row seen again keeps first_seen_at and updates the rest.

    Duplicates in ``rows`` collapse to the last one; across runs the unique constraint, not the
    loader, does the de-duplication.
    """
    unique = list({tuple(r[k] for k in keys): r for r in rows}.values())
    # Postgres takes at most 65,535 bind parameters per statement: a list page with thousands of
    # links is written in batches, in the same transaction.
    for start in range(0, len(unique), UPSERT_BATCH_ROWS):
        stmt = insert(table).values(unique[start : start + UPSERT_BATCH_ROWS])
        updated = {c: stmt.excluded[c] for c in unique[0] if c not in (*keys, "first_seen_at")}
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updated))


def record_discovery(conn: Connection, result: DiscoveryResult, run_id: str, now: datetime) -> None:
    """Record the pages read and the link decisions made. A remembered page (not requested, its
    decisions replayed: ``storage.recheck``) keeps the rows of the reading it came from."""
    seen = {"first_seen_at": now, "last_seen_at": now, "last_run_id": run_id}
    remembered = {p.url for p in result.pages if p.remembered}
    pages = [
        {"url": p.url, "kind": p.kind, "http_status": p.http_status, "title": p.title, "error": p.error, **seen}
        for p in result.pages
        if not p.remembered
    ]
    links = [
        {"page_url": d.page_url, "url": d.url, "text": d.text, "taken": d.taken, "reason": d.reason, **seen}
        for d in result.decisions
        if d.page_url not in remembered
    ]
    _upsert_seen(conn, t.pages, ["url"], pages)
    _upsert_seen(conn, t.links, ["page_url", "url"], links)


# ------------------------------------------------------------------ downloads


@dataclass(frozen=True, slots=True)
class StoredSource:
    sha256: str | None
    etag: str | None
    last_modified: str | None
    storage_path: str | None


def stored_source(conn: Connection, url: str) -> StoredSource | None:
    row = conn.execute(
        select(t.sources.c.sha256, t.sources.c.etag, t.sources.c.last_modified, t.files.c.storage_path)
        .select_from(t.sources.outerjoin(t.files, t.files.c.sha256 == t.sources.c.sha256))
        .where(t.sources.c.url == url)
    ).first()
    return StoredSource(*row) if row else None


def record_fetch(conn: Connection, fetched: FetchedFile, run_id: str, entry_url: str | None = None) -> Change | None:
    """Record one fetch of a source URL (``entry_url``: the crawl that listed it); returns what
    changed at the URL (appeared, changed, reverted), with the filings involved recomputed."""
    link = fetched.link
    previous = conn.execute(select(t.sources.c.sha256).where(t.sources.c.url == link.url).with_for_update()).first()
    if fetched.sha256 and fetched.raw_path:
        conn.execute(
            insert(t.files)
            .values(
                sha256=fetched.sha256,
                size_bytes=fetched.size_bytes or 0,
                content_type=fetched.content_type,
                storage_path=fetched.raw_path,
                first_seen_at=fetched.fetched_at,
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    values = {
        "final_url": fetched.final_url,
        "page_url": link.page_url,
        "link_text": link.link_text,
        "page_title": link.page_title,
        "portal": link.portal,
        "http_status": fetched.http_status,
        "content_type": fetched.content_type,
        "size_bytes": fetched.size_bytes,
        "etag": fetched.etag,
        "last_modified": fetched.last_modified,
        "attempts": fetched.attempts,
        "error": fetched.error,
        "fetched_at": fetched.fetched_at,
        "last_run_id": run_id,
    }
    if entry_url is not None:
        values["entry_url"] = entry_url
    stmt = insert(t.sources).values(url=link.url, sha256=fetched.sha256, first_fetched_at=fetched.fetched_at, **values)
    # A failed re-fetch keeps the last good file: the error is recorded beside it.
    update_set: dict[str, Any] = {k: stmt.excluded[k] for k in values}
    update_set["sha256"] = func.coalesce(stmt.excluded.sha256, t.sources.c.sha256)
    for key in ("content_type", "size_bytes", "etag", "last_modified"):
        update_set[key] = func.coalesce(stmt.excluded[key], t.sources.c[key])
    conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=update_set))
    if not fetched.sha256:
        return None  # a failed fetch says nothing about what the URL serves
    previous_sha256 = previous[0] if previous else None
    return note_served(conn, link.url, link.portal, previous_sha256, fetched.sha256, fetched.fetched_at, run_id)


# ------------------------------------------------------------------ documents


@dataclass(frozen=True, slots=True)
class DocumentState:
    document_id: int
    status: str
    extractor_version: str


def document_state(conn: Connection, sha256: str) -> DocumentState | None:
    row = conn.execute(
        select(t.documents.c.document_id, t.documents.c.status, t.documents.c.extractor_version).where(
            t.documents.c.sha256 == sha256
        )
    ).first()
    return DocumentState(*row) if row else None


def needs_extraction(conn: Connection, sha256: str, extractor_version: str) -> bool:
    """Whether a fetched file must be parsed and loaded: not when the database already holds it
    from this extractor version. The one place a run decides that a document is unchanged."""
    state = document_state(conn, sha256)
    return state is None or state.extractor_version != extractor_version


def stored_region_code(conn: Connection, sha256: str) -> str:
    row = conn.execute(select(t.documents.c.region_code).where(t.documents.c.sha256 == sha256)).first()
    return row[0] if row else ""


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    document_id: int
    action: LoadAction
    status: str
    facts: int
    region_code: str = ""
    region_name: str = ""


def load_document(
    conn: Connection,
    doc: ExtractedDocument,
    fetched: FetchedFile,
    run_id: str,
    now: datetime,
    region: Region | None = None,
) -> LoadOutcome:
    """Write one extracted document and its facts; re-loading the same extraction changes nothing.
    ``region`` is the agency's (see yusuan.normalise.regions.agency_region): part of the filing key."""
    region_code, region_name = (region.code, region.name) if region else ("", "")
    # The same file listed by two portals can reach two loads at once (runs of a group run side
    # by side): the second waits for the first's commit and finds the document there, rather
    # than inserting it too and failing on the unique sha256.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"document|{doc.sha256}"})
    state = document_state(conn, doc.sha256)
    if state and state.extractor_version == doc.extractor_version and state.status == doc.status.value:
        return LoadOutcome(state.document_id, LoadAction.UNCHANGED, state.status, 0, region_code, region_name)

    correction = is_correction(fetched.link.link_text, fetched.link.page_title, doc.title)
    values = {
        "status": doc.status.value,
        "reason": doc.reason.value if doc.reason else None,
        "error": doc.error,
        "title": doc.title,
        "agency_name": doc.agency_name,
        "agency_name_raw": doc.agency_name_raw,
        "fiscal_year": doc.fiscal_year,
        "doc_kind": doc.doc_kind,
        "content_kind": doc.content_kind.value,
        "kind_reason": doc.kind_reason,
        "region_code": region_code,
        "region_name": region_name,
        "page_count": doc.page_count,
        "is_correction": correction,
        "is_current": False,
        "verdict": doc.verdict,
        "extractor_version": doc.extractor_version,
        "warnings": doc.warnings,
        "loaded_at": now,
        "flow_run_id": run_id,
    }
    if state is None:
        document_id = conn.execute(
            insert(t.documents)
            .values(
                sha256=doc.sha256,
                source_url=fetched.link.url,
                page_url=fetched.link.page_url,
                fetched_at=fetched.fetched_at,
                first_seen_at=now,
                **values,
            )
            .returning(t.documents.c.document_id)
        ).scalar_one()
        action = LoadAction.INSERTED
    else:
        document_id = state.document_id
        conn.execute(delete(t.doc_tables).where(t.doc_tables.c.document_id == document_id))
        conn.execute(delete(t.figures).where(t.figures.c.document_id == document_id))
        conn.execute(delete(t.checks).where(t.checks.c.document_id == document_id))
        conn.execute(update(t.documents).where(t.documents.c.document_id == document_id).values(**values))
        action = LoadAction.REPLACED

    facts = insert_facts(conn, document_id, doc, loaded=doc.status is DocumentStatus.LOADED)
    recompute_current(conn, FilingKey(region_code, doc.agency_name, doc.fiscal_year, doc.doc_kind))
    return LoadOutcome(document_id, action, doc.status.value, facts, region_code, region_name)


# ------------------------------------------------------------------ backfill


@dataclass(frozen=True, slots=True)
class StoredDocument:
    document_id: int
    sha256: str
    storage_path: str
    extractor_version: str
    fetched: FetchedFile
    agency_name: str | None = None
    fiscal_year: int | None = None

    @property
    def link(self) -> DisclosureLink:
        # Lets task-run naming (tasks/naming.py) name a re-extraction after the document's link.
        return self.fetched.link


def stored_documents(
    conn: Connection, agency_name: str | None = None, fiscal_year: int | None = None
) -> list[StoredDocument]:
    """Documents whose raw file is in the store, with their first source, for re-extraction."""
    d, f, s = t.documents.c, t.files.c, t.sources.c
    query = (
        select(
            d.document_id,
            d.sha256,
            f.storage_path,
            d.extractor_version,
            d.agency_name,
            d.fiscal_year,
            d.source_url,
            d.page_url,
            d.fetched_at,
            s.link_text,
            s.page_title,
            s.portal,
            s.http_status,
            s.content_type,
            f.size_bytes,
        )
        .select_from(t.documents.join(t.files, f.sha256 == d.sha256).outerjoin(t.sources, s.url == d.source_url))
        .order_by(d.document_id)
    )
    if agency_name is not None:
        query = query.where(d.agency_name == agency_name)
    if fiscal_year is not None:
        query = query.where(d.fiscal_year == fiscal_year)
    out = []
    for row in conn.execute(query):
        link = DisclosureLink(
            row.source_url or "", row.page_url or "", row.link_text or "", row.page_title or "", row.portal or ""
        )
        fetched = FetchedFile(
            link=link,
            final_url=row.source_url or "",
            http_status=row.http_status,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            raw_path=row.storage_path,
            fetched_at=row.fetched_at,
            attempts=0,
        )
        out.append(
            StoredDocument(
                row.document_id,
                row.sha256,
                row.storage_path,
                row.extractor_version,
                fetched,
                row.agency_name,
                row.fiscal_year,
            )
        )
    return out
