"""Where each table row is printed: its box on the page

Revision ID: 0009
Revises: 0008

Every stored table row carries its page (already) and its box: x0, top, x1, bottom in PDF points
(top measured down from the page's top edge), the union of the row's printed lines; a table's
header box sits on its first page. ``budget.table_rows`` shows the printed rows of current
documents with their boxes: a line of ``budget.function_lines`` / ``economic_lines`` /
``projects`` joins it on (document_id, table_index, row_index). Rows stored before this
revision have no box until ``yusuan backfill`` re-extracts their document.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BOX_COLUMNS = {
    "x0": "left edge of the printed row, PDF points",
    "top": "top edge, PDF points from the page's top",
    "x1": "right edge, PDF points",
    "bottom": "bottom edge, PDF points from the page's top",
}

VIEW = """
    SELECT d.agency_name, d.fiscal_year, r.document_id, r.table_index, t.table_kind, t.title,
           r.row_index, r.page_no, r.cells, r.x0, r.top, r.x1, r.bottom
    FROM yusuan.table_rows r
    JOIN yusuan.doc_tables t ON t.document_id = r.document_id AND t.table_index = r.table_index
    JOIN yusuan.documents d ON d.document_id = r.document_id
    WHERE d.is_current
"""

VIEW_COMMENT = (
    "Every printed row of the tables of current documents, as printed, with where it is on its page: "
    "a line of function_lines, economic_lines or projects joins it on (document_id, table_index, row_index). "
    "yusuan evidence draws it."
)

VIEW_COLUMNS = {
    "cells": "The row's cells as printed, left to right.",
    "page_no": "Page of the document (1-based) the row is printed on.",
    "x0": "Left edge of the row on its page, PDF points (1/72 inch); NULL where not known.",
    "top": "Top edge, PDF points down from the page's top edge.",
    "x1": "Right edge, PDF points.",
    "bottom": "Bottom edge, PDF points down from the page's top edge (the union of the row's printed lines).",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for name, comment in BOX_COLUMNS.items():
        op.add_column("table_rows", sa.Column(name, sa.Float, comment=comment), schema="yusuan")
    op.add_column(
        "doc_tables",
        sa.Column("header_box", JSONB, comment="[x0, top, x1, bottom] of the header rows on page_first, PDF points"),
        schema="yusuan",
    )
    op.execute(f"CREATE VIEW budget.table_rows AS {VIEW}")
    op.execute(f"COMMENT ON VIEW budget.table_rows IS {_quote(VIEW_COMMENT)}")
    for column, comment in VIEW_COLUMNS.items():
        op.execute(f"COMMENT ON COLUMN budget.table_rows.{column} IS {_quote(comment)}")


def downgrade() -> None:
    op.execute("DROP VIEW budget.table_rows")
    op.drop_column("doc_tables", "header_box", schema="yusuan")
    for name in BOX_COLUMNS:
        op.drop_column("table_rows", name, schema="yusuan")
