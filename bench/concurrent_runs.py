"""Rounds of two `yusuan ingest` runs started together on one data dir and one Prefect home.

    DATABASE_URL=postgresql://… .venv/bin/python bench/concurrent_runs.py [--rounds 10] [--same-home]

Each round starts two runs of the demo portal within a few milliseconds (two terminals, or cron
starting a run while the last one still goes) on a new Prefect home (``--same-home`` keeps one
home for all rounds), in a scratch database made on ``DATABASE_URL``'s server and dropped after.
Prints each round's exit codes and wall time, and whether the database's facts equal what one
run leaves. docs/operations.md records the figures by hand.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url
from storage.migrate import upgrade
from yusuan.demo.server import PortalServer

FACT_TABLES = ("files", "sources", "documents", "table_rows", "function_lines", "economic_lines", "figures", "checks")


def facts(url: str) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM yusuan.{t}")).scalar_one() for t in FACT_TABLES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--same-home", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = make_url(sqlalchemy_url(server)).set(database=f"yusuan_bench_{uuid.uuid4().hex[:8]}")
    db = url.render_as_string(hide_password=False)
    ensure_database(db)
    upgrade(db)
    work = Path(tempfile.mkdtemp(prefix="yusuan-concurrent-"))
    codes: list[int] = []
    try:
        with PortalServer() as portal:

            def start(data: Path) -> subprocess.Popen[str]:
                env = {
                    **os.environ,
                    "DATABASE_URL": db,
                    "YUSUAN_DATA_DIR": str(data),
                    "PREFECT_HOME": str(data / "prefect"),
                    "YUSUAN_RECHECK_AFTER_HOURS": "0",
                }
                command = [sys.executable, "-m", "flows", "ingest", "--portal", portal.entry_url]
                return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

            single = start(work / "single")
            single.communicate(timeout=600)
            once = facts(db)
            print(f"one run: exit {single.returncode}, {once}")
            for n in range(args.rounds):
                if not args.same_home:
                    shutil.rmtree(work / "data", ignore_errors=True)
                started = time.monotonic()
                runs = [start(work / "data"), start(work / "data")]
                outputs = [run.communicate(timeout=600)[0] for run in runs]
                round_codes = [run.returncode for run in runs]
                codes += round_codes
                same = facts(db) == once
                print(
                    f"round {n + 1}: exit codes {round_codes}, {time.monotonic() - started:.1f} s, "
                    f"facts as one run: {same}"
                )
                for code, out in zip(round_codes, outputs, strict=True):
                    if code != 0:
                        print("   ", out[-800:].replace("\n", "\n    "))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        engine_for(db).dispose()
        drop_database(db)
    print(f"{sum(c == 0 for c in codes)} of {len(codes)} runs exited 0")


if __name__ == "__main__":
    main()
