"""Process-level defaults that must be in place before Prefect is imported.

The network here is closed and the project never phones home: telemetry is off wherever yusuan
starts Prefect (CLI, tests, CI, Makefile). Values already set by the user are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

TELEMETRY_OFF = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
}
# yusuan's own loggers (HTTP retries, robots.txt, extraction warnings) reach the run's logs in the UI.
RUN_LOGGERS = {"PREFECT_LOGGING_EXTRA_LOGGERS": "yusuan"}
# Set by the CLI to the URL of the Prefect API server it started for its own run
# (flows/temporary_api.py): PREFECT_API_URL then names a server no other run shares.
TEMPORARY_API_URL_ENV = "YUSUAN_TEMPORARY_PREFECT_API_URL"
# How long a temporary API server may take to answer (Prefect's default, 20 s, gave up on a live
# server still importing on a loaded machine); one that died is noticed at once.
STARTUP_TIMEOUT_SECONDS = 90


def configure_prefect_env(data_dir: Path | None = None) -> None:
    for key, value in (TELEMETRY_OFF | RUN_LOGGERS).items():
        os.environ.setdefault(key, value)
    if data_dir is not None:
        os.environ.setdefault("PREFECT_HOME", str((data_dir / "prefect").resolve()))
    if "PREFECT_HOME" in os.environ:
        # Prefect's SQLite database cannot be created in a directory that does not exist yet.
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    # Ephemeral mode starts a local API server on first use; keep its startup quiet and bounded.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT_SECONDS))
