"""Currency follows what the portal serves: source history, withdrawn sources, the run's changes

Revision ID: 0006
Revises: 0005
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

from storage.migrations.view_comments import restore_view_comments, save_view_comments

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_V0005 = import_module("storage.migrations.versions.0005_document_kind_and_region")

# A document is served while some source URL still answers with its bytes and is still listed.
SERVED = "EXISTS (SELECT 1 FROM yusuan.sources sv WHERE sv.sha256 = d.sha256 AND sv.withdrawn_at IS NULL)"
DOCUMENTS_VIEW = _V0005.DOCUMENTS_VIEW.replace(
    "d.region_code, d.region_name",
    f"d.region_code, d.region_name,\n           {SERVED} AS is_served",
)

COMMENT = (
    "True while some source URL still serves this file's bytes and the portal still lists it; "
    "false once every URL that served it answers with other bytes or is gone from the portal. "
    "A filing's current version is a served one whenever it has one."
)

CHANGES_VIEW = """
    SELECT c.run_id, c.portal, c.url, c.change, c.old_sha256, c.new_sha256, c.changed_at,
           d.agency_name, d.fiscal_year, d.doc_kind, d.document_id
    FROM yusuan.source_changes c
    LEFT JOIN yusuan.documents d ON d.sha256 = COALESCE(c.new_sha256, c.old_sha256)
"""


def upgrade() -> None:
    op.add_column(
        "sources",
        sa.Column("entry_url", sa.Text(), comment="entry URL of the crawl that last listed it"),
        schema="yusuan",
    )
    op.add_column(
        "sources",
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), comment="when a complete crawl no longer listed it"),
        schema="yusuan",
    )
    op.create_table(
        "source_history",
        sa.Column("url", sa.Text(), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("yusuan.files.sha256"), primary_key=True),
        sa.Column("first_fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=False),
        schema="yusuan",
    )
    op.execute(
        """
        INSERT INTO yusuan.source_history (url, sha256, first_fetched_at, last_fetched_at)
        SELECT url, sha256, first_fetched_at, fetched_at FROM yusuan.sources WHERE sha256 IS NOT NULL
        """
    )
    op.create_table(
        "source_changes",
        sa.Column("change_id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("portal", sa.String(200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "change", sa.String(12), nullable=False, comment="appeared | changed | reverted | vanished | returned"
        ),
        sa.Column("old_sha256", sa.String(64)),
        sa.Column("new_sha256", sa.String(64)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_source_changes_run", "run_id"),
        schema="yusuan",
    )
    op.execute(f"CREATE OR REPLACE VIEW budget.documents AS {DOCUMENTS_VIEW}")
    op.execute(f"COMMENT ON COLUMN budget.documents.is_served IS {_V0005._quote(COMMENT)}")
    op.execute(f"CREATE VIEW budget.source_changes AS {CHANGES_VIEW}")
    op.execute(
        "COMMENT ON VIEW budget.source_changes IS 'What each run found changed at the portal: a URL that "
        "appeared, whose bytes changed, went back to bytes it served before (reverted), is no longer listed "
        "(vanished) or is listed again (returned).'"
    )


def downgrade() -> None:
    saved = save_view_comments()
    op.execute("DROP VIEW budget.source_changes")
    op.execute("DROP VIEW budget.checks")
    op.execute("DROP VIEW budget.documents")
    op.execute(f"CREATE VIEW budget.documents AS {_V0005.DOCUMENTS_VIEW}")
    op.execute(f"CREATE VIEW budget.checks AS {_V0005._V0003.CHECKS_VIEW}")
    for column, comment in _V0005.COMMENTS["documents"].items():
        op.execute(f"COMMENT ON COLUMN budget.documents.{column} IS {_V0005._quote(comment)}")
    op.drop_table("source_changes", schema="yusuan")
    op.drop_table("source_history", schema="yusuan")
    op.drop_column("sources", "withdrawn_at", schema="yusuan")
    op.drop_column("sources", "entry_url", schema="yusuan")
    restore_view_comments(saved)
