"""Keep the documentation of the ``budget`` views across a downgrade.

A view cannot lose a column by ``CREATE OR REPLACE``, so a downgrade drops and recreates views,
and with them every ``COMMENT ON VIEW`` / ``COMMENT ON COLUMN`` the earlier migrations wrote.
A downgrade saves the comments first and puts back those whose view and column still exist.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

Comments = dict[tuple[str, str | None], str]


def save_view_comments() -> Comments:
    """(view, column or None for the view itself) → comment, for every commented budget view."""
    rows = op.get_bind().execute(
        text(
            """SELECT c.relname, a.attname, d.description
               FROM pg_description d
               JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
               JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
               WHERE n.nspname = 'budget' AND c.relkind = 'v'"""
        )
    )
    return {(view, column): comment for view, column, comment in rows}


def restore_view_comments(saved: Comments) -> None:
    bind = op.get_bind()
    present = {
        (view, column)
        for view, column in bind.execute(
            text(
                """SELECT c.relname, a.attname FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                   WHERE n.nspname = 'budget' AND c.relkind = 'v'"""
            )
        )
    }
    views = {view for view, _column in present}
    for (view, column), comment in saved.items():
        quoted = "'" + comment.replace("'", "''") + "'"
        if column is None and view in views:
            op.execute(f'COMMENT ON VIEW budget."{view}" IS {quoted}')
        elif (view, column) in present:
            op.execute(f'COMMENT ON COLUMN budget."{view}"."{column}" IS {quoted}')
