"""Database faults are transient: an outage mid-run is waited out; one that lasts fails clearly,
and a group run records every portal's outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.states import State

from flows.ingest import ingest
from flows.portals import ingest_portals
from tests.conftest import count_rows
from tests.pg_cluster import StoppableCluster
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import demo_column

pytestmark = pytest.mark.slow


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[StoppableCluster]:
    cluster = StoppableCluster(tmp_path / "cluster")
    try:
        yield cluster
    finally:
        cluster.close()


def _pdf_names() -> list[str]:
    return [a.name for article in demo_column().articles for a in article.attachments if a.name.endswith(".pdf")]


def test_a_twenty_second_outage_mid_run_loses_nothing(
    cluster: StoppableCluster, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YUSUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YUSUAN_HTTP_BACKOFF_SECONDS", "0.05")
    # The undisturbed run, into the test database: what the disturbed one must end with.
    monkeypatch.setenv("DATABASE_URL", db)
    with PortalServer() as portal:
        assert ingest(portal.entry_url, portal="demo")["totals"]["loaded"] == 3
    undisturbed = count_rows(db)

    monkeypatch.setenv("DATABASE_URL", cluster.url)
    monkeypatch.setenv("YUSUAN_DATA_DIR", str(tmp_path / "data-2"))
    # Each PDF takes 3 s to answer: downloads, parses and loads straddle the outage.
    with PortalServer(faults=Faults(delay_seconds=dict.fromkeys(_pdf_names(), 3.0))) as portal:
        states: list[State] = []
        run = threading.Thread(target=lambda: states.append(ingest(portal.entry_url, portal="demo", return_state=True)))
        run.start()
        deadline = time.monotonic() + 120
        while not any(path.endswith(".pdf") for path in list(portal.log.paths)):
            assert run.is_alive() and time.monotonic() < deadline
            time.sleep(0.1)
        cluster.stop()
        time.sleep(20)
        cluster.start()
        run.join(timeout=300)
    assert not run.is_alive()
    (state,) = states
    assert state.is_completed() and state.name == "Completed", state.message
    totals = state.result()["totals"]
    assert (totals["loaded"], totals["failed"], totals["download_failed"]) == (3, 0, 0)
    assert count_rows(cluster.url) == undisturbed


def test_a_database_that_stays_down_fails_each_portal_clearly_and_the_group_goes_on(
    cluster: StoppableCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", cluster.url)
    monkeypatch.setenv("YUSUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YUSUAN_DATABASE_RETRY_SECONDS", "2")
    config = tmp_path / "portals.yaml"
    with PortalServer() as first, PortalServer() as second:
        config.write_text(
            "version: 1\nportals:\n"
            f"  - name: one\n    group: g\n    entry_urls: ['{first.entry_url}']\n"
            f"  - name: two\n    group: g\n    entry_urls: ['{second.entry_url}']\n",
            encoding="utf-8",
        )
        cluster.stop()
        state = ingest_portals(group="g", config_path=str(config), return_state=True)
    assert state.is_failed()
    rows = state.result(raise_on_failure=False)
    assert [row["state"] for row in rows] == ["Failed", "Failed"]  # both tried
    assert "one (" in state.message and "two (" in state.message
    assert "database unavailable (2 s" in state.message
    assert "Traceback" not in state.message
