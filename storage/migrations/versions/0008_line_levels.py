"""Line levels and 7-digit economic sub-items

Revision ID: 0008
Revises: 0007

Provinces split economic items further (3010201 规范性津补贴 under 30102): ``econ_code`` and
``gov_econ_code`` take 7 digits. Every function and economic line says its level (class 类,
section 款, item 项 / economic item 款, subitem), and a line of a table that prints no codes is
stored with its name and level, its code empty unless the name resolves under its printed
parent. The two views are rebuilt (a view pins the type of the columns it reads).
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

_V0002 = import_module("storage.migrations.versions.0002_budget_views")

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEVEL_COMMENT = (
    "Level of the line: class (类), section (款), item (项; for economic lines the 款 such as 30101) "
    "or subitem (an economic 3010201); set also where the table prints no code."
)

VIEWS = {
    "function_lines": """
        SELECT d.agency_name, d.fiscal_year, l.document_id, l.page_no, l.table_kind,
               l.func_code, l.func_name, l.total, l.basic_total, l.project_total,
               l.unit_code, l.table_index, l.row_index, l.level
        FROM yusuan.function_lines l
        JOIN yusuan.documents d ON d.document_id = l.document_id
        WHERE d.is_current
    """,
    "economic_lines": """
        SELECT d.agency_name, d.fiscal_year, l.document_id, l.page_no, l.table_kind,
               l.econ_code, l.econ_name, l.gov_econ_code, l.gov_econ_name, l.total,
               l.personnel, l.public_funds, l.table_index, l.row_index, l.level
        FROM yusuan.economic_lines l
        JOIN yusuan.documents d ON d.document_id = l.document_id
        WHERE d.is_current
    """,
}

OLD_VIEWS = {name: body.replace(", l.level\n", "\n") for name, body in VIEWS.items()}

COMMENTS = {
    "function_lines": {
        "func_code": "功能分类 code, 类/款/项 joined (e.g. 2080505); empty where the table prints none and "
        "the name does not resolve.",
        "level": LEVEL_COMMENT,
    },
    "economic_lines": {
        "econ_code": "部门预算 economic code (e.g. 30101, or a sub-item 3010201); empty where the table prints none.",
        "level": LEVEL_COMMENT,
    },
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _restore_comments(name: str, ours: bool) -> None:
    """The 0002 comments, then (``ours``) this revision's."""
    table_comment, columns = _V0002.COMMENTS[name]
    op.execute(f"COMMENT ON VIEW budget.{name} IS {_quote(table_comment)}")
    for column, comment in {**columns, **(COMMENTS[name] if ours else {})}.items():
        op.execute(f"COMMENT ON COLUMN budget.{name}.{column} IS {_quote(comment)}")


def upgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW budget.{name}")
    for column in ("econ_code", "gov_econ_code"):
        op.alter_column("economic_lines", column, type_=sa.String(7), schema="yusuan")
    for table, levels in (("function_lines", "class | section | item"), ("economic_lines", "class | item | subitem")):
        column = sa.Column("level", sa.String(10), nullable=False, server_default="", comment=levels)
        op.add_column(table, column, schema="yusuan")
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW budget.{name} AS {body}")
        _restore_comments(name, ours=True)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW budget.{name}")
    for table in ("function_lines", "economic_lines"):
        op.drop_column(table, "level", schema="yusuan")
    for column in ("econ_code", "gov_econ_code"):
        op.alter_column("economic_lines", column, type_=sa.String(5), schema="yusuan")
    for name, body in OLD_VIEWS.items():
        op.execute(f"CREATE VIEW budget.{name} AS {body}")
        _restore_comments(name, ours=False)
