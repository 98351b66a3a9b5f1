"""Shared fixtures: a real Postgres (never mocked), an isolated Prefect home, the demo portal."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from yusuan.runtime import configure_prefect_env

# Before anything imports Prefect: a private Prefect home per test session, telemetry off.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="yusuan-tests-"))
os.environ["PREFECT_HOME"] = str(_SESSION_DIR / "prefect")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
configure_prefect_env()

from sqlalchemy import text  # noqa: E402

from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url, start_embedded_postgres  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from yusuan.demo.server import PortalServer  # noqa: E402
from yusuan.demo.site import Column  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
REAL_PDFS = SHARED / "real" / "pdf"
ASSETS = REPO / "yusuan" / "demo" / "assets"
# Real portal pages, saved with their provenance (City Bureau style): every clone has them.
SAVED_PAGES = REPO / "tests" / "files" / "pages"

# Tests that read ../shared (the corpus, real documents, saved portal pages) skip on a machine
# without it; CI always has it, and there its absence is a failure, not a skip.
if not SHARED.is_dir() and os.environ.get("CI"):
    raise RuntimeError(f"CI needs the shared material beside the checkout: {SHARED} is missing")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} (shared corpus) not present")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database: on the server DATABASE_URL names, or an embedded one."""
    server_url = os.environ.get("DATABASE_URL")
    if server_url:
        from sqlalchemy.engine import make_url

        url = make_url(sqlalchemy_url(server_url)).set(database=f"yusuan_test_{uuid.uuid4().hex[:8]}")
        test_url = url.render_as_string(hide_password=False)
        ensure_database(test_url)
        upgrade(test_url)
        yield test_url
        engine_for(test_url).dispose()
        drop_database(test_url)
    else:
        url = start_embedded_postgres(_SESSION_DIR / "pgdata")
        upgrade(url)
        yield url


@pytest.fixture()
def db(database_url: str) -> Iterator[str]:
    """The test database, emptied before the test."""
    truncate_all(database_url)
    yield database_url


def truncate_all(url: str) -> None:
    with engine_for(url).begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'yusuan' AND tablename <> 'alembic_version'")
        ).scalars()
        names = ", ".join(f"yusuan.{t}" for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture()
def pipeline_env(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment the flow reads its settings from: the test database and a private data dir."""
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("YUSUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YUSUAN_HTTP_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("YUSUAN_HTTP_TIMEOUT_SECONDS", "5")
    # Runs in a test follow each other within seconds, yet most stand for scheduled runs days
    # apart (the portal changed in between): every URL is asked again unless a test says not.
    monkeypatch.setenv("YUSUAN_RECHECK_AFTER_HOURS", "0")
    return db


@pytest.fixture()
def portal() -> Iterator[PortalServer]:
    with PortalServer() as server:
        yield server


def count_rows(url: str) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'yusuan' AND tablename <> 'alembic_version'")
        ).scalars()
        return {t: conn.execute(text(f"SELECT count(*) FROM yusuan.{t}")).scalar_one() for t in sorted(tables)}


def ingest_column(database_url: str, data_dir: Path, column: Column, portal: str, max_pages: int) -> dict:
    """A fresh ingest of one portal column into an emptied database: the real-corpus sweeps."""
    from flows.ingest import ingest

    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", database_url)
    mp.setenv("YUSUAN_DATA_DIR", str(data_dir))
    with engine_for(database_url).begin() as conn:
        conn.execute(
            text("TRUNCATE yusuan.documents, yusuan.sources, yusuan.files, yusuan.pages, yusuan.links CASCADE")
        )
    try:
        with PortalServer([column]) as server:
            return ingest(server.entry_url, portal=portal, max_pages=max_pages)
    finally:
        mp.undo()
