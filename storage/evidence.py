"""What ``yusuan evidence`` and ``yusuan review`` show, read from the database.

A line (``budget.function_lines``, ``economic_lines``, ``projects``) keeps its lineage: document,
table, row. The row keeps its page and box (``yusuan.table_rows``), the table its header's box
(``yusuan.doc_tables``), the document its sha256 (the raw file's name in the raw store).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from yusuan.evidence.review import (
    TOTAL_NAMES,
    ReviewCheck,
    ReviewDocument,
    ReviewFigure,
    ReviewRow,
    ReviewTable,
)
from yusuan.evidence.rows import EvidenceNotFound, RowEvidence
from yusuan.models import Box


def find_document(conn: Connection, key: str) -> tuple[int, str]:
    """A document by its id or by its sha256 (or a unique prefix of 8 characters or more)."""
    if key.isdigit() and len(key) < 16:
        row = conn.execute(
            text("SELECT document_id, sha256 FROM yusuan.documents WHERE document_id = :id"), {"id": int(key)}
        ).first()
        if row is None:
            raise EvidenceNotFound(f"no document {key}")
        return int(row[0]), str(row[1])
    if len(key) < 8:
        raise EvidenceNotFound(f"{key!r} is neither a document id nor 8 or more characters of a sha256")
    rows = conn.execute(
        text("SELECT document_id, sha256 FROM yusuan.documents WHERE sha256 LIKE :prefix ORDER BY document_id"),
        {"prefix": key.lower() + "%"},
    ).all()
    if not rows:
        raise EvidenceNotFound(f"no document with sha256 {key}")
    if len(rows) > 1:
        raise EvidenceNotFound(f"sha256 {key} is the prefix of {len(rows)} documents: give more of it")
    return int(rows[0][0]), str(rows[0][1])


# The line tables, with the column a line is asked for by: its code, or a project's name.
_KEYED = (
    ("function_lines", "func_code"),
    ("economic_lines", "econ_code"),
    ("economic_lines", "gov_econ_code"),
    ("project_lines", "project_name"),
)


def rows_of_line(conn: Connection, document_id: int, code: str) -> list[tuple[int, int]]:
    """(table_index, row_index) of every stored line of the document with this code (or this
    project name), in order: a department table that repeats its units' blocks has several."""
    found: list[tuple[int, int]] = []
    for table, column in _KEYED:
        found += [
            (int(t), int(r))
            for t, r in conn.execute(
                text(
                    f"SELECT table_index, row_index FROM yusuan.{table} "
                    f"WHERE document_id = :doc AND {column} = :code ORDER BY table_index, row_index"
                ),
                {"doc": document_id, "code": code},
            ).all()
        ]
    return sorted(set(found))


def _box(values: object) -> Box | None:
    if isinstance(values, (list, tuple)) and len(values) == 4 and all(v is not None for v in values):
        x0, top, x1, bottom = (float(v) for v in values)
        return (x0, top, x1, bottom)
    return None


def row_evidence(conn: Connection, document_id: int, table_index: int, row_index: int) -> RowEvidence:
    row = conn.execute(
        text(
            """
            SELECT d.sha256, d.agency_name, d.fiscal_year, t.title, t.page_first, t.header_box,
                   r.page_no, r.cells, r.x0, r.top, r.x1, r.bottom,
                   (SELECT min(o.top) FROM yusuan.table_rows o
                     WHERE o.document_id = r.document_id AND o.table_index = r.table_index
                       AND o.page_no = r.page_no)
            FROM yusuan.table_rows r
            JOIN yusuan.doc_tables t ON t.document_id = r.document_id AND t.table_index = r.table_index
            JOIN yusuan.documents d ON d.document_id = r.document_id
            WHERE r.document_id = :doc AND r.table_index = :table AND r.row_index = :row
            """
        ),
        {"doc": document_id, "table": table_index, "row": row_index},
    ).first()
    if row is None:
        raise EvidenceNotFound(f"document {document_id} has no row {row_index} in table {table_index}")
    sha, agency, year, title, page_first, header_box, page_no, cells, x0, top, x1, bottom, table_top = row
    return RowEvidence(
        document_id=document_id,
        sha256=sha,
        agency_name=agency or "",
        fiscal_year=year,
        table_index=table_index,
        table_title=title,
        row_index=row_index,
        page_no=int(page_no),
        cells=tuple(cells),
        box=_box((x0, top, x1, bottom)),
        header_box=_box(header_box),
        header_page=int(page_first),
        table_top=float(table_top) if table_top is not None else None,
    )


