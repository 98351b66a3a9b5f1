"""Throughput behaviour that must hold whatever the machine (speed itself is bench/throughput.py's):
documents stream through a bounded window, an unchanged re-run checks its files in batches,
facts are written in bulk and read back exactly as extracted."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from uuid import UUID

import prefect.utilities.collections as prefect_collections
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
from yusuan.models import ExtractedDocument, ExtractedTable, Figure, FunctionLine, Lineage, TableRow
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


def _requests(portal: PortalServer) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for path, count in portal.log.paths.items():
        kinds["page" if path.endswith((".html", "/")) else "robots" if path == "/robots.txt" else "file"] += count
    return kinds


def test_an_unchanged_rerun_checks_its_files_in_one_task_run(pipeline_env: str, portal: PortalServer) -> None:
    """Every URL is asked again (recheck window 0): one conditional request per file, all of
    them in one ``revalidate`` task run; no document task run, no parse."""
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 3
    before, requests_before = count_rows(pipeline_env), _requests(portal)

    second = ingest(portal.entry_url, portal="demo")
    assert second["totals"]["unchanged"] == 3 and second["totals"]["not_modified"] == 3
    assert count_rows(pipeline_env) == before
    asked = _requests(portal) - requests_before
    assert asked["file"] == 3 and asked["page"] == first["totals"]["pages_visited"]
    assert sum(portal.log.not_modified.values()) == 3
    names = _task_run_names(second["run_id"], 2)
    assert [n.split(" ")[0] for n in names] == ["discover", "revalidate"], names


def test_a_rerun_within_the_recheck_window_reads_only_the_list_pages(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the window neither the detail pages nor the files are requested again, and the
    files are settled by the flow, with no task run but the crawl's; the remembered pages keep
    the time they were really read, so the window does not slide; once it has passed, every
    URL is asked again."""
    monkeypatch.setenv("YUSUAN_RECHECK_AFTER_HOURS", "12")
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 3
    with engine_for(pipeline_env).connect() as conn:
        read_at = dict(conn.execute(text("SELECT url, last_seen_at FROM yusuan.pages WHERE kind = 'detail'")).all())
    assert len(read_at) == 3
    before, requests_before = count_rows(pipeline_env), _requests(portal)

    second = ingest(portal.entry_url, portal="demo")
    asked = _requests(portal) - requests_before
    assert asked["file"] == 0 and asked["page"] == first["totals"]["pages_visited"] - 3
    assert second["totals"]["not_requested"] == 3 and second["totals"]["unchanged"] == 3
    assert second["totals"]["documents_found"] == 3 and second["changes"]["vanished"] == 0
    assert count_rows(pipeline_env) == before
    assert all("not requested" in d["detail"] for d in second["documents"])
    with engine_for(pipeline_env).connect() as conn:
        again = dict(conn.execute(text("SELECT url, last_seen_at FROM yusuan.pages WHERE kind = 'detail'")).all())
        assert again == read_at
        # Thirteen hours later: the window has passed.
        conn.execute(text("UPDATE yusuan.pages SET last_seen_at = last_seen_at - interval '13 hours'"))
        conn.execute(text("UPDATE yusuan.sources SET fetched_at = fetched_at - interval '13 hours'"))
        conn.commit()
    requests_before = _requests(portal)
    third = ingest(portal.entry_url, portal="demo")
    asked = _requests(portal) - requests_before
    assert asked["file"] == 3 and asked["page"] == first["totals"]["pages_visited"]
    assert third["totals"]["not_modified"] == 3 and third["totals"]["not_requested"] == 0
    # Read now, a run later: every task run of the second run is recorded by the API.
    assert [name.split(" ")[0] for name in _task_run_names(second["run_id"], 1)] == ["discover"]


def test_a_batch_hands_changed_and_failing_files_on(pipeline_env: str, portal: PortalServer) -> None:
    """On a re-run, a file whose bytes changed goes from its batch to its document task run, which
    parses and loads it; one that answers 503 gets a document task run that downloads it again.
    Both name the batch as their upstream."""
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 3
    pdfs = [a for article in portal.columns[0].articles for a in article.attachments if a.name.endswith(".pdf")]
    replaced, flaky, _ = pdfs
    # Re-published: the same document, other bytes (a PDF reader ignores what follows %%EOF).
    portal.replace_file(replaced.name, replaced.content + b"\n% re-published\n")
    portal.faults.transient_errors[flaky.name] = 1

    second = ingest(portal.entry_url, portal="demo")
    totals = second["totals"]
    assert totals["failed"] == totals["download_failed"] == 0, second["documents"]
    assert totals["unchanged"] == 2 and totals["loaded"] == 1 and second["changes"]["changed"] == 1
    names = _task_run_names(second["run_id"], 4)
    assert sorted({n.split(" ")[0] for n in names}) == ["discover", "document", "revalidate"], names
    assert [n for n in names if n.startswith("document")] == sorted(
        [f"document {replaced.name}", f"document {flaky.name}"]
    )
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(second["run_id"])])))
    by_id = {run.id: run for run in runs}
    for run in (run for run in runs if run.name.startswith("document")):
        upstream = [by_id[item.id].name for item in run.task_inputs["wait_for"]]  # type: ignore[union-attr]
        assert [name.split(" ")[0] for name in upstream] == ["revalidate"], (run.name, upstream)


def test_a_document_is_one_task_run_and_no_parsed_document_passes_through_prefect(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each task run costs the Prefect server state changes, events and log rows: a new document
    is one task run (download, parse, load), not one per stage. And Prefect walks every task
    input and result looking for futures (90 ms of the flow's CPU per real budget): no parsed
    document is ever an input or a result."""
    walked: Counter[str] = Counter()
    parts = (ExtractedDocument, ExtractedTable, TableRow, FunctionLine, Figure)
    walk = prefect_collections.visit_collection

    def spy(expr: object, *args: object, **kwargs: object) -> object:
        if isinstance(expr, parts):
            walked[type(expr).__name__] += 1
        return walk(expr, *args, **kwargs)  # type: ignore[call-overload]

    # Every nested step of a walk calls the module's own name, whoever started it.
    monkeypatch.setattr(prefect_collections, "visit_collection", spy)
    result = ingest(portal.entry_url, portal="demo")
    assert result["totals"]["loaded"] == 3
    assert not walked, walked

    names = _task_run_names(result["run_id"], 4)
    assert [name.split(" ")[0] for name in names] == ["discover", "document", "document", "document"], names


def test_documents_stream_through_a_bounded_window(pipeline_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One parse process, so a window of 2 × (1 + 3) documents. The portal lists more
    than that, so later documents are downloaded only after earlier ones reached the database; and
    the first file is fetched while the crawl is still reading pages."""
    monkeypatch.setenv("YUSUAN_WORKERS", "1")
    monkeypatch.setenv("YUSUAN_PARSE_PROCESSES", "1")
    window = load_settings().document_window
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
