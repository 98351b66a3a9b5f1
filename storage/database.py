"""Which Postgres to use, and engines for it.

``DATABASE_URL`` wins; without it the project starts its own embedded PostgreSQL (pgserver)
under the data directory, so a fresh machine needs no server.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def sqlalchemy_url(url: str) -> str:
    """Plain ``postgresql://`` URLs (as pgserver and most tools print them) → the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redact(url: str) -> str:
    """The URL with any password masked, for logs and artifacts."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is still never printed as is
        return "<unparsable database url>"


def start_embedded_postgres(pgdata: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL in ``pgdata`` and return its SQLAlchemy URL.

    The server lives as long as this Python process.
    """
    import pgserver  # imported lazily: it is only needed when no DATABASE_URL is given

    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    log.info("embedded PostgreSQL running in %s", pgdata)
    return sqlalchemy_url(server.get_uri())


def resolve_database_url(database_url: str | None, pgdata: Path) -> str:
    if database_url:
        return sqlalchemy_url(database_url)
    return start_embedded_postgres(pgdata)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One pooled engine per URL per process (tasks in threads share it)."""
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=5, max_overflow=5)


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist (needs rights on ``postgres``)."""
    target = make_url(sqlalchemy_url(url))
    name = target.database
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(sqlalchemy_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()
