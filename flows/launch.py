"""The ``yusuan`` command: starts Prefect's temporary API server before the CLI imports anything.

A command that runs flows needs the server (``flows/temporary_api.py``), and the server needs
seconds to start; the CLI's own imports (typer, rich, Prefect's settings) take seconds too. So
the server is spawned first, from what the environment and yusuan's settings say, and the CLI
checks it against Prefect's settings once they are read (``start_temporary_api_server``): a
profile naming a Prefect API, or turning ephemeral mode off, stops it again.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flows.temporary_api import TemporaryApiServer
from yusuan.runtime import configure_prefect_env

# The commands that run flows (flows/cli.py).
FLOW_COMMANDS = frozenset({"ingest", "demo", "backfill"})


def _command(argv: list[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def early_api_server(argv: list[str]) -> TemporaryApiServer | None:
    """The temporary API server, spawned now when the command will run flows and the environment
    names no Prefect API; not yet used by this process."""
    if _command(argv) not in FLOW_COMMANDS or {"--help", "-h"} & set(argv) or os.environ.get("PREFECT_API_URL"):
        return None
    from yusuan.settings import load_settings

    configure_prefect_env(load_settings().data_dir)  # sets PREFECT_HOME
    return TemporaryApiServer.spawn(Path(os.environ["PREFECT_HOME"]))


def main() -> None:
    early = early_api_server(sys.argv[1:])
    from flows.cli import app

    app(obj=early)
