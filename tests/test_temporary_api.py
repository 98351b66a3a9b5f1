"""The CLI's temporary Prefect API server: started only where Prefect would start its own, used by
the flows, not taken for a shared server, ended with the CLI (also a killed one), and a failed
start says why."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.temporary_api import TemporaryApiServer, start_temporary_api_server
from tests.conftest import REPO

# A CLI process in miniature: Prefect's environment, the server started before anything uses
# Prefect, one flow. It prints the server's pid, the flow's result, whether Prefect's client
# talks to that server and whether the limits take it for a shared server.
_CHILD = """
import os, sys, time
from yusuan.runtime import configure_prefect_env
configure_prefect_env()
from flows.temporary_api import TemporaryApiServerError, start_temporary_api_server
if sys.argv[1] == "busy-port":
    # The first port offered is taken by the time the server binds it: uvicorn exits with 3.
    import socket
    import flows.temporary_api as api
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    offered = [held.getsockname()[1]]
    free_port = api.free_port
    api.free_port = lambda: offered.pop() if offered else free_port()
server = start_temporary_api_server()
try:
    server.wait_ready()
except TemporaryApiServerError as exc:
    print("failed:", exc, flush=True)
    sys.exit(1)
from prefect import flow, get_client
from tasks.limits import shared_server_configured

@flow
def answer() -> int:
    return 42

with get_client(sync_client=True) as client:
    used = str(client.api_url).rstrip("/") == server.api_url
print(server.process.pid, answer(), used, shared_server_configured(), flush=True)
if sys.argv[1] == "hang":
    time.sleep(600)
"""


def _child(tmp_path: Path, mode: str, **env: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environment |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO), **env}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, mode], cwd=REPO, env=environment, stdout=subprocess.PIPE, text=True
    )


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_no_server_is_started_when_a_prefect_api_is_configured() -> None:
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        assert start_temporary_api_server() is None


def test_the_flows_use_the_server_it_is_no_shared_server_and_it_ends_with_the_process(tmp_path: Path) -> None:
    child = _child(tmp_path, "exit")
    out, _ = child.communicate(timeout=180)
    assert child.returncode == 0, out
    pid, answer, used, shared = out.split()
    assert (answer, used, shared) == ("42", "True", "False")
    assert _gone_within(int(pid), 10)
    assert (tmp_path / "prefect" / "temporary-api-server.log").exists()


def test_a_port_taken_before_the_server_binds_it_is_retried_on_another(tmp_path: Path) -> None:
    child = _child(tmp_path, "busy-port")
    out, _ = child.communicate(timeout=180)
    assert child.returncode == 0, out
    assert out.split()[1:3] == ["42", "True"]
    assert "address already in use" in (tmp_path / "prefect" / "temporary-api-server.log").read_text().lower()


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_server_ends_when_its_process_is_killed(tmp_path: Path) -> None:
    child = _child(tmp_path, "hang")
    assert child.stdout is not None
    line = child.stdout.readline()
    pid = int(line.split()[0])
    assert psutil.pid_exists(pid)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    try:
        # No one stops it: the kernel's parent-death signal does, rather than leaving it orphaned.
        assert _gone_within(pid, 15)
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    # A server database nothing listens on: the app's start-up fails and uvicorn exits.
    child = _child(tmp_path, "exit", PREFECT_SERVER_DATABASE_CONNECTION_URL="postgresql+asyncpg://u@127.0.0.1:1/x")
    out, _ = child.communicate(timeout=180)
    assert child.returncode == 1
    assert out.startswith("failed: exited with code 3 while starting")
    assert "Connect call failed" in out or "refused" in out.lower()


# The ``yusuan`` entry point in miniature: the server spawned before the CLI reads Prefect's
# settings, then checked against them. Prints the early server's pid (or "none"), whether the
# CLI then uses it, whether PREFECT_API_URL names the server used (or is unset, if none), and
# whether the early server is still running.
_LAUNCH = """
import os, sys
from flows.launch import early_api_server
early = early_api_server(sys.argv[1:])
if early is None:
    print("none", flush=True)
    sys.exit(0)
print(early.process.pid, flush=True)
from flows.temporary_api import start_temporary_api_server
server = start_temporary_api_server(early)
if server is not None:
    server.wait_ready()
