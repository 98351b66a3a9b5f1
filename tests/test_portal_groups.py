"""The scheduled flow: a group of portals.yaml, one ingest subflow per entry, years filter."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
)
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import text

from flows.portals import ingest_portals
from flows.temporary_api import TemporaryApiServer
from storage.database import engine_for
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import demo_column
from yusuan.discover.lanes import host_lanes, portal_entries
from yusuan.discover.links import wanted_year, years_named
from yusuan.discover.registry import PortalConfig, load_portals
from yusuan.runtime import TEMPORARY_API_URL_ENV


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


def _heartbeats_of(resource_ids: list[str], wait_seconds: float = 15.0) -> set[str]:
    """Which of these flow runs the server recorded a heartbeat of (events are written a
    moment after they are sent: waited for until the first one is in, then once more)."""
    name_filter = EventNameFilter(name=["prefect.flow-run.heartbeat"])
    seen: set[str] = set()
    deadline = time.monotonic() + wait_seconds
    while True:
        with get_client(sync_client=True) as client:
            page = client.read_events(
                filter=EventFilter(event=name_filter, resource=EventResourceFilter(id=resource_ids)), limit=50
            )
        if seen and {event.resource.id for event in page.events} == seen:
            return seen
        seen = {event.resource.id for event in page.events}
        if time.monotonic() > deadline:
            return seen
        time.sleep(1.0)


def test_group_run_ingests_its_portals_for_the_years_asked(
    pipeline_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # However slow the machine, the entry ends before its progress would be shown.
    monkeypatch.setattr("flows.progress.SHOW_PROGRESS_AFTER_SECONDS", 1e6)
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
    # The group's run sends heartbeats; its entry, inside the same process, sends none (each
    # run that does ends up to a second later: flows.heartbeats).
    group_run = f"prefect.flow-run.{state.state_details.flow_run_id}"
    assert _heartbeats_of([group_run, f"prefect.flow-run.{subflows[0].id}"]) == {group_run}
    # The tags stay on the flow run: a tagged task run asks the API for tag concurrency slots
    # before it starts (tasks.runner.untagged).
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[subflows[0].id])))
    assert {run.name.split()[0] for run in task_runs} == {"discover", "document"}
    assert [run.tags for run in task_runs if run.tags] == []
    # What an operator finds on the two runs: the group's progress at 100 % and its table; the
    # entry's documents and summary, and no progress artifact for an entry that ended at once.
    keys = ["ingest-portals-test", "ingest-portals-test-progress", "ingest-first-progress"]
    keys += ["ingest-first-documents", "ingest-first-summary"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))
    ours = {state.state_details.flow_run_id, subflows[0].id}
    by_key = {a.key: a for a in artifacts if a.flow_run_id in ours}
    assert set(by_key) == set(keys) - {"ingest-first-progress"}
    assert by_key["ingest-portals-test-progress"].data == 100.0
    assert by_key["ingest-first-summary"].flow_run_id == subflows[0].id
    assert '"portal": "first"' in str(by_key["ingest-portals-test"].data)
    assert rows[0]["skipped_by_year"] == 1 and rows[0]["loaded"] == 2
    assert state.message == "1 of 1 portal entries ingested, 2 documents loaded"
    with engine_for(pipeline_env).connect() as conn:
        years = conn.execute(text("SELECT fiscal_year FROM budget.documents ORDER BY 1")).scalars().all()
    assert years == [2023, 2024]


def test_an_unreachable_portal_fails_the_group_run_after_the_others_ran(
    pipeline_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the entries share is set up by the group, once (tasks.group is where a run on its
    # own sets it up too).
    asked: list[str] = []
    for name in ("ensure_extraction_limit", "ensure_result_storage"):
        original = getattr(importlib.import_module("tasks.group"), name)
        monkeypatch.setattr(f"tasks.group.{name}", _counted(asked, name, original))
    with PortalServer() as portal:
        config = _config(tmp_path, portal)
        config.write_text(config.read_text().replace("group: other", "group: test"))
        state = ingest_portals(group="test", config_path=str(config), return_state=True)
    assert sorted(asked) == ["ensure_extraction_limit", "ensure_result_storage"]
    assert state.is_failed()
    assert state.message is not None
    assert state.message.startswith("1 of 2 portal entries ingested, 3 documents loaded; failed: elsewhere")
    assert "no page of elsewhere could be read" in state.message
    with engine_for(pipeline_env).connect() as conn:
        runs = conn.execute(text("SELECT portal, status FROM yusuan.last_runs ORDER BY portal")).all()
    assert [tuple(r) for r in runs] == [("elsewhere", "failed"), ("first", "completed")]


def _counted(calls: list[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return function(*args, **kwargs)

    return counted


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


def _lanes_config(tmp_path: Path, entries: list[tuple[str, str]]) -> Path:
    path = tmp_path / "lanes.yaml"
    lines = [f'  - name: {name}\n    group: lanes\n    entry_urls: ["{url}"]\n' for name, url in entries]
    path.write_text("version: 1\nportals:\n" + "".join(lines), encoding="utf-8")
    return path


def _span(portal: PortalServer, prefix: str = "/") -> tuple[float, float]:
    """From the first request under ``prefix`` to the end of the last."""
    spans = [(start, end) for start, end, path, _ in portal.log.spans if path.startswith(prefix)]
    return min(start for start, _ in spans), max(end for _, end in spans)


@pytest.fixture()
def project_temporary_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The flows of this test talk to the temporary API server the CLI runs (its own Prefect
    home), not to Prefect's own ephemeral one: that one begins SQLite write transactions
    deferred, fails a write that meets another with 503, and its client waits 2, 4, 8 … s
    (flows/temporary_api_app.py). Two lanes creating their subflows at once met that here and
    took turns: the lanes' overlap is the CLI's server's behaviour, and a deployment's (Postgres)."""
    home = tmp_path / "prefect-home"
    server = TemporaryApiServer.spawn(home, {"PREFECT_HOME": str(home)})
    try:
        server.wait_ready()
        monkeypatch.setenv(TEMPORARY_API_URL_ENV, server.api_url)  # alone on it, as the CLI's run
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
            APILogWorker.drain_all(timeout=5)  # the run's last logs, while their server is up
    finally:
        server.stop()


