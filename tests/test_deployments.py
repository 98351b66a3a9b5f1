"""A real `prefect server` with a worker: a deployment run started through the API finishes
Completed and its facts are in Postgres."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from deployments.local_stack import LocalStack
from storage.database import engine_for
from yusuan.portal.server import PortalServer

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_deployment_run_through_server_and_worker(db: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db, "YUSUAN_DATA_DIR": str(tmp_path / "data")}
    with PortalServer() as portal, LocalStack(tmp_path / "prefect", _free_port(), env) as stack:
        stack.start_server()
        stack.deploy()
        stack.start_worker()
        api = httpx.Client(base_url=stack.api_url, timeout=10)
        deployment = api.get("/deployments/name/ingest/demo-portal").json()
        assert deployment["work_pool_name"] == "yusuan-process"
        assert deployment["schedules"], "the deployment carries its schedules"
        run = api.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"entry_url": portal.entry_url, "portal": "henan-ybj"}},
        ).json()
        state = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            time.sleep(2)
        assert state == "COMPLETED", (stack.home / "worker.log").read_text()[-3000:]

    with engine_for(db).connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
        run_ids = conn.execute(text("SELECT DISTINCT flow_run_id FROM budget.documents")).scalars().all()
    assert loaded == 3
    assert run_ids == [run["id"]]
