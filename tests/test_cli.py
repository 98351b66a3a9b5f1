"""The newcomer's path: `yusuan demo` as a real subprocess, twice, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import count_rows
from yusuan.ports import free_port

pytestmark = pytest.mark.slow


def _demo(db: str, data_dir: Path, port: int, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "YUSUAN_DATA_DIR": str(data_dir),
        "PREFECT_HOME": str(data_dir / "prefect"),
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "-m", "flows", "demo", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_twice_changes_no_row_count(db: str, tmp_path: Path) -> None:
    port = free_port()
    first = _demo(db, tmp_path, port)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "郑州市医疗保障局" in first.stdout
    counts = count_rows(db)
    assert counts["documents"] >= 33 and counts["function_lines"] > 0  # three demo portals

    second = _demo(db, tmp_path, port)
    assert second.returncode == 0, second.stdout + second.stderr
    assert count_rows(db) == counts
    assert "s3cret" not in first.stdout + first.stderr


def test_unreachable_database_fails_with_a_clear_message(tmp_path: Path) -> None:
    # A refused connection is waited for (a restarting server), within the retry budget.
    result = _demo(
        "postgresql://yusuan:s3cret@127.0.0.1:1/nowhere", tmp_path, free_port(), YUSUAN_DATABASE_RETRY_SECONDS="3"
    )
    assert result.returncode == 2
    assert "database not available: migrating the database: database unavailable (3 s" in result.stdout
    assert "Connection refused" in result.stdout
    assert "s3cret" not in result.stdout + result.stderr


def test_ingest_a_group_of_the_portals_file_for_one_year(db: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from storage.database import engine_for
    from yusuan.demo.server import PortalServer

    with PortalServer() as portal:
        config = tmp_path / "portals.yaml"
        config.write_text(
            f"version: 1\nportals:\n  - name: one\n    group: g\n    entry_urls: [{portal.entry_url!r}]\n"
            "  - name: two\n    group: h\n    entry_urls: ['http://127.0.0.1:9/']\n",
            encoding="utf-8",
        )
        env = {**os.environ, "DATABASE_URL": db, "YUSUAN_DATA_DIR": str(tmp_path), "PREFECT_HOME": str(tmp_path / "p")}
        args = ["ingest", "--config", str(config), "--group", "g", "--year", "2023"]
        result = subprocess.run(
            [sys.executable, "-m", "flows", *args], env=env, capture_output=True, text=True, timeout=300
        )
    assert result.returncode == 0, result.stdout + result.stderr
    with engine_for(db).connect() as conn:
        loaded = conn.execute(text("SELECT agency_name, fiscal_year FROM budget.documents")).all()
    assert [tuple(r) for r in loaded] == [("郑州市医疗保障局", 2023)]

    # The portal is gone; backfill works from the raw store and says what it did.
    result = subprocess.run(
        [sys.executable, "-m", "flows", "backfill", "--year", "2023", "--force"],
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "郑州市医疗保障局" in result.stdout
    assert "1 of 1 stored documents re-extracted" in result.stdout and "1 unchanged" in result.stdout


def test_ingest_runs_every_portal_and_its_exit_code_tells_the_truth(db: str, tmp_path: Path) -> None:
    """One portal unreachable, one with a missing file: both are run and reported; a failed portal
    run exits 1, a run whose only problem is failed documents exits 3 (partial), a clean one 0."""

    from yusuan.demo.server import Faults, PortalServer

    env = {**os.environ, "DATABASE_URL": db, "YUSUAN_DATA_DIR": str(tmp_path), "PREFECT_HOME": str(tmp_path / "p")}
    missing = "2024年滑县医疗保障局部门预算公开.pdf"
    with PortalServer(faults=Faults(missing={missing})) as portal:
        config = tmp_path / "portals.yaml"
        config.write_text(
            f"version: 1\nportals:\n  - name: gone\n    group: g\n    entry_urls: ['http://127.0.0.1:9/']\n"
            f"  - name: partial\n    group: g\n    entry_urls: [{portal.entry_url!r}]\n",
            encoding="utf-8",
        )

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "flows", "ingest", "--config", str(config), *args],
                env=env | {"COLUMNS": "200"},
                capture_output=True,
                text=True,
                timeout=300,
            )

        both = run("--group", "g")
        one = run("--name", "partial")
    assert both.returncode == 1, both.stdout + both.stderr
    # One way to run a group: the CLI runs the scheduled deployments' flow, ingest-portals.
    assert "ingest-portals g: 1 of 2 portal entries ingested, 2 documents loaded" in both.stdout
    assert "portal run failed gone (http://127.0.0.1:9/): no page of gone could be read" in both.stdout
    assert "郑州市医疗保障局" in both.stdout  # the second portal ran after the first failed
    assert one.returncode == 3, one.stdout + one.stderr
    assert "download_failed" in one.stdout and "partial" in one.stdout


# What one ingest of a portal leaves, whoever ran it and how often: the files, the documents and
# their facts. (Run records, pages asked and source history grow with every run by design.)
_FACT_TABLES = (
    "files",
    "sources",
    "documents",
    "doc_tables",
    "table_rows",
    "function_lines",
    "economic_lines",
    "project_lines",
    "figures",
    "checks",
)


def test_two_cli_runs_started_together_on_one_prefect_home_both_finish(db: str, tmp_path: Path) -> None:
    """Two terminals, or cron starting a run while the last still goes: two `yusuan ingest` of
    the same portal started within 100 ms, on one data dir and one Prefect home, each round on a
    new home (both servers used to migrate its database at once; one run failed to start). Both
    exit 0 and the database holds what a single run leaves."""
    import shutil

    from yusuan.demo.server import PortalServer

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

        single = start(tmp_path / "single")
        out, _ = single.communicate(timeout=300)
        assert single.returncode == 0, out
        once = {t: n for t, n in count_rows(db).items() if t in _FACT_TABLES}
        assert once["function_lines"] > 0
        for _ in range(2):
            shutil.rmtree(tmp_path / "data", ignore_errors=True)
            runs = [start(tmp_path / "data"), start(tmp_path / "data")]
            outputs = [run.communicate(timeout=300)[0] for run in runs]
            assert [run.returncode for run in runs] == [0, 0], outputs
            assert all("郑州市医疗保障局" in out for out in outputs)
            assert {t: n for t, n in count_rows(db).items() if t in _FACT_TABLES} == once
