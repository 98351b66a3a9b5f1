"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 18:07:49.905338
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("storage_path", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
        schema="yusuan",
    )
    op.create_table(
        "last_runs",
        sa.Column("portal", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False, comment="Prefect flow run id"),
        sa.Column("flow_name", sa.String(length=100), nullable=False),
        sa.Column("entry_url", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "stats", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.PrimaryKeyConstraint("portal"),
        schema="yusuan",
    )
    op.create_table(
        "links",
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("page_url", "url"),
        schema="yusuan",
    )
    op.create_table(
        "pages",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("url"),
        schema="yusuan",
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("agency_name", sa.Text(), server_default="", nullable=False),
        sa.Column("agency_name_raw", sa.Text(), server_default="", nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("doc_kind", sa.String(length=20), server_default="", nullable=False),
        sa.Column("page_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True, comment="URL the file was first fetched from"),
        sa.Column("page_url", sa.Text(), nullable=True, comment="disclosure page that first linked the file"),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True, comment="when the file was first fetched"),
        sa.Column("is_correction", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("extractor_version", sa.String(length=40), nullable=False),
        sa.Column(
            "warnings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["yusuan.files.sha256"],
        ),
        sa.PrimaryKeyConstraint("document_id"),
        sa.UniqueConstraint("sha256"),
        schema="yusuan",
    )
    op.create_index(
        "uq_documents_current_filing",
        "documents",
        ["agency_name", "fiscal_year", "doc_kind"],
        unique=True,
        schema="yusuan",
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "sources",
        sa.Column("url", sa.Text(), nullable=False, comment="attachment URL as linked"),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("link_text", sa.Text(), server_default="", nullable=False),
        sa.Column("page_title", sa.Text(), server_default="", nullable=False),
        sa.Column("portal", sa.String(length=200), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("first_fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["yusuan.files.sha256"],
        ),
        sa.PrimaryKeyConstraint("url"),
        schema="yusuan",
    )
    op.create_index("ix_sources_sha256", "sources", ["sha256"], unique=False, schema="yusuan")
    op.create_table(
        "doc_tables",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("table_kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("page_first", sa.Integer(), nullable=False),
        sa.Column("page_last", sa.Integer(), nullable=False),
        sa.Column("header_rows", sa.Integer(), nullable=False),
        sa.Column("captions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("column_labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["yusuan.documents.document_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "table_index"),
        schema="yusuan",
    )
    op.create_table(
        "figures",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False, comment="-1 for a figure read from the text"),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=True),
        sa.Column("table_kind", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["yusuan.documents.document_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "name", "table_index", "row_index"),
        schema="yusuan",
    )
    op.create_table(
        "economic_lines",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column("table_kind", sa.String(length=40), nullable=False),
        sa.Column("econ_code", sa.String(length=5), nullable=False),
        sa.Column("econ_name", sa.Text(), nullable=False),
        sa.Column("gov_econ_code", sa.String(length=5), nullable=False),
        sa.Column("gov_econ_name", sa.Text(), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("personnel", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("public_funds", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["yusuan.doc_tables.document_id", "yusuan.doc_tables.table_index"],
            name="fk_economic_lines_table",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "table_index", "row_index"),
        schema="yusuan",
    )
    op.create_table(
        "function_lines",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column("table_kind", sa.String(length=40), nullable=False),
        sa.Column("func_code", sa.String(length=7), nullable=False),
        sa.Column("func_name", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=40), server_default="", nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("basic_total", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("project_total", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["yusuan.doc_tables.document_id", "yusuan.doc_tables.table_index"],
            name="fk_function_lines_table",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "table_index", "row_index"),
        schema="yusuan",
    )
    op.create_table(
        "project_lines",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column("project_name", sa.Text(), nullable=False),
        sa.Column("project_type", sa.Text(), nullable=False),
        sa.Column("unit_name", sa.Text(), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["yusuan.doc_tables.document_id", "yusuan.doc_tables.table_index"],
            name="fk_project_lines_table",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "table_index", "row_index"),
        schema="yusuan",
    )
    op.create_table(
        "table_rows",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column(
            "cells", postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment="cells as printed, left to right"
        ),
        sa.ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["yusuan.doc_tables.document_id", "yusuan.doc_tables.table_index"],
            name="fk_table_rows_table",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "table_index", "row_index"),
        schema="yusuan",
    )


def downgrade() -> None:
    op.drop_table("table_rows", schema="yusuan")
    op.drop_table("project_lines", schema="yusuan")
    op.drop_table("function_lines", schema="yusuan")
    op.drop_table("economic_lines", schema="yusuan")
    op.drop_table("figures", schema="yusuan")
    op.drop_table("doc_tables", schema="yusuan")
    op.drop_index("ix_sources_sha256", table_name="sources", schema="yusuan")
    op.drop_table("sources", schema="yusuan")
    op.drop_index(
        "uq_documents_current_filing", table_name="documents", schema="yusuan", postgresql_where=sa.text("is_current")
    )
    op.drop_table("documents", schema="yusuan")
    op.drop_table("pages", schema="yusuan")
    op.drop_table("links", schema="yusuan")
    op.drop_table("last_runs", schema="yusuan")
    op.drop_table("files", schema="yusuan")
