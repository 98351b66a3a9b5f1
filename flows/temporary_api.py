"""Prefect's temporary API server for a CLI run, started before the run's own imports.

With no Prefect API configured, Prefect starts a local API server on the first client call: the
flow process first imports Prefect's server package (≈ 2.4 s on a 2-core VM), then starts the
server in a child process that imports it again, and only then runs the flow. Those seconds are
most of an unchanged re-run. The CLI starts the same server (Prefect's own app, the command and
settings Prefect uses for it) right after reading its settings, points ``PREFECT_API_URL`` at it,
and reads its config, migrates its database and imports the flows while the server starts.

Unlike Prefect's, this server:

- runs in its own session, so a Ctrl-C at the terminal reaches the CLI (which records the run
  cancelled through this very server) and not the server;
- on Linux, is ended by the kernel if the CLI process dies without cleaning up (kill -9), rather
  than being orphaned;
- writes its output to ``temporary-api-server.log`` in the Prefect home, shown when it fails to
  start (``temporary-api-server.<pid>.log`` while another run's server holds that one);
- starts one at a time per Prefect home: two CLI runs started together (two terminals, cron
  over a run still going) each start a server on the home's one SQLite database, and two
  servers migrating it at once fail (``duplicate column``, ``No such index``). A lock on the
  home is held from the spawn until the server answers, so the second migrates a database that
  is already current; after that both serve side by side (writes wait their turn, as below).

The run still counts as a run on an ephemeral server: ``TEMPORARY_API_URL_ENV`` names the URL,
so the limits do not take it for a server shared by other runs.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from yusuan.ports import free_port, port_taken
from yusuan.runtime import STARTUP_TIMEOUT_SECONDS, TEMPORARY_API_URL_ENV

# uvicorn's exit code when it cannot start: its port taken (another process bound it between
# our probe and the server's bind: start again on another port), or the app's start-up failed.
_STARTUP_FAILURE = 3
_PORT_ATTEMPTS = 3
_POLL_SECONDS = 0.05
_STOP_SECONDS = 5.0
LOG_NAME = "temporary-api-server.log"
START_LOCK_NAME = "temporary-api-server.start.lock"
# Another run's server may take this long to migrate a new home's database and answer.
_START_LOCK_SECONDS = 120.0
_APP = "flows.temporary_api_app:create_app"
# Until ``use`` sets the configured one: yusuan's (a CI machine running a real-corpus sweep
# beside a test's server took more than Prefect's 20 s to start it, nothing logged yet).
_DEFAULT_STARTUP_TIMEOUT = float(STARTUP_TIMEOUT_SECONDS)


class TemporaryApiServerError(RuntimeError):
    """The temporary API server did not answer in time, or exited while starting."""


def _end_with_parent() -> None:
    """In the child, before exec: the kernel sends it SIGTERM when the thread that spawned it ends
    (for the main thread: when the CLI process ends, however it ends)."""
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class TemporaryApiServer:
    """One Prefect API server process for this CLI process; ``stop`` ends it (also at exit)."""

    def __init__(self, env: dict[str, str], log_path: Path, startup_timeout: float) -> None:
        self._env = env
        self.startup_timeout = startup_timeout
        self._log: IO[bytes] | None = None
        self._own_log = False
        self.log_path = self._claim_log(log_path)
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._in_use = False
        self._start_lock: IO[bytes] | None = _lock(log_path.parent / START_LOCK_NAME, _START_LOCK_SECONDS)
        self._spawn()
        atexit.register(self.stop)

    def _claim_log(self, path: Path) -> Path:
        """The home's log, locked for this server's life; a log of its own when another live
        run's server holds it (deleted when this one stops cleanly)."""
        self._log = path.open("ab")
        try:
            fcntl.flock(self._log, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._log.close()
            path = path.with_name(f"{path.stem}.{os.getpid()}{path.suffix}")
            self._log, self._own_log = path.open("ab"), True
        self._log.truncate(0)
        return path

    def _started(self) -> None:
        """The database is migrated and the server answers: the next run's server may start."""
        lock, self._start_lock = self._start_lock, None
        if lock is not None:
            lock.close()  # closing the file releases its lock

    @classmethod
    def spawn(cls, home: Path, env: dict[str, str] | None = None) -> TemporaryApiServer:
        """Start the server with Prefect's temporary-server environment; ``use`` points this
        process's Prefect at it."""
        env = {
            **os.environ,
            # As Prefect's own temporary server: no UI, ephemeral services.
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            **(env or {}),
        }
        home.mkdir(parents=True, exist_ok=True)
        return cls(env, home / LOG_NAME, _DEFAULT_STARTUP_TIMEOUT)

    def use(self, startup_timeout: float) -> TemporaryApiServer:
        """This process's Prefect client talks to this server from now on."""
        self.startup_timeout = startup_timeout
        self._in_use = True
        _point_prefect_at(self.api_url)
        return self

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _spawn(self) -> None:
        self.port = free_port()
        # Prefect's SubprocessASGIServer command (its app under uvicorn, no UI), with SQLite
        # write transactions that take the write lock first (flows.temporary_api_app).
        command = [sys.executable, "-m", "uvicorn", "--factory", _APP]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        self.process = subprocess.Popen(
            command,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # preexec_fn is unsafe with threads about; the CLI starts the server before it starts any.
            preexec_fn=_end_with_parent if sys.platform == "linux" else None,
        )
        if self._in_use:
            _point_prefect_at(self.api_url)

    def wait_ready(self) -> None:
        """Block until the server answers ``/health``; raise with its log if it cannot start.

        Call it from the thread that started the server: on Linux the server ends with that thread.
        """
        timeout = self.startup_timeout
        deadline = time.monotonic() + timeout
        attempts = 1
        import httpx  # here: the launcher imports this module before anything else

        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while True:
                assert self.process is not None, "the temporary API server was stopped"
                code = self.process.poll()
                if code == _STARTUP_FAILURE and attempts < _PORT_ATTEMPTS and port_taken(self.port):
                    attempts += 1
                    self._spawn()
                    continue
                if code is not None:
                    self._started()
                    raise TemporaryApiServerError(f"exited with code {code} while starting: {self.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        self._started()
                        return
                if time.monotonic() > deadline:
                    tail = self.log_tail()
                    self.stop()
                    raise TemporaryApiServerError(f"not answering after {timeout:.0f} s: {tail}")
                time.sleep(_POLL_SECONDS)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip()
        except OSError:
            return "(no log)"
        return " | ".join(text.splitlines()[-lines:]) or "(nothing logged)"

    def stop(self) -> None:
        self._started()
        process, self.process = self.process, None
        clean = process is not None and process.poll() is None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
            if self._own_log and clean:
                self.log_path.unlink(missing_ok=True)


def _lock(path: Path, seconds: float) -> IO[bytes] | None:
    """An exclusive lock on ``path`` (the open file holds it; the kernel drops it if this process
    dies), waited for up to ``seconds``; None when it could not be had in time: then the start
    goes ahead and a collision, should one follow, says so in the log."""
    handle = path.open("ab")
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            time.sleep(_POLL_SECONDS)


def _point_prefect_at(api_url: str) -> None:
    os.environ["PREFECT_API_URL"] = api_url
    os.environ[TEMPORARY_API_URL_ENV] = api_url
    from prefect.context import refresh_global_settings_context

    # Prefect read its settings when ``prefect.settings`` was imported; this makes it read the URL.
    refresh_global_settings_context()


def start_temporary_api_server(early: TemporaryApiServer | None = None) -> TemporaryApiServer | None:
    """Prefect's API server for this process when Prefect would start one itself: no API URL
    configured (environment or profile) and ephemeral mode on. ``None`` otherwise.

    ``early``: the server ``flows.launch`` started before Prefect's settings could be read (they
    take seconds to import); used when the settings agree, stopped when they do not.

    Call it from the main thread, after the Prefect environment is set and before anything uses
    a Prefect client.
    """
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    home = Path(settings.home)
    wanted = not settings.api.url and settings.server.ephemeral.enabled
    if early is not None and (not wanted or early.log_path.parent != home):
        early.stop()
        early = None
    if not wanted:
        return None
    timeout = float(settings.server.ephemeral.startup_timeout_seconds)
    if early is not None:
        return early.use(timeout)
    # The profile's settings too, as Prefect passes them to its own temporary server.
    return TemporaryApiServer.spawn(home, settings.to_environment_variables(exclude_unset=True)).use(timeout)