url = server.api_url if server else "unset"
running = early.process is not None and early.process.poll() is None
print(server is early, os.environ.get("PREFECT_API_URL", "unset") == url, running, flush=True)
"""


def _launch(tmp_path: Path, *argv: str, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environment |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO), **env}
    run = subprocess.run(
        [sys.executable, "-c", _LAUNCH, *argv], cwd=REPO, env=environment, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.split()


@pytest.mark.parametrize("argv", [["portal", "serve"], ["db", "upgrade"], ["ingest", "--help"]])
def test_the_launcher_starts_no_server_for_a_command_without_flows(tmp_path: Path, argv: list[str]) -> None:
    assert _launch(tmp_path, *argv) == ["none"]


def test_the_launcher_starts_no_server_when_the_environment_names_a_prefect_api(tmp_path: Path) -> None:
    assert _launch(tmp_path, "ingest", PREFECT_API_URL="http://127.0.0.1:4200/api") == ["none"]


def test_the_server_the_launcher_started_early_is_the_one_the_flows_use(tmp_path: Path) -> None:
    pid, used, pointed, running = _launch(tmp_path, "ingest", "--portal", "http://127.0.0.1:1/")
    assert (used, pointed, running) == ("True", "True", "True")
    assert _gone_within(int(pid), 10)


def test_the_early_server_is_stopped_when_the_profile_names_a_prefect_api(tmp_path: Path) -> None:
    """Prefect's profiles are read only with its settings, after the early start: a profile
    naming an API wins, and the server started on a guess does not outlive the check."""
    home = tmp_path / "prefect"
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "shared"\n\n[profiles.shared]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n'
    )
    pid, used, pointed, running = _launch(tmp_path, "demo")
    assert (used, pointed, running) == ("False", "True", "False")  # stopped, PREFECT_API_URL left unset
    assert _gone_within(int(pid), 10)


def test_writes_at_once_wait_their_turn_on_its_sqlite_rather_than_failing(tmp_path: Path) -> None:
    """Prefect's own app answers many of these 503 (SQLITE_BUSY on a deferred transaction's first
    write), which its client waits out for 2, 4, 8 … s; flows.temporary_api_app takes the write
    lock first, so every one is done."""
    import httpx

    server = TemporaryApiServer.spawn(tmp_path / "prefect", {"PREFECT_HOME": str(tmp_path / "prefect")})
    try:
        server.startup_timeout = 120.0  # the first start migrates a new database
        server.wait_ready()
        with httpx.Client(base_url=server.api_url, timeout=120, trust_env=False) as client:
            flow_id = client.post("/flows/", json={"name": "writes-at-once"}).json()["id"]
            parent = client.post("/flow_runs/", json={"flow_id": flow_id, "name": "parent"}).json()["id"]
        statuses: list[int] = []

        def lane(n: int) -> None:
            # What a group's lane does at a subflow's start: its tracking task run, then the flow run.
            with httpx.Client(base_url=server.api_url, timeout=120, trust_env=False) as client:
                for i in range(8):
                    body = {"flow_run_id": parent, "task_key": f"lane-{n}", "dynamic_key": str(i), "name": f"{n}-{i}"}
                    tracking = client.post("/task_runs/", json=body)
                    run = {"flow_id": flow_id, "name": f"{n}-{i}", "parent_task_run_id": tracking.json().get("id")}
                    statuses.extend([tracking.status_code, client.post("/flow_runs/", json=run).status_code])

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lane, range(6)))
    finally:
        server.stop()
    assert sorted(set(statuses)) == [201] and len(statuses) == 96


def test_a_second_server_on_the_same_home_starts_after_the_first_answers_with_a_log_of_its_own(
    tmp_path: Path,
) -> None:
    """Two runs on one Prefect home: the second server waits for the home's start lock (held
    from the first's spawn until it answers: their migrations never overlap), writes its own log
    while the first holds the home's, and removes that log when it stops cleanly."""
    import threading
    import time

    import httpx

    from flows.temporary_api import LOG_NAME

    home = tmp_path / "prefect"
    first = TemporaryApiServer.spawn(home, {"PREFECT_HOME": str(home)})
    second: TemporaryApiServer | None = None
    try:
        first.startup_timeout = 120.0  # the first start migrates a new database
        ready = threading.Thread(target=first.wait_ready)  # as the first run's CLI would, meanwhile
        ready.start()
        spawned = time.monotonic()
        second = TemporaryApiServer.spawn(home, {"PREFECT_HOME": str(home)})
        waited = time.monotonic() - spawned
        answered = httpx.get(f"{first.api_url}/health", timeout=5, trust_env=False).status_code == 200
        ready.join()
        # The second was spawned only once the first answered: its spawn waited for the lock.
        assert answered and 0.5 < waited < 60
        second.startup_timeout = 120.0
        second.wait_ready()
        assert first.log_path == home / LOG_NAME
        assert second.log_path != first.log_path and second.log_path.exists()
    finally:
        if second is not None:
            second.stop()
        first.stop()
    assert second is not None and not second.log_path.exists()
    assert (home / LOG_NAME).exists()
