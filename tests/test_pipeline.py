"""The ingest flow end to end: demo portal → Prefect → Postgres, with lineage, twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.demo.server import Faults, PortalServer

ZHENGZHOU = "2023年郑州市医疗保障局部门预算公开.pdf"
HUAXIAN = "2024年滑县医疗保障局部门预算公开.pdf"
JIYUAN = "济源产城融合示范区医疗保障局2022年单位预算.pdf"


def _totals(url: str) -> dict[tuple[str, int], dict]:
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT * FROM budget.totals")).mappings().all()
    return {(r["agency_name"], r["fiscal_year"]): dict(r) for r in rows}


def test_demo_portal_loads_with_lineage_and_is_idempotent(pipeline_env: str, portal: PortalServer) -> None:
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 3
    assert first["totals"]["quarantined"] == 0

    totals = _totals(pipeline_env)
    zz = totals[("郑州市医疗保障局", 2023)]
    assert zz["income_total"] == zz["expenditure_total"] == Decimal("91872000.00")
    assert zz["basic_expenditure"] == Decimal("48704000.00")
    assert zz["project_expenditure"] == Decimal("43168000.00")
    assert zz["three_public_total"] == Decimal("40000.00")
    assert set(totals) == {("郑州市医疗保障局", 2023), ("滑县医疗保障局", 2024), ("济源产城融合示范区医疗保障局", 2022)}

    with engine_for(pipeline_env).connect() as conn:
        # Every fact reaches its source URL, sha256, fetch time and flow run through the document.
        orphans = conn.execute(
            text(
                """SELECT count(*) FROM budget.function_lines f JOIN budget.documents d USING (document_id)
                   WHERE d.source_url IS NULL OR d.page_url IS NULL OR d.sha256 IS NULL
                      OR d.fetched_at IS NULL OR d.flow_run_id IS NULL OR f.page_no IS NULL"""
            )
        ).scalar_one()
        lines = conn.execute(text("SELECT count(*) FROM budget.function_lines")).scalar_one()
        printed = conn.execute(
            text(
                """SELECT r.cells FROM budget.function_lines f
                   JOIN yusuan.table_rows r USING (document_id, table_index, row_index)
                   WHERE f.func_code = '2101506' AND f.agency_name = '郑州市医疗保障局'
                     AND f.table_kind = 'expenditure_summary'"""
            )
        ).scalar_one()
        run_ids = conn.execute(text("SELECT DISTINCT flow_run_id FROM budget.documents")).scalars().all()
    assert lines > 0 and orphans == 0
    with engine_for(pipeline_env).connect() as conn:
        verdicts = conn.execute(text("SELECT verdict, count(*) FROM budget.documents GROUP BY verdict")).all()
        checked = conn.execute(text("SELECT count(DISTINCT document_id) FROM budget.checks")).scalar_one()
    # Every loaded document carries its reconciliation rows; the corpus adds up (within rounding).
    assert verdicts == [("passed", 3)] and checked == 3
    assert "医疗保障经办事务" in printed and "2,436.5" in printed
    with engine_for(pipeline_env).connect() as conn:
        last_run = conn.execute(text("SELECT run_id FROM yusuan.last_runs WHERE portal = 'demo'")).scalar_one()
    assert run_ids == [last_run]
    with engine_for(pipeline_env).connect() as conn:
        # Performance targets, each back to its printed row.
        target = conn.execute(
            text(
                """SELECT p.target_value, r.cells FROM budget.performance_targets p
                   JOIN yusuan.table_rows r USING (document_id, table_index, row_index)
                   WHERE p.agency_name = '郑州市医疗保障局' AND p.project_name = '物业管理经费'
                     AND p.indicator = '物业管理面积'"""
            )
        ).one()
        per_agency = dict(
            conn.execute(text("SELECT agency_name, count(*) FROM budget.performance_targets GROUP BY 1")).all()
        )
    assert target.target_value == "≥5000㎡" and "物业管理面积" in target.cells
    assert len(per_agency) == 3 and min(per_agency.values()) >= 50

    before = count_rows(pipeline_env)
    second = ingest(portal.entry_url, portal="demo")
    assert count_rows(pipeline_env) == before
    assert second["totals"]["unchanged"] == 3
    assert second["totals"]["downloaded"] == 0 and second["totals"]["not_modified"] == 3
    assert _totals(pipeline_env) == totals


def test_html_error_page_served_as_pdf_is_quarantined_and_the_rest_loads(pipeline_env: str) -> None:
    with PortalServer(faults=Faults(html_instead_of_pdf={ZHENGZHOU})) as portal:
        result = ingest(portal.entry_url, portal="demo")
    assert result["totals"]["loaded"] == 2
    assert result["totals"]["quarantined"] == 1
    with engine_for(pipeline_env).connect() as conn:
        bad = conn.execute(
            text("SELECT status, reason, error, source_url FROM budget.documents WHERE status = 'quarantined'")
        ).one()
        loaded = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
        facts = conn.execute(
            text("SELECT count(*) FROM budget.function_lines WHERE agency_name = '郑州市医疗保障局'")
        ).scalar_one()
    assert bad.reason == "not_pdf"
    assert "HTML" in bad.error and "404" in bad.error
    assert bad.source_url.endswith(portal.attachment_url(ZHENGZHOU).split("/attachment/")[1])
    assert loaded == 2 and facts == 0


def test_failed_download_is_reported_and_others_load(pipeline_env: str) -> None:
    with PortalServer(faults=Faults(missing={ZHENGZHOU})) as portal:
        state = ingest(portal.entry_url, portal="demo", return_state=True)
    # The run completes, and its final message says a document failed.
    assert state.is_completed()
    assert state.message == "2 loaded, 0 unchanged, 0 quarantined, 1 failed (see the summary artifact)"
    result = state.result()
    outcomes = {d["link_text"]: d["outcome"] for d in result["documents"]}
    assert outcomes[ZHENGZHOU] == "download_failed", result["documents"]
    assert result["totals"]["loaded"] == 2
    with engine_for(pipeline_env).connect() as conn:
        error = conn.execute(text("SELECT error FROM yusuan.sources WHERE error IS NOT NULL")).scalar_one()
    assert "HTTP 404" in error


def test_run_is_recorded_with_its_summary(pipeline_env: str, portal: PortalServer) -> None:
    result = ingest(portal.entry_url, portal="demo", max_documents=1)
    with engine_for(pipeline_env).connect() as conn:
        run = conn.execute(text("SELECT status, stats FROM yusuan.last_runs")).one()
    assert run.status == "completed"
    assert run.stats["totals"]["documents_found"] == 3
    assert run.stats["totals"]["loaded"] == 1 == result["totals"]["loaded"]


def test_download_retries_are_task_retries_the_ui_shows(pipeline_env: str) -> None:
    """Two 503s, then the file: the document's task run is retried by Prefect (AwaitingRetry →
    Retrying, run count 3, one log line per retry with the reason), the source row records the
    attempt that succeeded, and the document loads. A 404 is not retried: one attempt, a failed task run.
    A 503 forever is recorded after its four attempts, and says so."""
    import time
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    faults = Faults(transient_errors={ZHENGZHOU: 2, JIYUAN: 1_000}, missing={HUAXIAN})
    with PortalServer(faults=faults) as portal:
        result = ingest(portal.entry_url, portal="demo")
        requests_for_jiyuan = sum(n for path, n in portal.log.paths.items() if path.endswith(JIYUAN))
    assert result["totals"]["loaded"] == 1 and result["totals"]["download_failed"] == 2
    run_id = UUID(result["run_id"])
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 20
        while True:
            runs = {
                r.name: r
                for r in client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            }
            retried, missing = runs.get(f"document {ZHENGZHOU}"), runs.get(f"document {HUAXIAN}")
            settled = retried and missing and retried.state and missing.state and missing.state.is_final()
            if settled or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert retried is not None and missing is not None
        history = [s.name for s in client.read_task_run_states(retried.id)]
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    assert retried.run_count == 3 and retried.state is not None and retried.state.is_completed()
    assert history.count("AwaitingRetry") == 2 and history.count("Retrying") == 2, history
    retry_lines = [log.message for log in logs if log.task_run_id == retried.id and "Retry" in log.message]
    assert len(retry_lines) == 2 and all("HTTP 503" in line for line in retry_lines), retry_lines
    assert missing.run_count == 1 and missing.state is not None and missing.state.is_failed()
    assert "HTTP 404" in (missing.state.message or "")
    with engine_for(pipeline_env).connect() as conn:
        fetches = conn.execute(
            text("SELECT link_text, attempts, http_status, error FROM yusuan.sources ORDER BY link_text")
        ).all()
    by_file = {f.link_text: (f.attempts, f.http_status, f.error) for f in fetches}
    assert by_file[ZHENGZHOU] == (3, 200, None)
    assert by_file[HUAXIAN][:2] == (1, 404) and "HTTP 404" in by_file[HUAXIAN][2]
    assert requests_for_jiyuan == 4
    assert by_file[JIYUAN][:2] == (4, 503) and by_file[JIYUAN][2].endswith("(attempt 4 of 4)")


def test_documents_sharing_a_task_run_keep_their_own_outcomes_and_retries(
    pipeline_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The three documents in one ``documents`` task run (gathered until the crawl is over, as
    when the parse slots are busy): the 404 fails that task run, whose state names it, without
    costing the others; each 503 is handed to a ``document`` task run of its own, which goes on
    from the second attempt (the first was the shared run's) with Prefect's retries; the one
    that succeeds loads, the other is recorded after four attempts in all."""
    import time
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    import flows.documents

    monkeypatch.setattr(
        flows.documents,
        "shared_run_size",
        lambda waiting, room, window, most, saturated, final: waiting if final else 0,
    )
    faults = Faults(transient_errors={ZHENGZHOU: 2, JIYUAN: 1_000}, missing={HUAXIAN})
    with PortalServer(faults=faults) as portal:
        result = ingest(portal.entry_url, portal="demo")
        requests_for = {
            name: sum(n for path, n in portal.log.paths.items() if path.endswith(name))
            for name in (ZHENGZHOU, JIYUAN, HUAXIAN)
        }
    assert result["totals"]["loaded"] == 1 and result["totals"]["download_failed"] == 2, result["totals"]
    assert requests_for == {ZHENGZHOU: 3, JIYUAN: 4, HUAXIAN: 1}
    run_id = UUID(result["run_id"])
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 20
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            final = [r for r in runs if r.name.startswith("document") and r.state and r.state.is_final()]
            if len(final) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    by_name = {r.name: r for r in final}
    shared = [r for r in final if r.name.startswith("documents ")]
    assert len(shared) == 1 and shared[0].name.endswith(" and 2 more"), sorted(by_name)
    assert shared[0].state is not None and shared[0].state.is_failed()
    message = shared[0].state.message or ""
    assert message.startswith("1 of 3 documents failed") and HUAXIAN in message and "HTTP 404" in message, message
    assert f"document {HUAXIAN}" not in by_name  # a 404 is not retried
    retried = by_name[f"document {ZHENGZHOU}"]
    assert retried.run_count == 2 and retried.state is not None and retried.state.is_completed()
    exhausted = by_name[f"document {JIYUAN}"]
    assert exhausted.run_count == 3 and exhausted.state is not None and exhausted.state.is_failed()
    with engine_for(pipeline_env).connect() as conn:
        fetches = conn.execute(text("SELECT link_text, attempts, http_status, error FROM yusuan.sources")).all()
    by_file = {f.link_text: (f.attempts, f.http_status, f.error) for f in fetches}
    assert by_file[ZHENGZHOU] == (3, 200, None)
    assert by_file[HUAXIAN][:2] == (1, 404)
    assert by_file[JIYUAN][:2] == (4, 503) and by_file[JIYUAN][2].endswith("(attempt 4 of 4)")