def read_review(conn: Connection, document_id: int) -> ReviewDocument:
    """Everything the page shows, from the database."""
    d = (
        conn.execute(
            text(
                """SELECT document_id, sha256, agency_name, region_name, fiscal_year, doc_kind, content_kind,
                      kind_reason, status, verdict, source_url, extractor_version
               FROM budget.documents WHERE document_id = :doc"""
            ),
            {"doc": document_id},
        )
        .mappings()
        .one()
    )
    doc = ReviewDocument(
        document_id=document_id,
        sha256=d["sha256"],
        agency_name=d["agency_name"] or "",
        region_name=d["region_name"] or "",
        fiscal_year=d["fiscal_year"],
        doc_kind=d["doc_kind"] or "",
        content_kind=d["content_kind"] or "",
        kind_reason=d["kind_reason"] or "",
        status=d["status"] or "",
        verdict=d["verdict"] or "",
        source_url=d["source_url"] or "",
        extractor_version=d["extractor_version"] or "",
    )
    tables = {
        int(t["table_index"]): ReviewTable(
            int(t["table_index"]),
            t["table_kind"],
            t["title"],
            int(t["page_first"]),
            int(t["page_last"]),
            list(t["column_labels"]),
            _box(t["header_box"]),
        )
        for t in conn.execute(
            text(
                """SELECT table_index, table_kind, title, page_first, page_last, column_labels, header_box
                   FROM yusuan.doc_tables WHERE document_id = :doc ORDER BY table_index"""
            ),
            {"doc": document_id},
        ).mappings()
    }
    for r in conn.execute(
        text(
            """SELECT table_index, row_index, page_no, cells, x0, top, x1, bottom FROM yusuan.table_rows
               WHERE document_id = :doc ORDER BY table_index, row_index"""
        ),
        {"doc": document_id},
    ).mappings():
        box = _box((r["x0"], r["top"], r["x1"], r["bottom"]))
        tables[int(r["table_index"])].rows.append(
            ReviewRow(int(r["row_index"]), int(r["page_no"]), tuple(r["cells"]), box)
        )
    doc.tables = list(tables.values())
    chosen: dict[str, ReviewFigure] = {}
    for f in conn.execute(
        text(
            """SELECT name, amount, table_index, row_index, page_no, source FROM yusuan.figures
               WHERE document_id = :doc AND name = ANY(:names) ORDER BY priority, table_index, row_index"""
        ),
        {"doc": document_id, "names": list(TOTAL_NAMES)},
    ).mappings():
        if f["name"] in chosen:
            continue
        from_text = f["source"] == "text" or f["table_index"] < 0
        where = "the text" if from_text else f"table {f['table_index']} row {f['row_index']} (p.{f['page_no']})"
        anchor = None if from_text else f"t{f['table_index']}-r{f['row_index']}"
        chosen[f["name"]] = ReviewFigure(f["name"], f"{f['amount']:,}", where, anchor)
    doc.figures = [chosen[name] for name in TOTAL_NAMES if name in chosen]
    doc.checks = [
        ReviewCheck(c["check_name"], c["subject"], c["status"], c["detail"] or "")
        for c in conn.execute(
            text(
                """SELECT check_name, subject, status, detail FROM yusuan.checks WHERE document_id = :doc
                   ORDER BY (status = 'failed') DESC, check_name, subject"""
            ),
            {"doc": document_id},
        ).mappings()
    ]
    return doc
