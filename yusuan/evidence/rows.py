"""One printed row of a stored document and where it is: what ``yusuan evidence`` draws
(storage/evidence.py reads it from the database)."""

from __future__ import annotations

from dataclasses import dataclass

from yusuan.models import Box


class EvidenceNotFound(LookupError):
    """No document, or no printed row, matches what was asked for."""


@dataclass(frozen=True, slots=True)
class RowEvidence:
    """One printed row of one table: what it says and where it is."""

    document_id: int
    sha256: str
    agency_name: str
    fiscal_year: int | None
    table_index: int
    table_title: str
    row_index: int
    page_no: int
    cells: tuple[str, ...]
    box: Box | None
    header_box: Box | None  # the table's header, on ``header_page``
    header_page: int
    table_top: float | None  # the highest row of this table on ``page_no``

    @property
    def label(self) -> str:
        return f"document {self.document_id} table {self.table_index} row {self.row_index} (p.{self.page_no})"