def test_summary_artifact_names_documents_whose_checks_failed_with_their_source(pipeline_env: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from yusuan.demo.site import Article, Attachment, demo_column
    from yusuan.synth.model import generate_budget
    from yusuan.synth.render import render_budget

    budget = generate_budget(4242)
    column = demo_column()
    name = f"{budget.year}年{budget.agency}部门预算.pdf"
    column.articles.append(
        Article(
            "t20250301_009",
            f"{budget.agency}{budget.year}年部门预算公开",
            "2025-03-01",
            "详见附件。",
            (Attachment(name, render_budget(budget, corrupt_total=True)),),
        )
    )
    with PortalServer(columns=[column]) as portal:
        result = ingest(portal.entry_url, portal="quality")
    assert result["totals"]["loaded"] == 4
    flagged = [d for d in result["documents"] if d["verdict"] == "failed"]
    assert [d["agency_name"] for d in flagged] == [budget.agency]
    with get_client(sync_client=True) as client:
        key = ArtifactFilterKey(any_=["ingest-quality-summary"])
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=key))
    markdown = max(artifacts, key=lambda a: a.created).data
    assert "| failed | 1 |" in markdown and "| passed | 3 |" in markdown
    flagged_line = next(line for line in markdown.splitlines() if line.startswith("- **checks failed**"))
    assert budget.agency in flagged_line and flagged[0]["url"] in flagged_line
    failed_checks = markdown.split(flagged_line, 1)[1].split("\n\n", 1)[0]
    assert "  - lines_sum_to_table_total (table 2 (expenditure_summary)): expected " in failed_checks