def test_portals_on_other_hosts_run_side_by_side_and_those_on_one_host_take_turns(
    pipeline_env: str, tmp_path: Path, project_temporary_server: None
) -> None:
    """a1 and a2 crawl two columns of one host, b another host: two lanes. Two at once, b's run
    overlaps a1's; one at a time, never. Either way a2's requests wait for a1's. Both hosts serve
    the same files, so loads of one file meet: one document each."""
    first, second = demo_column(), replace(demo_column(), path="/second/ysgk/", name="second")
    for at_once in (1, 2):
        # Every list page answers after 2 s: each run lasts long enough that two runs started
        # side by side overlap, however late the second starts.
        slow = Faults(delay_seconds={"index.html": 2.0})
        # 127.0.0.2 is loopback too, and another host for the crawler.
        with PortalServer([first, second], slow) as a, PortalServer(faults=slow, host="127.0.0.2") as b:
            entries = [("a1", a.base_url + first.path), ("b", b.entry_url), ("a2", a.base_url + second.path)]
            config = _lanes_config(tmp_path, entries)
            state = ingest_portals(
                group="lanes", config_path=str(config), portal_concurrency=at_once, return_state=True
            )
            assert state.is_completed(), state.message
            assert [row["portal"] for row in state.result()] == ["a1", "b", "a2"]  # portals.yaml's order
            assert _span(a, first.path)[1] <= _span(a, second.path)[0]  # one host: a2 began after a1
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[state.state_details.flow_run_id])
                )
            )
        times = {run.name: (run.start_time, run.end_time) for run in runs}
        (a1_start, a1_end), (b_start, b_end) = times["ingest a1"], times["ingest b"]
        assert (a1_start < b_end and b_start < a1_end) is (at_once == 2)
        with engine_for(pipeline_env).connect() as conn:
            documents = conn.execute(text("SELECT count(*), count(DISTINCT sha256) FROM budget.documents")).one()
            sources = conn.execute(text("SELECT count(DISTINCT url) FROM yusuan.sources")).scalar_one()
        assert documents[0] == documents[1] > 0
        assert sources > documents[0]  # the same files, listed at two hosts


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


