"""What a re-run may take from its last reading instead of asking the portal again.

A detail page read successfully within the recheck window is not requested: the attachment
decisions of that reading are replayed (``remembered_page``). An attachment fetched successfully
within the window, whose bytes this extractor version already loaded, is not requested either;
one that is due is asked for with a conditional request, many at a time (``known_sources``
gives the validators of a whole batch in one query). Neither touches the rows it reads, so
the window is counted from the last real request, never slid forward by a run that trusted it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select

from storage import schema as t
from yusuan.models import DisclosureLink, FetchedFile, LinkDecision, RememberedPage


def remembered_page(conn: Connection, url: str, since: datetime) -> RememberedPage | None:
    """The detail page at ``url`` as its last reading saw it, when that reading was after
    ``since`` and succeeded; None when it must be read again."""
    p, lk = t.pages.c, t.links.c
    page = conn.execute(
        select(p.http_status, p.title, p.last_run_id).where(
            p.url == url, p.kind == "detail", p.error.is_(None), p.last_seen_at >= since
        )
    ).first()
    if page is None:
        return None
    rows = conn.execute(
        select(lk.url, lk.text, lk.taken, lk.reason)
        .where(lk.page_url == url, lk.last_run_id == page.last_run_id)
        .order_by(lk.first_seen_at, lk.url)
    )
    decisions = tuple(LinkDecision(url, row.url, row.text, "attachment", row.taken, row.reason) for row in rows)
    return RememberedPage(url, page.http_status, page.title, decisions)


@dataclass(frozen=True, slots=True)
class KnownSource:
    """The last good fetch of an attachment URL, and whether this extractor version loaded it."""

    url: str
    sha256: str
    etag: str | None
    last_modified: str | None
    storage_path: str
    http_status: int | None
    content_type: str | None
    size_bytes: int | None
    fetched_at: datetime
    failing: bool  # the last request for it failed (the stored bytes are older)
    extracted: bool

    def settled_since(self, since: datetime | None) -> bool:
        """True when this run takes the last fetch as it is, without a request: it was read
        after ``since`` (the recheck window's start; None: every URL is asked), succeeded, and
        this extractor version loaded its bytes."""
        return since is not None and self.extracted and not self.failing and self.fetched_at >= since

    def as_fetched(self, link: DisclosureLink) -> FetchedFile:
        """The last good fetch, as the file this run works with when it does not ask again."""
        return FetchedFile(
            link=link,
            final_url=self.url,
            http_status=self.http_status,
            content_type=self.content_type,
            size_bytes=self.size_bytes,
            sha256=self.sha256,
            raw_path=self.storage_path,
            fetched_at=self.fetched_at,
            attempts=0,
            etag=self.etag,
            last_modified=self.last_modified,
        )


def known_sources(conn: Connection, urls: Iterable[str], extractor_version: str) -> dict[str, KnownSource]:
    """The last good fetches of ``urls`` (those the database holds bytes of)."""
    return _known(conn, t.sources.c.url.in_(list(urls)), extractor_version)


def portal_known_sources(conn: Connection, portal: str, extractor_version: str) -> dict[str, KnownSource]:
    """The last good fetches of every attachment URL of ``portal`` whose bytes are stored: a
    re-run settles those read within the window at once and asks for the others in batches."""
    s = t.sources.c
    return _known(conn, (s.portal == portal) & s.sha256.is_not(None), extractor_version)


def _known(conn: Connection, where: ColumnElement[bool], extractor_version: str) -> dict[str, KnownSource]:
    s, f, d = t.sources.c, t.files.c, t.documents.c
    rows = conn.execute(
        select(
            s.url,
            s.sha256,
            s.etag,
            s.last_modified,
            f.storage_path,
            s.http_status,
            s.content_type,
            s.size_bytes,
            s.fetched_at,
            s.error.is_not(None).label("failing"),
            (d.extractor_version == extractor_version).label("extracted"),
        )
        .select_from(t.sources.join(t.files, f.sha256 == s.sha256).outerjoin(t.documents, d.sha256 == s.sha256))
        .where(where)
    )
    return {row.url: KnownSource(**{**row._mapping, "extracted": bool(row.extracted)}) for row in rows}
