"""Apply the Alembic migrations programmatically (``yusuan db upgrade``, tests, the demo)."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.database import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_lock = threading.Lock()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The revision a fully migrated database is at."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    with _lock:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with _lock:
        command.downgrade(alembic_config(url), revision)