def test_a_migration_down_and_up_is_healed_by_the_next_run(
    pipeline_env: str, portal: PortalServer, database_url: str
) -> None:
    """Migrating down and up again empties what the later migrations added (regions, 绩效目标);
    the documents are marked stale, so a normal re-run brings every row back."""
    from storage.migrate import downgrade, upgrade

    ingest(portal.entry_url, portal="demo")
    before = count_rows(pipeline_env)
    downgrade(database_url, "0003")
    upgrade(database_url)
    with engine_for(pipeline_env).connect() as conn:
        assert set(conn.execute(text("SELECT extractor_version FROM yusuan.documents")).scalars()) == {"stale"}
        # The downgrades rebuilt views: their documentation came back with them.
        undocumented = conn.execute(
            text(
                """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'budget' AND c.relkind = 'v' AND obj_description(c.oid) IS NULL"""
            )
        ).all()
        assert undocumented == []
    again = ingest(portal.entry_url, portal="demo")
    assert again["totals"]["downloaded"] == 0  # conditional requests: nothing fetched again
    # Every row comes back but the log of past runs' changes, which the downgrade dropped.
    after = count_rows(pipeline_env)
    assert after.pop("source_changes") == 0
    before.pop("source_changes")
    assert after == before
    with engine_for(pipeline_env).connect() as conn:
        region = conn.execute(
            text("SELECT region_code FROM budget.documents WHERE agency_name = '郑州市医疗保障局'")
        ).scalar_one()
    assert region == "410100"


