"""What the CLI's live progress counts cost on a national-scale database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/progress_query.py

Fills a scratch database (migrated to head) with ``--pages`` pages, a quarter as many sources
and a tenth as many documents, spread over 500 runs, then times ``storage.progress.
current_progress`` (the query the CLI repeats every 2 s during a run) with the run-column
indexes of migration 0007 and with them dropped. Results are written down in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url
from storage.migrate import upgrade
from storage.progress import current_progress

_RUNS = 500
_FILL = [
    "INSERT INTO yusuan.pages (url, kind, first_seen_at, last_seen_at, last_run_id)"
    " SELECT 'http://h' || (g % 3000) || '.gov.cn/p/' || g, 'list', now(), now(), 'run-' || (g % :runs)"
    " FROM generate_series(1, :pages) g",
    "INSERT INTO yusuan.files (sha256, size_bytes, storage_path, first_seen_at)"
    " SELECT md5(g::text) || md5((g + 1)::text), 1, 'x', now() FROM generate_series(1, :pages / 4) g",
    "INSERT INTO yusuan.sources (url, page_url, portal, sha256, first_fetched_at, fetched_at, last_run_id)"
    " SELECT 'http://h/f/' || g, 'http://h/p', 'p' || (g % 3000), md5(g::text) || md5((g + 1)::text),"
    " now(), now(), 'run-' || (g % :runs) FROM generate_series(1, :pages / 4) g",
    "INSERT INTO yusuan.documents (sha256, status, extractor_version, first_seen_at, loaded_at, flow_run_id)"
    " SELECT md5(g::text) || md5((g + 1)::text), 'loaded', 'bench', now(), now(), 'run-' || (g % :runs)"
    " FROM generate_series(1, :pages / 10) g",
    "INSERT INTO yusuan.last_runs (portal, run_id, flow_name, entry_url, started_at, status)"
    " VALUES ('p1', 'run-7', 'ingest', 'http://h', now(), 'running')",
]
_INDEXES = {"ix_pages_last_run": "pages", "ix_sources_last_run": "sources", "ix_documents_flow_run": "documents"}


def _timed(url: str, repeats: int) -> list[float]:
    since = datetime.now(UTC) - timedelta(days=1)
    current_progress(url, since)  # connection and plan cache warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        current_progress(url, since)
        times.append(round((time.perf_counter() - started) * 1000, 1))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = make_url(sqlalchemy_url(base)).set(database=f"yusuan_bench_{uuid.uuid4().hex[:8]}")
    scratch = url.render_as_string(hide_password=False)
    ensure_database(scratch)
    try:
        upgrade(scratch)
        engine = engine_for(scratch)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in _FILL:
                conn.execute(text(statement), {"runs": _RUNS, "pages": args.pages})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        fill_seconds = round(time.perf_counter() - started, 1)
        indexed = _timed(scratch, args.repeats)
        with engine.begin() as conn:
            for name in _INDEXES:
                conn.execute(text(f"DROP INDEX yusuan.{name}"))
        unindexed = _timed(scratch, args.repeats)
        engine.dispose()
    finally:
        drop_database(scratch)
    print(
        json.dumps(
            {
                "pages": args.pages,
                "sources": args.pages // 4,
                "documents": args.pages // 10,
                "fill_seconds": fill_seconds,
                "indexed_ms_median": statistics.median(indexed),
                "unindexed_ms_median": statistics.median(unindexed),
                "indexed_ms": indexed,
                "unindexed_ms": unindexed,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
