"""What one unit of Prefect bookkeeping costs the Prefect server, in CPU: a task run, a subflow
run, a log row, an artifact written or updated, a global-concurrency slot taken and given back,
and the server's idle second.

    .venv/bin/python bench/prefect_costs.py [--database-url URL] [tasks:300 subflows:50 …]

A ``prefect server`` on a Postgres database of its own (``deployments/local_stack.py``, as
``make serve`` and bench/national.py run it), no UI. Each measurement is a child process running
one flow that does N of one thing; the server's CPU over it (its process tree, after the events
have drained, less its idle rate over the same seconds) divided by N. An empty flow (N = 0) is
the fixed cost of a flow run. The client's side of the same unit (Prefect's code in the flow's
process: engines, events, the API client, the log handler) is the child's CPU less the empty
flow's, divided by N. What a run of yusuan costs the server is then roughly these times
its counts (bench/national.py reports task runs, log rows and API requests by route).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deployments.local_stack import LocalStack, prefect_server_database

# One flow per measurement; what it does N times is its first argument.
CLIENT = r"""
import sys, uuid
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.logging import get_run_logger

what, n = sys.argv[1], int(sys.argv[2])


@task
def one(i):
    return i


@flow
def sub(i):
    return i


@flow
def measured():
    if what == "tasks":
        for i in range(n):
            one(i)
    elif what == "subflows":
        for i in range(n):
            sub(i)
    elif what == "logs":
        log = get_run_logger()
        for i in range(n):
            log.info("line %d", i)
    elif what == "artifacts":
        for i in range(n):
            create_markdown_artifact(f"# {i}", key=f"k{i % 5}")
    elif what == "artifact_updates":
        progress = create_progress_artifact(0.0)
        for i in range(n):
            update_progress_artifact(progress, 100.0 * i / max(n, 1))
    elif what == "slots":
        name = "cost-" + uuid.uuid4().hex[:8]
        with get_client(sync_client=True) as client:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=4))
            for _ in range(n):
                taken = client.increment_concurrency_slots_with_lease(
                    names=[name], slots=1, mode="concurrency", lease_duration=60
                )
                client.release_concurrency_slots_with_lease(taken.json()["lease_id"])
    else:
        raise SystemExit(f"unknown measurement {what!r}")


measured()
"""

DEFAULT = ["tasks:0", "tasks:300", "subflows:50", "logs:600", "artifacts:100", "artifact_updates:100", "slots:100"]
# Events are recorded by the server after the flow's process has ended: wait them out.
DRAIN_SECONDS = 6.0
IDLE_SECONDS = 30.0


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def _children_cpu() -> float:
    """CPU of this process's waited-for children so far (the measured flows)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("measurements", nargs="*", default=DEFAULT, metavar="WHAT:N")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="yusuan-prefect-costs-"))
    database = prefect_server_database(args.database_url, name=f"yusuan_prefect_costs_{uuid.uuid4().hex[:8]}")
    if database is None:
        raise SystemExit("needs a Postgres server that can host the Prefect server's database (pg_trgm)")
    server_env = {"PREFECT_SERVER_DATABASE_CONNECTION_URL": database, "PREFECT_UI_ENABLED": "false"}
    stack = LocalStack(home, api_port=4319, extra_env=server_env)
    client = home / "measured_flow.py"
    client.write_text(CLIENT)
    with stack:
        stack.start_server()
        root = psutil.Process(stack.processes[0].pid)
        server = [root, *root.children(recursive=True)]
        time.sleep(5)  # the services' first rounds after the start
        before = _cpu(server)
        time.sleep(IDLE_SECONDS)
        idle = (_cpu(server) - before) / IDLE_SECONDS
        print(f"idle server: {1000 * idle:.1f} ms of CPU a second")
        empty_client: float | None = None
        for measurement in args.measurements:
            what, _, count = measurement.partition(":")
            n = int(count or 0)
            before, started, client_before = _cpu(server), time.monotonic(), _children_cpu()
            done = subprocess.run(
                [sys.executable, str(client), what, str(n)], env=stack.env, capture_output=True, text=True, check=False
            )
            client_used = _children_cpu() - client_before
            time.sleep(DRAIN_SECONDS)
            seconds = time.monotonic() - started
            used = _cpu(server) - before - idle * seconds
            if n == 0:
                empty_client = client_used
                each = f"a flow run's fixed cost; client {client_used:.2f} s"
            else:
                each = f"{1000 * used / n:.1f} ms each"
                if empty_client is not None:
                    each += f"; client {1000 * (client_used - empty_client) / n:.1f} ms each"
            print(f"{what} × {n}: server {used:.2f} s of CPU, {each} (exit {done.returncode}, {seconds:.1f} s)")
            if done.returncode:
                print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
