"""绩效目标: yusuan.performance_targets and the budget.performance_targets view

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VIEW = """
    SELECT d.agency_name, d.fiscal_year, p.document_id, p.page_no, p.project_code, p.project_name,
           p.level1, p.level2, p.indicator, p.target_value, p.note, p.table_index, p.row_index, p.position
    FROM yusuan.performance_targets p
    JOIN yusuan.documents d ON d.document_id = p.document_id
    WHERE d.is_current
"""

COMMENTS = {
    "project_code": "项目编码 as printed (digits joined); empty for the department as a whole.",
    "project_name": "项目名称; empty for 部门整体绩效目标.",
    "level1": "一级指标 (产出指标, 效益指标 …), or the category column of a summary table (成本/产出/效益/满意度指标).",
    "level2": "二级指标 (数量指标, 时效指标 …); empty in summary tables.",
    "indicator": "三级指标: what is measured.",
    "target_value": "指标值 as printed: ≥85%, 100%, ≤3次, 合理 … (text, not a number).",
    "note": "指标值说明 where printed.",
    "position": "Order of the indicator within its printed row (summary tables print several per row).",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "performance_targets",
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="order of the indicator within its printed row"),
        sa.Column("project_code", sa.Text(), nullable=False),
        sa.Column("project_name", sa.Text(), nullable=False),
        sa.Column("level1", sa.Text(), nullable=False, comment="一级指标, or the category (成本/产出/效益/满意度指标)"),
        sa.Column("level2", sa.Text(), nullable=False, comment="二级指标"),
        sa.Column("indicator", sa.Text(), nullable=False, comment="三级指标"),
        sa.Column("target_value", sa.Text(), nullable=False, comment="指标值 as printed"),
        sa.Column("note", sa.Text(), nullable=False, comment="指标值说明"),
        sa.ForeignKeyConstraint(
            ["document_id", "table_index"],
            ["yusuan.doc_tables.document_id", "yusuan.doc_tables.table_index"],
            name="fk_performance_targets_table",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "table_index", "row_index", "position"),
        schema="yusuan",
    )
    # The new columns/table start empty for documents already loaded: mark them stale, so the
    # next run extracts and loads them again instead of counting them as unchanged.
    op.execute("UPDATE yusuan.documents SET extractor_version = 'stale'")
    op.execute(f"CREATE VIEW budget.performance_targets AS {VIEW}")
    op.execute(
        "COMMENT ON VIEW budget.performance_targets IS "
        + _quote(
            "Performance targets (绩效目标表) of current filings: one row per indicator, for a project or the "
            "department as a whole. Lineage: document_id joins budget.documents; page_no, table_index, row_index "
            "locate the printed row (yusuan.table_rows)."
        )
    )
    for column, comment in COMMENTS.items():
        op.execute(f"COMMENT ON COLUMN budget.performance_targets.{column} IS {_quote(comment)}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS budget.performance_targets")
    op.drop_table("performance_targets", schema="yusuan")
