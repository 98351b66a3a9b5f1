"""Tables of the ``yusuan`` schema (internal, normalised, with lineage).

Consumers read the documented views of schema ``budget`` (see migrations), never these tables
directly: the views are the stable contract, these may change with a migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "yusuan"
metadata = MetaData(schema=SCHEMA)

# Amounts in yuan, exact to the fen.
Money = Numeric(20, 2)

# The latest run per portal (run history lives in Prefect): re-running a portal replaces its
# row, so repeated runs over unchanged portals leave every row count of this schema unchanged.
last_runs = Table(
    "last_runs",
    metadata,
    Column("portal", String(200), primary_key=True),
    Column("run_id", String(64), nullable=False, comment="Prefect flow run id"),
    Column("flow_name", String(100), nullable=False),
    Column("entry_url", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("stats", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)

pages = Table(
    "pages",
    metadata,
    Column("url", Text, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("http_status", Integer),
    Column("title", Text, nullable=False, server_default=""),
    Column("error", Text),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_run_id", String(64)),
    Index("ix_pages_last_run", "last_run_id"),
)

links = Table(
    "links",
    metadata,
    Column("page_url", Text, primary_key=True),
    Column("url", Text, primary_key=True),
    Column("text", Text, nullable=False, server_default=""),
    Column("taken", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_run_id", String(64)),
)

files = Table(
    "files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content_type", Text),
    Column("storage_path", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("url", Text, primary_key=True, comment="attachment URL as linked"),
    Column("final_url", Text),
    Column("page_url", Text, nullable=False),
    Column("link_text", Text, nullable=False, server_default=""),
    Column("page_title", Text, nullable=False, server_default=""),
    Column("portal", String(200), nullable=False),
    Column("http_status", Integer),
    Column("content_type", Text),
    Column("size_bytes", BigInteger),
    Column("sha256", String(64), ForeignKey("files.sha256")),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("first_fetched_at", DateTime(timezone=True), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("last_run_id", String(64)),
    Column("entry_url", Text, comment="entry URL of the crawl that last listed it"),
    Column("withdrawn_at", DateTime(timezone=True), comment="when a complete crawl no longer listed it"),
    Index("ix_sources_sha256", "sha256"),
    Index("ix_sources_last_run", "last_run_id"),
)

# Every file a URL has served, so a URL going back to earlier bytes is told from one that changed.
source_history = Table(
    "source_history",
    metadata,
    Column("url", Text, primary_key=True),
    Column("sha256", String(64), ForeignKey("files.sha256"), primary_key=True),
    Column("first_fetched_at", DateTime(timezone=True), nullable=False),
    Column("last_fetched_at", DateTime(timezone=True), nullable=False),
)

# What each run found changed at the portal (the run's diff, also an artifact).
source_changes = Table(
    "source_changes",
    metadata,
    Column("change_id", BigInteger, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("portal", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("change", String(12), nullable=False, comment="appeared | changed | reverted | vanished | returned"),
    Column("old_sha256", String(64)),
    Column("new_sha256", String(64)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_source_changes_run", "run_id"),
)

documents = Table(
    "documents",
    metadata,
    Column("document_id", BigInteger, primary_key=True, autoincrement=True),
    Column("sha256", String(64), ForeignKey("files.sha256"), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("reason", String(40)),
    Column("error", Text),
    Column("title", Text, nullable=False, server_default=""),
    Column("agency_name", Text, nullable=False, server_default=""),
    Column("agency_name_raw", Text, nullable=False, server_default=""),
    Column("fiscal_year", Integer),
    Column("doc_kind", String(20), nullable=False, server_default=""),
    Column("content_kind", String(20), nullable=False, server_default=""),
    Column("kind_reason", Text, nullable=False, server_default=""),
    Column("region_code", String(6), nullable=False, server_default=""),
    Column("region_name", Text, nullable=False, server_default=""),
    Column("page_count", Integer, nullable=False, server_default="0"),
    Column("source_url", Text, comment="URL the file was first fetched from"),
    Column("page_url", Text, comment="disclosure page that first linked the file"),
    Column("fetched_at", DateTime(timezone=True), comment="when the file was first fetched"),
    Column("is_correction", Boolean, nullable=False, server_default=text("false")),
    Column("is_current", Boolean, nullable=False, server_default=text("false")),
    Column("verdict", String(12), nullable=False, server_default="unchecked", comment="data-quality verdict"),
    Column("extractor_version", String(40), nullable=False),
    Column("warnings", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("flow_run_id", String(64)),
    Index("ix_documents_flow_run", "flow_run_id"),
    # The database, not the loader, guarantees one current version per filing: two cities'
    # 发展和改革局 are two filings because their regions differ.
    Index(
        "uq_documents_current_filing",
        "region_code",
        "agency_name",
        "fiscal_year",
        "doc_kind",
        unique=True,
        postgresql_where=text("is_current"),
    ),
)

doc_tables = Table(
    "doc_tables",
    metadata,
    Column("document_id", BigInteger, ForeignKey("documents.document_id", ondelete="CASCADE"), primary_key=True),
    Column("table_index", Integer, primary_key=True),
    Column("table_kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("unit", String(8), nullable=False),
    Column("page_first", Integer, nullable=False),
    Column("page_last", Integer, nullable=False),
    Column("header_rows", Integer, nullable=False),
    Column("captions", JSONB, nullable=False),
    Column("column_labels", JSONB, nullable=False),
    Column("header_box", JSONB, comment="[x0, top, x1, bottom] of the header rows on page_first, PDF points"),
)


def _box_columns() -> list[Column]:
    """Where a row is printed on its page: PDF points (1/72 inch), top measured down from the
    page's top edge, the union of the row's lines; NULL where unknown."""
    return [
        Column("x0", Float, comment="left edge of the printed row, PDF points"),
        Column("top", Float, comment="top edge, PDF points from the page's top"),
        Column("x1", Float, comment="right edge, PDF points"),
        Column("bottom", Float, comment="bottom edge, PDF points from the page's top"),
    ]


def _row_key(table_name: str) -> list:
    return [
        Column("document_id", BigInteger, primary_key=True),
        Column("table_index", Integer, primary_key=True),
        Column("row_index", Integer, primary_key=True),
        Column("page_no", Integer, nullable=False),
        ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["doc_tables.document_id", "doc_tables.table_index"],
            ondelete="CASCADE",
            name=f"fk_{table_name}_table",
        ),
    ]


table_rows = Table(
    "table_rows",
    metadata,
    *_row_key("table_rows"),
    Column("cells", JSONB, nullable=False, comment="cells as printed, left to right"),
    *_box_columns(),
)

function_lines = Table(
    "function_lines",
    metadata,
    *_row_key("function_lines"),
    Column("table_kind", String(40), nullable=False),
    Column("func_code", String(7), nullable=False),
    Column("func_name", Text, nullable=False),
    Column("unit_code", String(40), nullable=False, server_default=""),
    Column("total", Money),
    Column("basic_total", Money),
    Column("project_total", Money),
    Column("level", String(10), nullable=False, server_default="", comment="class | section | item"),
    Column(
        "personnel", Money, comment="人员经费, yuan, where the table prints it (a part of 基本支出); NULL otherwise."
    ),
    Column(
        "public_funds", Money, comment="公用经费, yuan, where the table prints it (a part of 基本支出); NULL otherwise."
    ),
)

economic_lines = Table(
    "economic_lines",
    metadata,
    *_row_key("economic_lines"),
    Column("table_kind", String(40), nullable=False),
    Column("econ_code", String(7), nullable=False),
    Column("econ_name", Text, nullable=False),
    Column("gov_econ_code", String(7), nullable=False),
    Column("gov_econ_name", Text, nullable=False),
    Column("total", Money),
    Column("personnel", Money),
    Column("public_funds", Money),
    Column("level", String(10), nullable=False, server_default="", comment="class | item | subitem"),
)

project_lines = Table(
    "project_lines",
    metadata,
    *_row_key("project_lines"),
    Column("project_name", Text, nullable=False),
    Column("project_type", Text, nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("total", Money),
)

performance_targets = Table(
    "performance_targets",
    metadata,
    *_row_key("performance_targets"),
    Column("position", Integer, primary_key=True, comment="order of the indicator within its printed row"),
    Column("project_code", Text, nullable=False),
    Column("project_name", Text, nullable=False),
    Column("level1", Text, nullable=False, comment="一级指标, or the category (成本/产出/效益/满意度指标)"),
    Column("level2", Text, nullable=False, comment="二级指标"),
    Column("indicator", Text, nullable=False, comment="三级指标"),
    Column("target_value", Text, nullable=False, comment="指标值 as printed"),
    Column("note", Text, nullable=False, comment="指标值说明"),
)

figures = Table(
    "figures",
    metadata,
    Column("document_id", BigInteger, ForeignKey("documents.document_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(60), primary_key=True),
    Column("table_index", Integer, primary_key=True, comment="-1 for a figure read from the text"),
    Column("row_index", Integer, primary_key=True),
    Column("page_no", Integer),
    Column("table_kind", String(40), nullable=False),
    Column("amount", Money, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("source", String(10), nullable=False),
)

checks = Table(
    "checks",
    metadata,
    Column("document_id", BigInteger, ForeignKey("documents.document_id", ondelete="CASCADE"), primary_key=True),
    Column("check_name", String(60), primary_key=True),
    Column("subject", String(120), primary_key=True),
    Column("status", String(12), nullable=False, comment="passed | rounding | failed"),
    Column("expected", Money),
    Column("actual", Money),
    Column("detail", Text, nullable=False),
)
