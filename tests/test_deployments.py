"""A real `prefect server` with a worker: a deployment run started through the API finishes
Completed and its facts are in Postgres."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from deployments.local_stack import REPO, LocalStack
from storage.database import engine_for
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import demo_column
from yusuan.ports import free_port

pytestmark = pytest.mark.slow


def _create_flow_run(api: httpx.Client, deployment_id: str, parameters: dict) -> dict:
    """A run of the deployment. The SQLite-backed server answers 5xx while its database is
    locked by the worker's writes: retried as Prefect's own client would, the body shown if not."""
    for _attempt in range(5):
        response = api.post(f"/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters})
        if response.status_code < 500 and response.status_code != 429:
            break
        time.sleep(2)
    assert response.is_success, f"create_flow_run: {response.status_code} {response.text[:500]}"
    return response.json()


def _deployed_with_a_worker(stack: LocalStack) -> tuple[httpx.Client, dict[str, dict]]:
    """The stack's server started, yusuan's deployments deployed, a worker polling: the API
    client and the deployments by name."""
    stack.start_server()
    stack.deploy()
    stack.start_worker()
    api = httpx.Client(base_url=stack.api_url, timeout=10)
    return api, {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}


def _group_config(tmp_path: Path, entry_url: str) -> Path:
    """portals.yaml with the demo portal as the one entry of group ``test``."""
    config = tmp_path / "portals.yaml"
    config.write_text(
        f"version: 1\nportals:\n  - name: henan-ybj\n    group: test\n    entry_urls: [{entry_url!r}]\n",
        encoding="utf-8",
    )
    return config


def test_deployment_run_through_server_and_worker(db: str, tmp_path: Path) -> None:
    """The scheduled group deployment, started through the API, runs on the worker: Completed,
    one ingest subflow per portal, facts in Postgres."""
    env = {"DATABASE_URL": db, "YUSUAN_DATA_DIR": str(tmp_path / "data")}
    with PortalServer() as portal, LocalStack(tmp_path / "prefect", free_port(), env) as stack:
        config = _group_config(tmp_path, portal.entry_url)
        api, deployments = _deployed_with_a_worker(stack)
        assert {"demo", "henan", "adhoc", "backfill"} <= set(deployments)
        assert all(d["work_pool_name"] == "yusuan-process" for d in deployments.values())
        assert [s["active"] for s in deployments["demo"]["schedules"]] == [True, True]
        assert [s["active"] for s in deployments["henan"]["schedules"]] == [False, False]  # no internet here
        assert deployments["adhoc"]["schedules"] == []
        run = _create_flow_run(api, deployments["demo"]["id"], {"group": "test", "config_path": str(config)})
        state = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = api.get(f"/flow_runs/{run['id']}").json()["state"]
            if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            time.sleep(2)
        assert state is not None and state["type"] == "COMPLETED", (stack.home / "worker.log").read_text()[-3000:]
        assert state["message"] == "1 of 1 portal entries ingested, 3 documents loaded"
        subflows = api.post(
            "/flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}}
        ).json()

    assert [s["name"] for s in subflows] == ["ingest henan-ybj"]
    with engine_for(db).connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
        run_ids = conn.execute(text("SELECT DISTINCT flow_run_id FROM budget.documents")).scalars().all()
    assert loaded == 3
    assert run_ids == [subflows[0]["id"]]


def test_two_runs_on_one_server_share_the_per_host_limit(db: str, tmp_path: Path) -> None:
    """Two ingest runs at once, in two processes, against one portal host: at the portal, never
    more requests in flight than the per-host limit, because the limit is the Prefect server's
    (yusuan-host-127.0.0.1), not each process's (each alone would allow 2, together 4)."""
    pdfs = [a.name for article in demo_column().articles for a in article.attachments if a.name.endswith(".pdf")]
    with (
        # Both runs wait for each other at the list page, so their downloads overlap.
        PortalServer(
            faults=Faults(delay_seconds=dict.fromkeys(pdfs, 2.5), rendezvous={"/ybj/ysgk/index.html": 2})
        ) as portal,
        LocalStack(tmp_path / "prefect", free_port()) as stack,
    ):
        stack.start_server()
        runs = []
        for name in ("a", "b"):
            env = {
                **stack.env,
                "DATABASE_URL": db,
                "YUSUAN_DATA_DIR": str(tmp_path / f"data-{name}"),  # both runs download every file
                "YUSUAN_PER_HOST_CONCURRENCY": "2",
                "YUSUAN_USER_AGENT": f"yusuan-test-run-{name}",
            }
            call = f"ingest({portal.entry_url!r}, portal='run-{name}')['totals']"
            runs.append(
                subprocess.Popen(
                    [sys.executable, "-c", f"from flows.ingest import ingest; print({call})"],
                    env=env,
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for process in runs:
            process.communicate(timeout=300)
            assert process.returncode == 0
        limits = httpx.post(f"{stack.api_url}/v2/concurrency_limits/filter", json={}, timeout=10).json()

    pdf_spans = {
        name: [(s, e) for s, e, path, agent in portal.log.spans if path.endswith(".pdf") and agent.endswith(name)]
        for name in ("run-a", "run-b")
    }
    assert all(len(spans) == 3 for spans in pdf_spans.values()), pdf_spans
    # The runs were at the portal at the same time, and still it never saw more than 2 requests
    # at once (each run alone may have 2 in flight: without the shared limit it saw 4).
    windows = {
        name: (
            min(s for s, _e, _p, a in portal.log.spans if a.endswith(name)),
            max(e for _s, e, _p, a in portal.log.spans if a.endswith(name)),
        )
        for name in ("run-a", "run-b")
    }
    (start_a, end_a), (start_b, end_b) = windows["run-a"], windows["run-b"]
    assert start_a < end_b and start_b < end_a, "the two runs were at the portal at the same time"
    assert portal.log.max_in_flight <= 2
    by_name = {limit["name"]: limit for limit in limits}
    host = by_name["yusuan-host-127.0.0.1"]
    assert host["limit"] == 2 and host["active_slots"] == 0
    assert "yusuan-extract" in by_name
    with engine_for(db).connect() as conn:
        # Both runs loaded the same three files at once: three documents, none twice.
        assert conn.execute(text("SELECT count(*) FROM budget.documents")).scalar_one() == 3


def _run_on_cluster(stack: LocalStack, address: str, call: str) -> None:
    """``call`` in a child process whose flows send their tasks to the Dask scheduler at ``address``."""
    run = subprocess.run(
        [sys.executable, "-c", call],
        env={**stack.env, "YUSUAN_DASK_ADDRESS": address},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]


def test_ingest_runs_its_tasks_on_a_dask_cluster(db: str, tmp_path: Path) -> None:
    """YUSUAN_DASK_ADDRESS sends the tasks to a Dask cluster: two workers, each its own process,
    sharing the raw store and the database, both doing part of the run."""
    from distributed import Client

    env = {"DATABASE_URL": db, "YUSUAN_DATA_DIR": str(tmp_path / "data")}
    with PortalServer() as portal, LocalStack(tmp_path / "prefect", free_port(), env) as stack:
        stack.start_server()
        address = stack.start_dask(free_port(), workers=2)
        _run_on_cluster(stack, address, f"from flows.ingest import ingest; ingest({portal.entry_url!r}, portal='dask')")
        with Client(address) as client:
            # The scheduler's record of the task functions its workers ran.
            ran = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert "document_task" in ran, ran
    assert len(executed) == 2 and all(count > 0 for count in executed.values()), executed
    with engine_for(db).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one() == 3


def _final_state(api: httpx.Client, run_id: str, seconds: float) -> dict | None:
    state = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = api.get(f"/flow_runs/{run_id}").json()["state"]
        except httpx.HTTPError:
            state = None  # the server is down: ask again
        if state and state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(1)
    return state


def test_a_prefect_server_restart_during_a_deployment_run(db: str, tmp_path: Path) -> None:
    """`make serve`'s stack on Postgres: the Prefect server is stopped for 30 s while a group
    run is downloading (its files arrive slowly) and parsing, then started again. The run's
    process waits the outage out (Prefect's client retries a refused connection once it has
    connected), the run ends Completed with every document loaded once, and yusuan's run rows
    are final."""
    import uuid

    from deployments.local_stack import prefect_server_database

    server_db = prefect_server_database(db, name=f"yusuan_prefect_{uuid.uuid4().hex[:8]}")
    if server_db is None:
        pytest.skip("this Postgres server cannot host Prefect's database (no pg_trgm)")
    pdfs = [a.name for article in demo_column().articles for a in article.attachments if a.name.endswith(".pdf")]
    env = {
        "DATABASE_URL": db,
        "YUSUAN_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": server_db,
    }
    with (
        PortalServer(faults=Faults(delay_seconds=dict.fromkeys(pdfs, 12.0))) as portal,
        LocalStack(tmp_path / "prefect", free_port(), env) as stack,
    ):
        config = _group_config(tmp_path, portal.entry_url)
        api, deployments = _deployed_with_a_worker(stack)
        run = _create_flow_run(api, deployments["demo"]["id"], {"group": "test", "config_path": str(config)})
        # Wait until the files are being downloaded: the portal has been asked for one.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any(p.endswith(".pdf") for p in portal.log.paths):
            time.sleep(0.5)
        assert any(p.endswith(".pdf") for p in portal.log.paths), (stack.home / "worker.log").read_text()[-3000:]
        server = stack.processes[0]
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        stopped = time.monotonic()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{stack.api_url}/health", timeout=2)
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))
        stack.start_server()
        state = _final_state(api, run["id"], 300)
        assert state is not None and state["type"] == "COMPLETED", (
            state,
            (stack.home / "worker.log").read_text()[-4000:],
        )
        with engine_for(db).connect() as conn:
            failed_pages = conn.execute(text("SELECT url, error FROM yusuan.pages WHERE error IS NOT NULL")).all()
        assert state["message"] == "1 of 1 portal entries ingested, 3 documents loaded", failed_pages

    with engine_for(db).connect() as conn:
        documents = conn.execute(text("SELECT sha256, count(*) FROM budget.documents GROUP BY sha256")).all()
        statuses = conn.execute(text("SELECT status FROM yusuan.last_runs")).scalars().all()
    assert len(documents) == 3 and all(n == 1 for _sha, n in documents)
    assert statuses and all(s == "completed" for s in statuses), statuses


