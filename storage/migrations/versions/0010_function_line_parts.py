"""人员经费 and 公用经费 on function lines

Revision ID: 0010
Revises: 0009

A function table that prints 人员经费 and 公用经费 (under 基本支出, or in its place where a
template prints the 一般公共预算基本支出表 by function class rather than by economic class) keeps
both on its lines: ``personnel`` and ``public_funds``, NULL where the table does not print them.
``budget.function_lines`` shows them as its last two columns (a view's columns may only be added
at its end, so consumers' queries by name and by position keep working). Lines stored before this
revision have them NULL until ``yusuan backfill`` re-extracts their document.
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

_V0008 = import_module("storage.migrations.versions.0008_line_levels")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PARTS = {
    "personnel": "人员经费, yuan, where the table prints it (a part of 基本支出); NULL otherwise.",
    "public_funds": "公用经费, yuan, where the table prints it (a part of 基本支出); NULL otherwise.",
}

VIEW = _V0008.VIEWS["function_lines"].replace(", l.level\n", ", l.level,\n               l.personnel, l.public_funds\n")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for name, comment in PARTS.items():
        op.add_column("function_lines", sa.Column(name, sa.Numeric(20, 2), comment=comment), schema="yusuan")
    op.execute(f"CREATE OR REPLACE VIEW budget.function_lines AS {VIEW}")
    for name, comment in PARTS.items():
        op.execute(f"COMMENT ON COLUMN budget.function_lines.{name} IS {_quote(comment)}")


def downgrade() -> None:
    op.execute("DROP VIEW budget.function_lines")
    op.execute(f"CREATE VIEW budget.function_lines AS {_V0008.VIEWS['function_lines']}")
    _V0008._restore_comments("function_lines", ours=True)
    for name in PARTS:
        op.drop_column("function_lines", name, schema="yusuan")
