"""data-quality checks per document, verdict in budget.documents, budget.checks view

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storage.migrations.view_comments import restore_view_comments, save_view_comments

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENTS_VIEW = """
    SELECT d.document_id, d.agency_name, d.fiscal_year, d.doc_kind, d.title,
           COALESCE(s.url, d.source_url) AS source_url, COALESCE(s.page_url, d.page_url) AS page_url,
           d.sha256, f.size_bytes, d.page_count,
           COALESCE(s.fetched_at, d.fetched_at) AS fetched_at, d.status, d.is_current, d.error,
           d.reason, d.extractor_version, d.flow_run_id, d.loaded_at, s.portal, d.is_correction,
           d.verdict,
           (SELECT count(*) FROM yusuan.checks c WHERE c.document_id = d.document_id
              AND c.status = 'failed') AS checks_failed
    FROM yusuan.documents d
    JOIN yusuan.files f ON f.sha256 = d.sha256
    LEFT JOIN LATERAL (
        SELECT src.url, src.page_url, src.fetched_at, src.portal
        FROM yusuan.sources src
        WHERE src.sha256 = d.sha256
        ORDER BY src.first_fetched_at, src.url
        LIMIT 1
    ) s ON true
"""

CHECKS_VIEW = """
    SELECT d.agency_name, d.fiscal_year, c.document_id, c.check_name, c.subject, c.status,
           c.expected, c.actual, c.detail, d.source_url
    FROM yusuan.checks c
    JOIN budget.documents d USING (document_id)
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.add_column(
        "documents",
        sa.Column("verdict", sa.String(12), server_default="unchecked", nullable=False, comment="data-quality verdict"),
        schema="yusuan",
    )
    op.create_table(
        "checks",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("check_name", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, comment="passed | rounding | failed"),
        sa.Column("expected", sa.Numeric(20, 2)),
        sa.Column("actual", sa.Numeric(20, 2)),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["yusuan.documents.document_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "check_name", "subject"),
        schema="yusuan",
    )
    # New columns go at the end of the view, so CREATE OR REPLACE keeps existing readers working.
    op.execute(f"CREATE OR REPLACE VIEW budget.documents AS {DOCUMENTS_VIEW}")
    op.execute(
        "COMMENT ON COLUMN budget.documents.verdict IS "
        + _quote("Data-quality verdict: passed (every check held, rounding allowed), failed, or unchecked.")
    )
    op.execute(
        "COMMENT ON COLUMN budget.documents.checks_failed IS " + _quote("Number of failed checks (see budget.checks).")
    )
    op.execute(f"CREATE VIEW budget.checks AS {CHECKS_VIEW}")
    op.execute(
        "COMMENT ON VIEW budget.checks IS "
        + _quote(
            "Data-quality checks per document: 收入总计 = 支出总计, 基本支出 + 项目支出 = 合计, lines sum to their "
            "合计 row, tables agree, text agrees with tables. expected/actual in yuan; status passed, rounding "
            "(off by no more than printed rounding allows) or failed."
        )
    )


def downgrade() -> None:
    saved = save_view_comments()
    op.execute("DROP VIEW budget.checks")
    op.execute("DROP VIEW budget.documents")
    from importlib import import_module

    views = import_module("storage.migrations.versions.0002_budget_views")
    op.execute(f"CREATE VIEW budget.documents AS {views.VIEWS['documents']}")
    op.drop_table("checks", schema="yusuan")
    op.drop_column("documents", "verdict", schema="yusuan")
    restore_view_comments(saved)