def test_two_workers_with_their_own_disks_share_only_postgres_and_the_object_store(db: str, tmp_path: Path) -> None:
    """A Prefect server on Postgres, one process pool, two workers each with its own empty data
    directory, an S3-compatible store (moto's server on 127.0.0.1). The group deployment runs on
    one worker: every document loaded once, the raw files in the store. That worker is then
    stopped and a forced backfill runs on the other, whose disk never saw the files: it parses
    all of them from the store."""
    import json
    import uuid

    from deployments.local_stack import prefect_server_database
    from tests.s3_server import s3_store

    server_db = prefect_server_database(db, name=f"yusuan_prefect_{uuid.uuid4().hex[:8]}")
    if server_db is None:
        pytest.skip("this Postgres server cannot host Prefect's database (no pg_trgm)")
    with s3_store("shared", "yusuan") as store:
        env = {
            "DATABASE_URL": db,
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": server_db,
            "YUSUAN_STORAGE_URL": store.url,
            "YUSUAN_STORAGE_OPTIONS": json.dumps(store.options),
        }
        disks = {name: tmp_path / f"disk-{name}" for name in ("a", "b")}
        with PortalServer() as portal, LocalStack(tmp_path / "prefect", free_port(), env) as stack:
            config = _group_config(tmp_path, portal.entry_url)
            stack.start_server()
            stack.deploy()
            workers = {name: stack.start_worker(name, {"YUSUAN_DATA_DIR": str(disk)}) for name, disk in disks.items()}
            api = httpx.Client(base_url=stack.api_url, timeout=10)
            deployments = {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}
            run = _create_flow_run(api, deployments["demo"]["id"], {"group": "test", "config_path": str(config)})
            state = _final_state(api, run["id"], 240)
            assert state is not None and state["type"] == "COMPLETED", state
            assert state["message"] == "1 of 1 portal entries ingested, 3 documents loaded"
            ran = [name for name, disk in disks.items() if (disk / "raw").is_dir()]
            assert len(ran) == 1, ran
            other = "b" if ran == ["a"] else "a"
            workers[ran[0]].send_signal(signal.SIGINT)
            time.sleep(0.5)
            workers[ran[0]].send_signal(signal.SIGINT)
            workers[ran[0]].wait(timeout=30)
            # Its disk goes with it: the stored paths point nowhere on the other machine.
            import shutil

            shutil.rmtree(disks[ran[0]])
            backfill = _create_flow_run(api, deployments["backfill"]["id"], {"force": True})
            state = _final_state(api, backfill["id"], 240)
            assert state is not None and state["type"] == "COMPLETED", (
                state,
                (stack.home / f"worker-{other}.log").read_text()[-3000:],
            )
        with engine_for(db).connect() as conn:
            shas = conn.execute(text("SELECT sha256 FROM yusuan.documents")).scalars().all()
            loaded = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
        assert len(shas) == 3 and loaded == 3
        assert all(store.has(sha) for sha in shas)
        # The backfill parsed every file on the worker that never downloaded one.
        fetched = [p.name for p in (disks[other] / "raw").rglob("*") if p.is_file()]
        assert sorted(fetched) == sorted(shas)


