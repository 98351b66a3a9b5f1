"""Apply the Alembic migrations programmatically (``yusuan db upgrade``, tests, the demo)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from storage.database import engine_for, sqlalchemy_url
from storage.schema import SCHEMA

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_lock = threading.Lock()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str:
    """The revision a fully migrated database is at (this code's migrations: fixed while it runs)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    with _lock:
        command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision ``url``'s database is at; None when it was never migrated."""
    try:
        with engine_for(url).connect() as conn:
            return conn.execute(text(f"SELECT max(version_num) FROM {SCHEMA}.alembic_version")).scalar_one()
    except ProgrammingError:  # no schema or no version table yet
        return None


def upgrade_if_behind(url: str) -> bool:
    """Migrate ``url`` to head unless it is there already; True when it ran the migrations.

    Every run starts with this, and a group's every portal entry is a run: Alembic's upgrade
    loads and compiles every migration script even when there is nothing to do (8 % of a group
    run's flow-process CPU on small portals, bench/national.py); one query says the same."""
    if current_revision(url) == head_revision():
        return False
    upgrade(url)
    return True


def downgrade(url: str, revision: str) -> None:
    with _lock:
        command.downgrade(alembic_config(url), revision)
