"""Throughput behaviour that must hold whatever the machine (speed itself is bench/throughput.py's):
documents stream through a bounded window, an unchanged re-run costs one task run per document,
facts are written in bulk and read back exactly as extracted."""

from __future__ import annotations

import time
from decimal import Decimal
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlalchemy import text

from flows.ingest import ingest
from storage.database import engine_for
from storage.facts import FACT_TABLES, copy_rows, model_row
from tests.conftest import count_rows
from yusuan.demo.portals import demo_portals
from yusuan.demo.server import PortalServer
from yusuan.models import Figure, Lineage
from yusuan.settings import load_settings


def _task_run_names(run_id: str, at_least: int) -> list[str]:
    """Names of a flow run's finished task runs (the API records them shortly after the run)."""
    names: list[str] = []
    deadline = time.monotonic() + 20
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)])))
            names = sorted(r.name for r in runs if r.state is not None and r.state.is_final())
            if len(names) >= at_least:
                break
            time.sleep(0.5)
    return names


def test_an_unchanged_rerun_is_one_task_run_per_document(pipeline_env: str, portal: PortalServer) -> None:
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 3
    before = count_rows(pipeline_env)

    second = ingest(portal.entry_url, portal="demo")
    assert second["totals"]["unchanged"] == 3 and count_rows(pipeline_env) == before
    names = _task_run_names(second["run_id"], 4)
    # discovery, then one conditional download per document: no extract, parse or load task run.
    assert [n for n in names if not n.startswith("discover")] == sorted(n for n in names if n.startswith("download "))
    assert sum(n.startswith("download ") for n in names) == 3


def test_documents_stream_through_a_bounded_window(pipeline_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One parse process, so four task threads: a window of 2 × 4 documents. The portal lists more
    than that, so later documents are downloaded only after earlier ones reached the database; and
    the first file is fetched while the crawl is still reading pages."""
    monkeypatch.setenv("YUSUAN_WORKERS", "1")
    monkeypatch.setenv("YUSUAN_PARSE_PROCESSES", "1")
    window = 2 * load_settings().task_threads
    column = demo_portals(generated_per_portal=10)[1]
    with PortalServer([column]) as portal:
        result = ingest(portal.entry_url, portal="stream")
        spans = list(portal.log.spans)
    # The crawl hands each disclosure over as it finds it: files download while it walks on.
    first_file = min(start for start, _end, path, _agent in spans if path.endswith(".pdf") or "download" in path)
    last_page = max(start for start, _end, path, _agent in spans if path.endswith(".html") or path.endswith("/"))
    assert first_file < last_page
    loaded = result["totals"]["loaded"] + result["totals"]["not_budget"]
    assert window == 8 and loaded > window
    with engine_for(pipeline_env).connect() as conn:
        first_load = conn.execute(text("SELECT min(loaded_at) FROM yusuan.documents")).scalar_one()
        fetched = conn.execute(
            text("SELECT count(*) FILTER (WHERE fetched_at < :t), count(*) FROM yusuan.sources"), {"t": first_load}
        ).one()
    before_first_load, total = fetched
    assert before_first_load <= window < total


def test_fact_rows_come_from_the_model_and_copy_writes_them_exactly(database_url: str) -> None:
    """A figure read from the text has no lineage: its row says so (-1, no page) rather than
    failing; amounts keep every digit; a field the table lacks is named in the error."""
    figure = Figure("income_total", Decimal("91872000.00"), "", 1, None, "text")
    row = model_row(figure)
    assert row == {
        "name": "income_total",
        "amount": Decimal("91872000.00"),
        "table_kind": "",
        "priority": 1,
        "table_index": -1,
        "page_no": None,
        "row_index": -1,
        "source": "text",
    }
    tables = {fact.table.name: fact for fact in FACT_TABLES}
    assert set(tables) == {
        "doc_tables",
        "table_rows",
        "function_lines",
        "economic_lines",
        "project_lines",
        "performance_targets",
        "figures",
        "checks",
    }
    engine = engine_for(database_url)
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(
            text(
                """INSERT INTO yusuan.files (sha256, size_bytes, storage_path, first_seen_at)
                   VALUES (:sha, 1, 'x', now())"""
            ),
            {"sha": "f" * 64},
        )
        document_id = conn.execute(
            text(
                """INSERT INTO yusuan.documents (sha256, status, extractor_version, first_seen_at, loaded_at)
                   VALUES (:sha, 'loaded', 'test', now(), now()) RETURNING document_id"""
            ),
            {"sha": "f" * 64},
        ).scalar_one()
        tab = "名称\t含制表符\n和换行"
        written = copy_rows(
            conn,
            tables["figures"].table,
            [
                {"document_id": document_id, **row},
                {"document_id": document_id, **model_row(Figure("basic", Decimal("0.01"), tab, 2, Lineage(0, 3, 7)))},
            ],
        )
        back = conn.execute(
            text("SELECT name, amount, table_kind, page_no FROM yusuan.figures WHERE document_id = :d ORDER BY name"),
            {"d": document_id},
        ).all()
        with pytest.raises(KeyError, match="no column"):
            copy_rows(conn, tables["checks"].table, [{"document_id": document_id, "colour": "red"}])
        transaction.rollback()
    assert written == 2
    assert back == [("basic", Decimal("0.01"), tab, 3), ("income_total", Decimal("91872000.00"), "", None)]
