"""The scheduled flow: a group of portals.yaml, one ingest subflow per entry, years filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
)
from sqlalchemy import text

from flows.portals import ingest_portals
from storage.database import engine_for
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import demo_column
from yusuan.discover.links import wanted_year, years_named
from yusuan.discover.registry import load_portals


def _config(tmp_path: Path, portal: PortalServer) -> Path:
    path = tmp_path / "portals.yaml"
    path.write_text(
        f"""version: 1
portals:
  - name: first
    group: test
    entry_urls: ["{portal.entry_url}"]
    allowed_hosts: ["127.0.0.1"]
  - name: elsewhere
    group: other
    entry_urls: ["http://127.0.0.1:9/never-crawled/"]
""",
        encoding="utf-8",
    )
    return path


def test_group_run_ingests_its_portals_for_the_years_asked(pipeline_env: str, tmp_path: Path) -> None:
    with PortalServer() as portal:
        config = _config(tmp_path, portal)
        state = ingest_portals(group="test", config_path=str(config), years=[2023, 2024], return_state=True)
        assert state.is_completed(), state.message
        rows = state.result()
    assert [row["portal"] for row in rows] == ["first"]  # the other group is not crawled
    with get_client(sync_client=True) as client:
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    assert [(run.name, sorted(run.tags)) for run in subflows] == [("ingest first", ["group:test", "portal:first"])]
    # What an operator finds on the two runs: progress at 100 % on both, the group's table.
    keys = ["ingest-portals-test", "ingest-portals-test-progress", "ingest-first-progress"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))
    ours = {state.state_details.flow_run_id, subflows[0].id}
    by_key = {a.key: a for a in artifacts if a.flow_run_id in ours}
    assert set(by_key) == set(keys)
    assert by_key["ingest-portals-test-progress"].data == 100.0 == by_key["ingest-first-progress"].data
    assert by_key["ingest-first-progress"].flow_run_id == subflows[0].id
    assert '"portal": "first"' in str(by_key["ingest-portals-test"].data)
    assert rows[0]["skipped_by_year"] == 1 and rows[0]["loaded"] == 2
    assert state.message == "1 of 1 portal entries ingested, 2 documents loaded"
    with engine_for(pipeline_env).connect() as conn:
        years = conn.execute(text("SELECT fiscal_year FROM budget.documents ORDER BY 1")).scalars().all()
    assert years == [2023, 2024]


def test_an_unreachable_portal_fails_the_group_run_after_the_others_ran(pipeline_env: str, tmp_path: Path) -> None:
    with PortalServer() as portal:
        config = _config(tmp_path, portal)
        config.write_text(config.read_text().replace("group: other", "group: test"))
        state = ingest_portals(group="test", config_path=str(config), return_state=True)
    assert state.is_failed()
    assert state.message is not None
    assert state.message.startswith("1 of 2 portal entries ingested, 3 documents loaded; failed: elsewhere")
    assert "no page of elsewhere could be read" in state.message
    with engine_for(pipeline_env).connect() as conn:
        runs = conn.execute(text("SELECT portal, status FROM yusuan.last_runs ORDER BY portal")).all()
    assert [tuple(r) for r in runs] == [("elsewhere", "failed"), ("first", "completed")]


def test_limits_come_from_the_run_parameters_then_portals_yaml(pipeline_env: str, tmp_path: Path) -> None:
    """Every PDF answers slowly, so the default two requests per host would overlap at the portal:
    a per_host_concurrency of 1 (from portals.yaml, then from a run parameter) never lets them."""
    pdfs = [a.name for article in demo_column().articles for a in article.attachments if a.name.endswith(".pdf")]
    with PortalServer(faults=Faults(delay_seconds=dict.fromkeys(pdfs, 0.4))) as portal:
        config = _config(tmp_path, portal)
        config.write_text(config.read_text().replace("group: test", "group: test\n    per_host_concurrency: 1"))
        state = ingest_portals(group="test", config_path=str(config), return_state=True)
        assert state.is_completed(), state.message
        assert portal.log.max_in_flight == 1
        # The run parameters win over portals.yaml.
        portal.log.max_in_flight = 0
        state = ingest_portals(
            group="test", config_path=str(config), full_refresh=True, per_host_concurrency=2, return_state=True
        )
        assert state.is_completed(), state.message
        assert portal.log.max_in_flight == 2
        # A page budget of one page: the list page only (its disclosures are on detail pages).
        state = ingest_portals(group="test", config_path=str(config), max_pages=1, return_state=True)
    assert state.result()[0]["pages_visited"] == 1
    assert state.result()[0]["documents_found"] == 0


def test_selection_and_year_naming() -> None:
    config = load_portals(Path(__file__).resolve().parent.parent / "portals.yaml")
    assert {p.group for p in config.select(group="demo")} == {"demo"}
    assert [p.name for p in config.select(names=["city-czj"])] == ["city-czj"]
    with pytest.raises(KeyError):
        config.select(group="no-such-group")
    assert years_named("2023年郑州市医疗保障局部门预算公开.pdf") == {2023}
    assert years_named("郑州市医疗保障局2022年度部门决算") == {2022}
    assert years_named("附件2024预算") == {2024}
    assert years_named("发布时间 2023-02-15 编号 120240") == set()
    assert wanted_year("预算公开.pdf", "郑州市医疗保障局2023年部门预算", {2023})
    assert not wanted_year("2021年部门预算.pdf", "2023年", {2023})  # the link's own year decides
    assert wanted_year("部门预算.pdf", "部门预算公开", {2023})  # no year named: the PDF will tell
