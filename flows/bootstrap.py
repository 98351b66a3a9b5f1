"""What every command that touches the pipeline does first: settings, Prefect's environment, the
temporary Prefect API server (when no Prefect API is configured), a migrated database."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import typer

from flows.temporary_api import TemporaryApiServer, TemporaryApiServerError, start_temporary_api_server
from flows.terminal import console
from yusuan.errors import low_disk, one_line
from yusuan.runtime import configure_prefect_env
from yusuan.settings import Settings, load_settings


@dataclass(frozen=True)
class Bootstrap:
    database_url: str
    # The Prefect API server started for this run, when Prefect would otherwise start its own.
    prefect_api: TemporaryApiServer | None = None

    def wait_for_prefect(self) -> None:
        """Before the first flow: the temporary API server answers (it started during the
        bootstrap and the flow imports), or the command ends saying why it did not."""
        if self.prefect_api is None:
            return
        try:
            self.prefect_api.wait_ready()
        except TemporaryApiServerError as exc:
            console.print(f"[red]Prefect's temporary API server did not start[/red]: {exc}")
            raise typer.Exit(1) from exc

    def flow_settings(self) -> AbstractContextManager[object]:
        """Prefect settings for the flows of this process, entered in the thread that runs them.

        On the temporary server, no flow-run heartbeats (``flows.heartbeats``): they exist for
        a server to notice a crashed run later, and this one ends with the run."""
        if self.prefect_api is None:
            return nullcontext()
        from flows.heartbeats import WithoutHeartbeats

        return WithoutHeartbeats()()


def bootstrap(*, runs_flows: bool = True, early: TemporaryApiServer | None = None) -> Bootstrap:
    """Settings, Prefect environment and a migrated database; DATABASE_URL is exported for the flow.

    A command that runs flows also starts Prefect's temporary API server here (when no Prefect
    API is configured), before importing the flows: the server starts while they are imported
    and the database is migrated. ``early``: the one ``flows.launch`` spawned before the CLI's
    imports, used if Prefect's settings agree."""
    settings = load_settings()
    # The console shows a progress line and the summary; run logs still reach the Prefect API/UI.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    configure_prefect_env(settings.data_dir)
    if problem := low_disk(written_dirs(settings), settings.min_free_disk_mb):
        # Checked first: Prefect's own database lives there too, and fails with a wall of text.
        console.print(f"[red]cannot start[/red]: {problem}; free some space or point YUSUAN_DATA_DIR elsewhere")
        raise typer.Exit(2)
    prefect_api = start_temporary_api_server(early) if runs_flows else None
    from flows.ingest import prepare_database
    from storage.database import redact
    from storage.retrying import DbRetry

    try:
        url = prepare_database(settings.database_url, settings.pgdata_dir, DbRetry(settings.database_retry_seconds))
    except Exception as exc:
        console.print(f"[red]database not available[/red]: {one_line(exc)}")
        raise typer.Exit(2) from exc
    os.environ["DATABASE_URL"] = url
    console.print(f"database: {redact(url)}" + ("" if settings.database_url else " (embedded)"))
    return Bootstrap(url, prefect_api)


def written_dirs(settings: Settings) -> list[Path]:
    return [settings.data_dir.resolve(), Path(os.environ.get("PREFECT_HOME", settings.data_dir)).resolve()]
