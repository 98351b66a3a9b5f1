"""budget schema: the consumer views, documented with COMMENT ON

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VIEWS: dict[str, str] = {
    "documents": """
        SELECT d.document_id, d.agency_name, d.fiscal_year, d.doc_kind, d.title,
               s.url AS source_url, s.page_url, d.sha256, f.size_bytes, d.page_count,
               s.fetched_at, d.status, d.is_current, d.error,
               d.reason, d.extractor_version, d.flow_run_id, d.loaded_at, s.portal
        FROM yusuan.documents d
        JOIN yusuan.files f ON f.sha256 = d.sha256
        LEFT JOIN LATERAL (
            SELECT src.url, src.page_url, src.fetched_at, src.portal
            FROM yusuan.sources src
            WHERE src.sha256 = d.sha256
            ORDER BY src.first_fetched_at, src.url
            LIMIT 1
        ) s ON true
    """,
    "totals": """
        WITH best AS (
            SELECT DISTINCT ON (fg.document_id, fg.name) fg.document_id, fg.name, fg.amount
            FROM yusuan.figures fg
            ORDER BY fg.document_id, fg.name, fg.priority, fg.table_index, fg.row_index
        )
        SELECT d.agency_name, d.fiscal_year, d.doc_kind, d.document_id,
               max(b.amount) FILTER (WHERE b.name = 'income_total') AS income_total,
               max(b.amount) FILTER (WHERE b.name = 'expenditure_total') AS expenditure_total,
               max(b.amount) FILTER (WHERE b.name = 'basic_expenditure') AS basic_expenditure,
               max(b.amount) FILTER (WHERE b.name = 'project_expenditure') AS project_expenditure,
               max(b.amount) FILTER (WHERE b.name = 'three_public_total') AS three_public_total,
               max(b.amount) FILTER (WHERE b.name = 'three_public_abroad') AS three_public_abroad,
               max(b.amount) FILTER (WHERE b.name = 'three_public_vehicle_purchase')
                   AS three_public_vehicle_purchase,
               max(b.amount) FILTER (WHERE b.name = 'three_public_vehicle_operation')
                   AS three_public_vehicle_operation,
               max(b.amount) FILTER (WHERE b.name = 'three_public_reception') AS three_public_reception
        FROM yusuan.documents d
        LEFT JOIN best b ON b.document_id = d.document_id
        WHERE d.is_current
        GROUP BY d.agency_name, d.fiscal_year, d.doc_kind, d.document_id
    """,
    "function_lines": """
        SELECT d.agency_name, d.fiscal_year, l.document_id, l.page_no, l.table_kind,
               l.func_code, l.func_name, l.total, l.basic_total, l.project_total,
               l.unit_code, l.table_index, l.row_index
        FROM yusuan.function_lines l
        JOIN yusuan.documents d ON d.document_id = l.document_id
        WHERE d.is_current
    """,
    "economic_lines": """
        SELECT d.agency_name, d.fiscal_year, l.document_id, l.page_no, l.table_kind,
               l.econ_code, l.econ_name, l.gov_econ_code, l.gov_econ_name, l.total,
               l.personnel, l.public_funds, l.table_index, l.row_index
        FROM yusuan.economic_lines l
        JOIN yusuan.documents d ON d.document_id = l.document_id
        WHERE d.is_current
    """,
    "projects": """
        SELECT d.agency_name, d.fiscal_year, l.document_id, l.page_no, l.project_name,
               l.project_type, l.unit_name, l.total, l.table_index, l.row_index
        FROM yusuan.project_lines l
        JOIN yusuan.documents d ON d.document_id = l.document_id
        WHERE d.is_current
    """,
}

LINEAGE = (
    "Lineage: document_id joins budget.documents (source_url, page_url, sha256, fetched_at, "
    "flow_run_id); page_no is the 1-based PDF page of the row; table_index/row_index locate the "
    "row in yusuan.table_rows (cells as printed)."
)

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "documents": (
        "Every document yusuan fetched, one row per distinct file (sha256), with where it came from "
        "and what became of it.",
        {
            "document_id": "Stable id of the document (one per distinct file content).",
            "agency_name": "Publishing agency as printed, without a trailing (机关)/(本级) qualifier.",
            "fiscal_year": "Budget year the document covers.",
            "doc_kind": "部门预算, 单位预算, 部门决算 or 单位决算.",
            "title": "Title line of the document's first page.",
            "source_url": "URL the file was downloaded from (the earliest source if posted several times).",
            "page_url": "Disclosure page that linked the file.",
            "sha256": "SHA-256 of the raw file as downloaded.",
            "size_bytes": "Size of the raw file in bytes.",
            "page_count": "Number of PDF pages.",
            "fetched_at": "When the source URL was last fetched.",
            "status": "loaded (facts in the views), quarantined (see reason/error) or not_budget.",
            "is_current": "True for the version of the filing (agency, fiscal_year, doc_kind) that the "
            "other views show; earlier versions stay as history.",
            "error": "Why the document was quarantined or not loaded as a budget.",
            "reason": "Machine-readable quarantine reason: not_pdf, broken_pdf, needs_ocr, no_tables, ...",
            "flow_run_id": "Prefect flow run that last loaded the document.",
        },
    ),
    "totals": (
        "Key figures per current filing, in yuan (NUMERIC, exact). Each figure comes from the most "
        "authoritative table that states it (e.g. 收支总体情况表 for income_total).",
        {
            "income_total": "收入总计, yuan.",
            "expenditure_total": "支出总计, yuan.",
            "basic_expenditure": "基本支出 total, yuan.",
            "project_expenditure": "项目支出 total, yuan.",
            "three_public_total": "“三公”经费 total, yuan.",
            "three_public_abroad": "因公出国（境）费, yuan.",
            "three_public_vehicle_purchase": "公务用车购置费, yuan.",
            "three_public_vehicle_operation": "公务用车运行（维护）费, yuan.",
            "three_public_reception": "公务接待费, yuan.",
        },
    ),
    "function_lines": (
        "Lines by functional classification (功能分类) of current filings: only leaves (项, or the "
        "lowest level printed), never the 类/款 subtotals. " + LINEAGE,
        {
            "func_code": "功能分类 code, 类/款/项 joined (e.g. 2080505).",
            "table_kind": "Which table the line is from (expenditure_summary, general_budget_expenditure, ...).",
            "total": "合计, yuan.",
            "basic_total": "基本支出, yuan.",
            "project_total": "项目支出, yuan.",
        },
    ),
    "economic_lines": (
        "Lines by economic classification (经济分类) of current filings. " + LINEAGE,
        {
            "econ_code": "部门预算 economic code (e.g. 30101).",
            "gov_econ_code": "政府预算 economic code (e.g. 50101), where printed.",
            "total": "合计, yuan.",
            "personnel": "人员经费, yuan.",
            "public_funds": "公用经费, yuan.",
        },
    ),
    "projects": (
        "Projects of the 项目支出表 of current filings. " + LINEAGE,
        {
            "project_type": "其他运转类 / 特定目标类 where printed.",
            "unit_name": "Unit carrying the project.",
            "total": "合计, yuan.",
        },
    ),
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS budget")
    op.execute("COMMENT ON SCHEMA budget IS " + _quote("yusuan consumer views: stable names, amounts in yuan."))
    for name, body in VIEWS.items():
        op.execute(f"CREATE OR REPLACE VIEW budget.{name} AS {body}")
        table_comment, columns = COMMENTS[name]
        op.execute(f"COMMENT ON VIEW budget.{name} IS {_quote(table_comment)}")
        for column, comment in columns.items():
            op.execute(f"COMMENT ON COLUMN budget.{name}.{column} IS {_quote(comment)}")


def downgrade() -> None:
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW IF EXISTS budget.{name}")
    op.execute("DROP SCHEMA IF EXISTS budget")
