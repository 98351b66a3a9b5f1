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
from sqlalchemy.exc import DBAPIError

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


def create_missing_database(url: str) -> bool:
    """Create the database ``url`` names when its server answers without it (a new DATABASE_URL
    on a server that exists); True when it did. Postgres reports a missing database at connect
    time with no SQLSTATE, in the server's language, so the connection that follows could not
    tell it from a server that is away and would wait its retry budget out. A server that does
    not answer, or a role that may not read or create databases, leaves it to that connection."""
    try:
        created = ensure_database(url)
    except DBAPIError as exc:
        log.debug("database of %s not checked: %s", redact(url), exc)
        return False
    if created:
        log.warning("created the database %s, which its server did not have", redact(url))
    return created


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist (needs rights on ``postgres``);
    True when it was created."""
    target = make_url(sqlalchemy_url(url))
    name = target.database
    # A host that does not answer fails in seconds, not after the operating system's TCP timeout.
    admin = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10}
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            return not exists
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
