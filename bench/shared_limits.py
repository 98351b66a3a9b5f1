"""What the shared (Prefect global) limits cost, by the Prefect server's database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/shared_limits.py

For each setting, a fresh `prefect server` (SQLite, or Postgres when DATABASE_URL names a TCP
server) and two ingest runs started together against one demo portal (every PDF 0.3 s slow),
each in its own process, database and data directory. Prints wall time per run and the most
requests the portal saw at once. Results are written down in docs/operations.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deployments.local_stack import REPO, LocalStack, prefect_server_database
from storage.database import drop_database, ensure_database, sqlalchemy_url
from storage.migrate import upgrade
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import demo_column
from yusuan.ports import free_port


def _database(base: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url(base)).set(database=f"yusuan_bench_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    ensure_database(rendered)
    upgrade(rendered)
    return rendered


def trial(base_url: str, backend: str, limits: str) -> tuple[list[float], int]:
    pdfs = [a.name for article in demo_column().articles for a in article.attachments if a.name.endswith(".pdf")]
    extra: dict[str, str] = {}
    prefect_db_name = f"yusuan_prefect_bench_{uuid.uuid4().hex[:6]}"
    if backend == "postgres":
        prefect_db = prefect_server_database(base_url, prefect_db_name)
        if prefect_db is None:
            raise SystemExit("DATABASE_URL cannot host the Prefect server database")
        extra["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_db
    home = Path(tempfile.mkdtemp(prefix="yusuan-bench-"))
    databases = [_database(base_url) for _ in range(2)]
    try:
        with (
            PortalServer(faults=Faults(delay_seconds=dict.fromkeys(pdfs, 0.3))) as portal,
            LocalStack(home / "prefect", free_port(), extra) as stack,
        ):
            stack.start_server()
            runs = []
            for name, database in zip("ab", databases, strict=True):
                env = {
                    **stack.env,
                    "DATABASE_URL": database,
                    "YUSUAN_DATA_DIR": str(home / f"data-{name}"),
                    "YUSUAN_GLOBAL_LIMITS": limits,
                }
                code = f"from flows.ingest import ingest; ingest({portal.entry_url!r}, portal='bench-{name}')"
                runs.append((time.monotonic(), subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)))
            seconds = []
            for started, process in runs:
                process.wait(timeout=600)
                seconds.append(time.monotonic() - started)
            return seconds, portal.log.max_in_flight
    finally:
        for database in databases:
            drop_database(database)
        if backend == "postgres":
            from sqlalchemy.engine import make_url

            drop_database(make_url(sqlalchemy_url(base_url)).set(database=prefect_db_name).render_as_string(False))


def main() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("set DATABASE_URL to a Postgres server (TCP)")
    print("| Prefect server DB | global limits | run a (s) | run b (s) | max in flight at portal |")
    print("|---|---|---|---|---|")
    for backend, limits in (("sqlite", "off"), ("sqlite", "on"), ("postgres", "off"), ("postgres", "on")):
        seconds, in_flight = trial(base, backend, limits)
        print(f"| {backend} | {limits} | {seconds[0]:.1f} | {seconds[1]:.1f} | {in_flight} |", flush=True)


if __name__ == "__main__":
    main()
