"""What each file is (content_kind, kind_reason) and where its agency is (region); filings keyed by region

Revision ID: 0005
Revises: 0004
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

from storage.migrations.view_comments import restore_view_comments, save_view_comments

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_V0002 = import_module("storage.migrations.versions.0002_budget_views")
_V0003 = import_module("storage.migrations.versions.0003_checks")

# New columns go at the end of each view, so CREATE OR REPLACE keeps existing readers working.
DOCUMENTS_VIEW = _V0003.DOCUMENTS_VIEW.replace(
    "              AND c.status = 'failed') AS checks_failed",
    "              AND c.status = 'failed') AS checks_failed,\n"
    "           d.content_kind, d.kind_reason, d.region_code, d.region_name",
)
TOTALS_VIEW = (
    _V0002.VIEWS["totals"]
    .replace(
        "AS three_public_reception\n",
        "AS three_public_reception,\n               d.region_code, d.region_name\n",
    )
    .replace(
        "GROUP BY d.agency_name, d.fiscal_year, d.doc_kind, d.document_id",
        "GROUP BY d.agency_name, d.fiscal_year, d.doc_kind, d.document_id, d.region_code, d.region_name",
    )
)

COMMENTS = {
    "documents": {
        "content_kind": "What the file is, decided from its content (never its link text or file name): "
        "budget_tables (a 部门/单位预算 with its tables), budget_text (its 情况说明 alone, totals from the "
        "text), budget_other (绩效目标 or 三公 tables alone), final_accounts (决算), not_budget, needs_ocr "
        "(no text layer) or unreadable.",
        "kind_reason": "Why: the evidence for a budget, or what a not_budget file looks like "
        "(website annual report, notice or regulation, inspection record, performance evaluation …) "
        "with its title.",
        "region_code": "6-digit administrative division code of the agency's region (province, prefecture "
        "city or county/district): from the agency name as printed, else the portal's region in "
        "portals.yaml; empty when neither says. Part of the filing key with agency_name, fiscal_year, "
        "doc_kind.",
        "region_name": "The region's names from the province down (福建省泉州市).",
    },
    "totals": {
        "region_code": "6-digit administrative division code (see budget.documents.region_code).",
        "region_name": "The region's names from the province down.",
    },
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for column in (
        sa.Column("content_kind", sa.String(20), nullable=False, server_default=""),
        sa.Column("kind_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("region_code", sa.String(6), nullable=False, server_default=""),
        sa.Column("region_name", sa.Text(), nullable=False, server_default=""),
    ):
        op.add_column("documents", column, schema="yusuan")
    # Rows extracted before 0.5.0 get the kind their status implies; the next run re-extracts them.
    op.execute(
        """
        UPDATE yusuan.documents d SET content_kind = CASE
            WHEN d.status = 'loaded' AND EXISTS (SELECT 1 FROM yusuan.doc_tables t WHERE t.document_id = d.document_id)
                THEN 'budget_tables'
            WHEN d.status = 'loaded' THEN 'budget_text'
            WHEN d.doc_kind LIKE '%决算' THEN 'final_accounts'
            WHEN d.reason = 'needs_ocr' THEN 'needs_ocr'
            WHEN d.reason IN ('not_pdf', 'broken_pdf') THEN 'unreadable'
            ELSE 'not_budget' END
        """
    )
    # The new columns/table start empty for documents already loaded: mark them stale, so the
    # next run extracts and loads them again instead of counting them as unchanged.
    op.execute("UPDATE yusuan.documents SET extractor_version = 'stale'")
    op.drop_index("uq_documents_current_filing", table_name="documents", schema="yusuan")
    op.create_index(
        "uq_documents_current_filing",
        "documents",
        ["region_code", "agency_name", "fiscal_year", "doc_kind"],
        unique=True,
        schema="yusuan",
        postgresql_where=sa.text("is_current"),
    )
    op.execute(f"CREATE OR REPLACE VIEW budget.documents AS {DOCUMENTS_VIEW}")
    op.execute(f"CREATE OR REPLACE VIEW budget.totals AS {TOTALS_VIEW}")
    for view, columns in COMMENTS.items():
        for column, comment in columns.items():
            op.execute(f"COMMENT ON COLUMN budget.{view}.{column} IS {_quote(comment)}")


def downgrade() -> None:
    # A view cannot lose columns by CREATE OR REPLACE: drop and rebuild them as 0003 left them.
    saved = save_view_comments()
    op.execute("DROP VIEW budget.checks")
    op.execute("DROP VIEW budget.documents")
    op.execute("DROP VIEW budget.totals")
    op.execute(f"CREATE VIEW budget.documents AS {_V0003.DOCUMENTS_VIEW}")
    op.execute(f"CREATE VIEW budget.checks AS {_V0003.CHECKS_VIEW}")
    op.execute(f"CREATE VIEW budget.totals AS {_V0002.VIEWS['totals']}")
    op.drop_index("uq_documents_current_filing", table_name="documents", schema="yusuan")
    op.create_index(
        "uq_documents_current_filing",
        "documents",
        ["agency_name", "fiscal_year", "doc_kind"],
        unique=True,
        schema="yusuan",
        postgresql_where=sa.text("is_current"),
    )
    for column in ("region_name", "region_code", "kind_reason", "content_kind"):
        op.drop_column("documents", column, schema="yusuan")
    restore_view_comments(saved)
