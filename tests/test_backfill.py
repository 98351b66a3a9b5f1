"""Backfill: re-extract stored raw files with the current extractor, with no network at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId
from sqlalchemy import text

from flows.backfill import backfill, version_tuple
from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.demo.server import PortalServer
from yusuan.extract import EXTRACTOR_VERSION


def test_backfill_reloads_from_the_raw_store_without_network(pipeline_env: str) -> None:
    with PortalServer() as portal:
        ingest(portal.entry_url, portal="demo")
    # The portal is gone: any download attempt would fail. Pretend an old extractor loaded it all.
    with engine_for(pipeline_env).begin() as conn:
        conn.execute(text("UPDATE yusuan.documents SET extractor_version = '0.0.1'"))
        # Rows stored before migration 0009 have no box: the backfill gives them theirs.
        conn.execute(text("UPDATE yusuan.table_rows SET x0 = NULL, top = NULL, x1 = NULL, bottom = NULL"))
        before = conn.execute(text("SELECT * FROM budget.totals ORDER BY document_id")).all()
    counts = count_rows(pipeline_env)

    results = backfill()
    assert [(r["action"], r["status"], r["was"]) for r in results] == [("replaced", "loaded", "0.0.1")] * 3
    with engine_for(pipeline_env).connect() as conn:
        versions = conn.execute(text("SELECT DISTINCT extractor_version FROM yusuan.documents")).scalars().all()
        after = conn.execute(text("SELECT * FROM budget.totals ORDER BY document_id")).all()
    assert versions == [EXTRACTOR_VERSION]
    assert after == before
    with engine_for(pipeline_env).connect() as conn:
        unboxed = conn.execute(text("SELECT count(*) FROM budget.table_rows WHERE x0 IS NULL")).scalar_one()
    assert unboxed == 0
    assert count_rows(pipeline_env) == counts

    # Up to date now: a second backfill selects nothing, unless forced or filtered.
    assert backfill() == []
    assert [r["agency"] for r in backfill(agency_name="滑县医疗保障局", force=True)] == ["滑县医疗保障局"]


def _demo_with_one_raw_file_lost(database_url: str) -> int:
    """The demo portal ingested, then its first document's raw file deleted: that document's id."""
    with PortalServer() as portal:
        ingest(portal.entry_url, portal="demo")
    with engine_for(database_url).connect() as conn:
        lost_id, lost_path = conn.execute(
            text(
                "SELECT d.document_id, f.storage_path FROM yusuan.documents d JOIN yusuan.files f USING (sha256)"
                " ORDER BY d.document_id LIMIT 1"
            )
        ).one()
    Path(lost_path).unlink()
    return int(lost_id)


def test_a_missing_raw_file_fails_its_document_and_the_others_go_on(pipeline_env: str) -> None:
    lost_id = _demo_with_one_raw_file_lost(pipeline_env)

    state = backfill(force=True, return_state=True)
    assert state.is_completed()
    assert state.message == f"3 of 3 stored documents re-extracted with {EXTRACTOR_VERSION}: 1 failed, 2 unchanged"
    rows = {row["document_id"]: row for row in state.result()}
    assert rows[lost_id]["action"] == "failed"
    assert "is not in the raw store" in str(rows[lost_id]["detail"])
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    failed = [run.name for run in runs if run.state and run.state.is_failed()]
    assert len(failed) == 1 and failed[0].startswith("re-extract ") and failed[0].endswith(".pdf")
    by_key = {a.key: a for a in artifacts}
    assert by_key["backfill-progress"].data == 100.0
    assert '"action": "failed"' in str(by_key["backfill-documents"].data)


def test_documents_sharing_a_reextract_task_run_keep_their_own_rows(
    pipeline_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All three in one ``re-extract`` task run (as a large backfill's are, four at a time): the
    one whose raw file is gone fails that task run, whose state names it, and gets its row with
    the reason; the other two are re-extracted and get theirs."""
    import flows.backfill

    monkeypatch.setattr(flows.backfill, "shared_runs", lambda chosen, window, most: [tuple(chosen)])
    lost_id = _demo_with_one_raw_file_lost(pipeline_env)

    state = backfill(force=True, return_state=True)
    assert state.message == f"3 of 3 stored documents re-extracted with {EXTRACTOR_VERSION}: 1 failed, 2 unchanged"
    rows = {row["document_id"]: row for row in state.result()}
    assert rows[lost_id]["action"] == "failed" and "is not in the raw store" in str(rows[lost_id]["detail"])
    assert sorted(str(row["action"]) for row in rows.values()) == ["failed", "unchanged", "unchanged"]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    assert len(runs) == 1 and runs[0].name.startswith("re-extract ") and runs[0].name.endswith(" and 2 more")
    assert runs[0].state is not None and runs[0].state.is_failed()
    assert (runs[0].state.message or "").startswith(f"1 of 3 documents failed: document {lost_id}: FileNotFoundError")


def test_version_order() -> None:
    assert version_tuple("0.10.0") > version_tuple("0.9.3")