def test_dask_workers_with_their_own_disks_share_only_postgres_and_the_object_store(db: str, tmp_path: Path) -> None:
    """The Dask runner with two workers, each with its own empty data directory (as on machines
    of their own), and an S3-compatible store: every document loaded once, every raw file in the
    store, none on the flow process's disk. Then both workers and their disks go, a third with an
    empty disk joins, and a forced backfill parses every file there, from the store."""
    import json
    import shutil

    from distributed import Client

    from tests.s3_server import s3_store

    disks = {name: tmp_path / f"disk-{name}" for name in ("flow", "a", "b", "c")}
    with s3_store("dask", "yusuan") as store:
        env = {
            "DATABASE_URL": db,
            "YUSUAN_DATA_DIR": str(disks["flow"]),
            "YUSUAN_STORAGE_URL": store.url,
            "YUSUAN_STORAGE_OPTIONS": json.dumps(store.options),
        }
        with PortalServer() as portal, LocalStack(tmp_path / "prefect", free_port(), env) as stack:
            stack.start_server()
            address = stack.start_dask(
                free_port(), workers=2, worker_envs=[{"YUSUAN_DATA_DIR": str(disks[n])} for n in ("a", "b")]
            )
            workers = stack.processes[-2:]
            ingest_call = f"from flows.ingest import ingest; ingest({portal.entry_url!r}, portal='dask')"
            _run_on_cluster(stack, address, ingest_call)
            with engine_for(db).connect() as conn:
                shas = sorted(conn.execute(text("SELECT sha256 FROM yusuan.documents")).scalars())
                loaded = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
            assert len(shas) == 3 and loaded == 3
            assert all(store.has(sha) for sha in shas)
            on_disk = {n: sorted(p.name for p in (disks[n] / "raw").rglob("*") if p.is_file()) for n in ("a", "b")}
            assert sorted(set(on_disk["a"]) | set(on_disk["b"])) == shas, on_disk
            assert not (disks["flow"] / "raw").exists() or not any((disks["flow"] / "raw").rglob("*.pdf"))
            # The parse cache too is the store's, not any machine's.
            assert store.filesystem().find(store.results_url), "the parse cache is in the object store"
            assert not any(
                any((disks[n] / "results").rglob("*")) for n in ("flow", "a", "b") if (disks[n] / "results").exists()
            )

            for worker in workers:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
            for name in ("a", "b"):
                shutil.rmtree(disks[name])
            stack.start_dask_worker(address, "yusuan-dask-c", {"YUSUAN_DATA_DIR": str(disks["c"])})
            stack.wait_for_dask_workers(address, 1)
            _run_on_cluster(stack, address, "from flows.backfill import backfill; backfill(force=True)")
            with Client(address) as client:
                assert [w["name"] for w in client.scheduler_info()["workers"].values()] == ["yusuan-dask-c"]
    with engine_for(db).connect() as conn:
        assert sorted(conn.execute(text("SELECT sha256 FROM yusuan.documents")).scalars()) == shas
        extracted = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
    assert extracted == 3
    assert sorted(p.name for p in (disks["c"] / "raw").rglob("*") if p.is_file()) == shas
