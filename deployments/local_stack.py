"""A real local Prefect stack for yusuan: `prefect server` (SQLite) on 127.0.0.1, the process
work pool, the deployments of deployments/prefect.yaml, and a worker polling the pool.

Used by `make serve` (deployments/serve.py) and by the deployment test. Everything runs
offline with telemetry off; processes are stopped the way they want to be (the worker needs a
second SIGINT).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PREFECT = str(Path(sys.executable).with_name("prefect"))
DASK = str(Path(sys.executable).with_name("dask"))
POOL = "yusuan-process"


def prefect_server_database(database_url: str, name: str = "yusuan_prefect") -> str | None:
    """A database for the Prefect server itself, beside yusuan's on the same Postgres server, as
    the asyncpg URL Prefect wants (PREFECT_SERVER_DATABASE_CONNECTION_URL); None when that server
    cannot host it (the embedded pgserver lacks pg_trgm, which Prefect needs): stay on SQLite.

    Why bother: on the SQLite-backed server a contended global-concurrency acquisition took ~2 s
    (write-lock waits), ≈30 ms on Postgres; see docs/operations.md."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.database import ensure_database, sqlalchemy_url

    target = make_url(sqlalchemy_url(database_url)).set(database=name)
    if not target.host:  # a Unix socket: the embedded server
        return None
    try:
        ensure_database(target.render_as_string(hide_password=False))
        engine = create_engine(target, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - no rights or no extension: SQLite still works
        return None
    return target.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def stack_env(home: Path, api_port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{api_port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "yusuan",
        "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "true"),
        # Global concurrency slots are held on leases. Prefect's default keeps leases in the
        # server's memory: a restarted server forgets them, and the slots they held (a portal
        # host's, the parses') stay taken for good, every later run waiting on them. On disk in
        # the Prefect home, they expire after a restart as they would have (docs/operations.md).
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
        "YUSUAN_HOME": str(REPO),
        **(extra or {}),
    }
    env.pop("PREFECT_API_KEY", None)
    return env


@dataclass
class LocalStack:
    home: Path
    api_port: int = 4200
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return stack_env(self.home, self.api_port, self.extra_env)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api"

    def _spawn(self, *args: str, log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        self.home.mkdir(parents=True, exist_ok=True)
        out = (self.home / log).open("ab")
        environment = {**self.env, **(env or {})}
        process = subprocess.Popen(args, env=environment, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)

    def start_server(self, timeout: float = 90) -> None:
        self._spawn(PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.api_port), log="server.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"prefect server did not answer on {self.api_url} within {timeout}s (see {self.home}/server.log)"
        )

    def deploy(self) -> None:
        pool = self._run(PREFECT, "work-pool", "create", POOL, "--type", "process", "--overwrite")
        if pool.returncode != 0:
            raise RuntimeError(f"work pool: {pool.stdout}{pool.stderr}")
        deployed = self._run(PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
        if deployed.returncode != 0:
            raise RuntimeError(f"deploy: {deployed.stdout}{deployed.stderr}")

    def start_worker(self, name: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen:
        """A process worker polling the pool; ``env`` overrides the stack's (a worker's own data
        directory, as on a machine of its own)."""
        args = [PREFECT, "worker", "start", "--pool", POOL, "--type", "process"]
        if name:
            args += ["--name", name]
        return self._spawn(*args, log=f"worker-{name}.log" if name else "worker.log", env=env)

    def start_dask(
        self,
        port: int,
        workers: int = 1,
        threads: int = 2,
        timeout: float = 60,
        worker_envs: list[dict[str, str]] | None = None,
    ) -> str:
        """A Dask scheduler and workers (prefect-dask's `dask` CLI) with this stack's environment;
        returns the scheduler address for YUSUAN_DASK_ADDRESS. ``worker_envs[i]`` overrides worker
        i's environment (its own data directory, as on a machine of its own)."""
        address = f"tcp://127.0.0.1:{port}"
        self._spawn(DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", log="dask.log")
        envs = worker_envs or []
        for i in range(workers):
            self.start_dask_worker(address, f"yusuan-dask-{i}", envs[i] if i < len(envs) else None, threads)
        self.wait_for_dask_workers(address, workers, timeout)
        return address

    def start_dask_worker(
        self, address: str, name: str, env: dict[str, str] | None = None, threads: int = 2
    ) -> subprocess.Popen:
        return self._spawn(
            DASK, "worker", address, "--nthreads", str(threads), "--name", name, "--no-dashboard",
            log="dask.log", env=env,
        )  # fmt: skip

    @staticmethod
    def wait_for_dask_workers(address: str, workers: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(address, timeout=timeout) as client:
            client.wait_for_workers(workers, timeout=timeout)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                time.sleep(0.5)
                process.send_signal(signal.SIGINT)  # a worker stops on the second SIGINT only
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