def _portal(name: str, *entry_urls: str, allowed: list[str] | None = None, attach: list[str] | None = None):
    return PortalConfig(
        name=name, entry_urls=list(entry_urls), allowed_hosts=allowed or [], attachment_hosts=attach or []
    )


def test_entries_that_can_reach_a_common_host_share_a_lane() -> None:
    a = _portal("a", "http://a.gov.cn/1/", "http://a.gov.cn/2/")
    b = _portal("b", "http://b.gov.cn/", attach=["files.gov.cn"])
    c = _portal("c", "http://c.gov.cn/")
    d = _portal("d", "http://d.gov.cn/", allowed=["d.gov.cn", "FILES.gov.cn"])  # meets b through files
    e = _portal("e", "http://e.gov.cn/", allowed=["e.gov.cn", "a.gov.cn"])  # meets a
    lanes = host_lanes(portal_entries([a, b, c, d, e]))
    assert [[(entry.portal.name, entry.entry_url) for entry in lane] for lane in lanes] == [
        [("a", "http://a.gov.cn/1/"), ("a", "http://a.gov.cn/2/"), ("e", "http://e.gov.cn/")],
        [("b", "http://b.gov.cn/"), ("d", "http://d.gov.cn/")],
        [("c", "http://c.gov.cn/")],
    ]
    # Lanes share no host, and every entry is in exactly one.
    hosts = [set().union(*(entry.hosts for entry in lane)) for lane in lanes]
    assert all(not (hosts[i] & hosts[j]) for i in range(len(hosts)) for j in range(i + 1, len(hosts)))
    assert sum(len(lane) for lane in lanes) == 6


def test_a_chain_of_shared_hosts_joins_lanes_found_apart() -> None:
    # x and y look apart until z, listed last, reaches both.
    x = _portal("x", "http://x.gov.cn/")
    y = _portal("y", "http://y.gov.cn/")
    z = _portal("z", "http://z.gov.cn/", allowed=["z.gov.cn", "y.gov.cn"], attach=["x.gov.cn"])
    lanes = host_lanes(portal_entries([x, y, z]))
    assert [[entry.portal.name for entry in lane] for lane in lanes] == [["x", "y", "z"]]


def test_a_group_prunes_the_parse_cache_once_at_its_end(
    pipeline_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pruning reads the head of every cached parse; an entry each made a group of n entries
    over m parses read n × m records. Its entries leave it to the group, which prunes once:
    an expired record is gone after the run, and the cache was read once."""
    import json
    from datetime import UTC, datetime, timedelta

    import flows.ingest
    import flows.portals
    from tasks.extract import prune_parse_cache
    from yusuan.settings import load_settings

    pruned: list[Path] = []

    def counted(results_dir: Path, objects: object = None) -> None:
        pruned.append(results_dir)
        prune_parse_cache(results_dir, objects)  # type: ignore[arg-type]

    monkeypatch.setattr(flows.ingest, "prune_parse_cache", counted)
    monkeypatch.setattr(flows.portals, "prune_parse_cache", counted)
    results = load_settings().results_dir
    results.mkdir(parents=True)
    expired = results / "expired-record"
    expired.write_text(json.dumps({"metadata": {"expiration": (datetime.now(UTC) - timedelta(days=1)).isoformat()}}))
    with PortalServer() as first, PortalServer() as second:
        config = tmp_path / "portals.yaml"
        config.write_text(
            "version: 1\nportals:\n"
            + "".join(
                f"  - name: p{n}\n    group: test\n    entry_urls: [{server.entry_url!r}]\n"
                for n, server in enumerate((first, second))
            ),
            encoding="utf-8",
        )
        state = ingest_portals(group="test", config_path=str(config), max_documents=1, return_state=True)
    assert state.is_completed(), state.message
    assert [row["state"] for row in state.result()] == ["Completed", "Completed"]
    assert pruned == [results]
    assert not expired.exists()
    kept = [path.name for path in results.iterdir()]
    assert kept and all(name.startswith("parse-") for name in kept), kept  # the entries' own parses stay