def test_a_failed_stage_fails_the_documents_task_run_and_names_itself(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One task run does a document's download, parse and load: a load that fails fails that
    task run with the stage in its message and in the run's report, the other documents load,
    and the next run loads it (the database does not hold its bytes)."""
    import time
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    import tasks.document

    real_load = tasks.document.load

    def failing_load(ctx, doc, fetched):  # type: ignore[no-untyped-def]
        if fetched.link.link_text.endswith(ZHENGZHOU):
            raise RuntimeError("the database said no")
        return real_load(ctx, doc, fetched)

    monkeypatch.setattr(tasks.document, "load", failing_load)
    result = ingest(portal.entry_url, portal="demo")
    assert result["totals"]["loaded"] == 2 and result["totals"]["failed"] == 1, result["totals"]
    (failed,) = [d for d in result["documents"] if d["outcome"] == "failed"]
    assert failed["detail"] == "load failed: RuntimeError: the database said no", failed
    run_id = UUID(result["run_id"])
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 20
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            states = {r.name: r.state for r in runs if r.name.startswith("document ") and r.state}
            if (len(states) == 3 and all(s.is_final() for s in states.values())) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    failed_runs = {name: state for name, state in states.items() if state.is_failed()}
    assert list(failed_runs) == [f"document {ZHENGZHOU}"], states
    assert "load failed: RuntimeError: the database said no" in (failed_runs[f"document {ZHENGZHOU}"].message or "")

    monkeypatch.setattr(tasks.document, "load", real_load)
    again = ingest(portal.entry_url, portal="demo")
    assert again["totals"]["loaded"] == 1 and again["totals"]["unchanged"] == 2, again["totals"]
