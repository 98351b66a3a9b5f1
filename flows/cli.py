"""``yusuan``: run the pipeline, the demo portal and database chores from the command line."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table

from flows.bootstrap import Bootstrap, bootstrap, written_dirs
from flows.evidence_commands import evidence, review, serve_reviews
from flows.terminal import console, failed_documents, merge, print_summary, quiet_console
from yusuan.errors import low_disk, one_line
from yusuan.settings import load_settings

if TYPE_CHECKING:
    from prefect.states import State

app = typer.Typer(help="Chinese government budget disclosures → Postgres.", no_args_is_help=True)
portal_app = typer.Typer(help="The bundled demo portal.", no_args_is_help=True)
db_app = typer.Typer(help="Database chores.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")
app.add_typer(db_app, name="db")
app.command()(evidence)
app.command()(review)
app.command("serve-reviews")(serve_reviews)


def _failure_reason(error: str) -> str:
    """A run that failed for want of disk space says so, whatever the error that carried it."""
    settings = load_settings()
    problem = low_disk(written_dirs(settings), settings.min_free_disk_mb)
    return f"{problem} ({error})" if problem else error


def _run_with_progress(boot: Bootstrap, label: str, run_flow: Callable[[], State]) -> State:
    """Run a flow (``run_flow`` calls it with ``return_state=True``) with a live progress line,
    and return its final state.

    The flow runs in a thread; this (main) thread keeps the signal handlers of ``ingest``: on
    SIGINT/SIGTERM the flow stops taking documents and records itself cancelled, and if work in
    flight still holds the process ``STOP_GRACE_SECONDS`` after the signal, the process ends
    anyway (the run is already recorded; Postgres rolls back a load cut off).
    """
    from storage.progress import current_progress
    from tasks.stopping import PROCESS_STOP

    url = boot.database_url
    boot.wait_for_prefect()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            with boot.flow_settings():
                outcome["state"] = run_flow()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc

    since = datetime.now(UTC)
    worker = threading.Thread(target=target, name="ingest-flow", daemon=True)
    worker.start()
    started = time.monotonic()
    stop_seen: float | None = None
    text = f"ingest {label}: starting"
    counted = -PROGRESS_QUERY_SECONDS
    with Live(console=console, refresh_per_second=4, transient=True) as live:
        while worker.is_alive():
            if PROCESS_STOP.is_set():
                stop_seen = stop_seen or time.monotonic()
                if time.monotonic() - stop_seen > STOP_GRACE_SECONDS:
                    break
                text = f"ingest {label}: stopping ({PROCESS_STOP.signal_name}), finishing open loads"
            elif time.monotonic() - counted >= PROGRESS_QUERY_SECONDS:
                counted = time.monotonic()
                try:
                    p = current_progress(url, since)
                    text = f"ingest {label}: {p.pages} pages, {p.fetched} files fetched, {p.loaded} documents loaded"
                except Exception:  # noqa: BLE001 - the schema may be mid-migration; keep spinning
                    text = f"ingest {label}: starting"
            live.update(Spinner("dots", text=f"{text}  [{time.monotonic() - started:.0f}s]"))
            worker.join(0.25)
    if PROCESS_STOP.is_set():
        raise RunStopped(worker.is_alive())
    if "error" in outcome:
        raise PortalRunFailed(_failure_reason(one_line(outcome["error"])))
    return outcome["state"]


def _portal_results(state: State, name: str, entry: str) -> tuple[list[dict], list[str]]:
    """The run summaries of an ``ingest`` run and the portals whose run failed (with why)."""
    if state.is_completed():
        return [state.result()], []
    return [], [f"{name} ({entry}): {_failure_reason(state.message or state.name)}"]


def _group_results(state: State) -> tuple[list[dict], list[str]]:
    """The same for an ``ingest-portals`` run: one summary per entry URL that completed."""
    from flows.portals import RUN_SUMMARY

    rows = state.result(raise_on_failure=False)
    if not isinstance(rows, list):  # the group flow itself failed (portals.yaml unreadable …)
        return [], [_failure_reason(state.message or state.name)]
    results = [row[RUN_SUMMARY] for row in rows if RUN_SUMMARY in row]
    failed = [row for row in rows if "error" in row]
    return results, [f"{row['portal']} ({row['entry_url']}): {_failure_reason(row['error'])}" for row in failed]


# How often the progress line re-counts (three counts of the run's pages, files and
# documents, by the run indexes of migration 0007): the spinner turns 4 times a second, the
# counts need not.
PROGRESS_QUERY_SECONDS = 2.0

# After SIGINT/SIGTERM, how long work in flight may hold the process before it ends anyway.
STOP_GRACE_SECONDS = 6.0


class RunStopped(Exception):
    """SIGINT/SIGTERM: the run was recorded cancelled (``still_running``: work in flight remains)."""

    def __init__(self, still_running: bool) -> None:
        super().__init__(still_running)
        self.still_running = still_running


def _exit_stopped(stop_error: RunStopped) -> None:
    """One line, and the exit code a shell expects of a process ended by that signal."""
    from tasks.stopping import PROCESS_STOP

    console.print(
        f"[yellow]stopped[/yellow] by {PROCESS_STOP.signal_name}: the run is recorded cancelled; "
        "the next run picks up what was left"
    )
    if stop_error.still_running:
        # Worker threads (a download waiting on a silent server) would hold the interpreter's
        # exit; the run's records are written, so the process may end here, once the exit
        # handlers have run (they stop Prefect's local API server and the parse processes).
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(PROCESS_STOP.exit_code)
    raise typer.Exit(PROCESS_STOP.exit_code)


class PortalRunFailed(Exception):
    """One portal's run ended Failed (unreachable portal, database gone …): the others still run."""


# Exit codes of `yusuan ingest` (README): 0 every document processed (loaded, unchanged, or
# recorded as quarantined / not a budget); 3 partial: the run finished but some documents
# failed (download or task errors, listed above the totals); 1 a portal's run failed; 2 usage.
EXIT_PARTIAL = 3


@app.command()
def ingest(
    ctx: typer.Context,
    portal_url: Annotated[str | None, typer.Option("--portal", help="Entry URL of a disclosure list")] = None,
    name: Annotated[str | None, typer.Option(help="Portal name (with --config: which portal to run)")] = None,
    group: Annotated[str | None, typer.Option(help="With --config: every portal of this group")] = None,
    config: Annotated[Path | None, typer.Option(help="portals.yaml to take the portals from")] = None,
    max_pages: Annotated[
        int | None, typer.Option(help="Page budget for discovery (default: the portal's in portals.yaml, else 200)")
    ] = None,
    max_documents: Annotated[int | None, typer.Option(help="Stop after this many documents")] = None,
    year: Annotated[list[int] | None, typer.Option(help="Only disclosures naming this year (repeatable)")] = None,
    full_refresh: Annotated[bool, typer.Option(help="Download and parse everything again")] = False,
    region: Annotated[
        str | None, typer.Option(help="With --portal: the portal's region (division code or name, e.g. 河南省郑州市)")
    ] = None,
) -> None:
    """Crawl portals (an entry URL, or portals of portals.yaml) and load their budget disclosures.

    With --config this runs the ``ingest-portals`` flow, as the scheduled deployments do; with
    --portal, one ``ingest`` flow."""
    common = {"max_documents": max_documents, "years": year or None, "full_refresh": full_refresh}
    run_flow: Callable[[], State]
    if config is not None and (name or group):
        from yusuan.discover.registry import load_portals

        names = [name] if name else None
        try:
            load_portals(config).select(group, names)
        except KeyError as exc:
            console.print(f"[red]{exc.args[0]}[/red]")
            raise typer.Exit(2) from exc

        def run_flow() -> State:
            from flows.portals import ingest_portals

            return ingest_portals(
                group=group, portals=names, config_path=str(config), max_pages=max_pages, return_state=True, **common
            )

        label = group or name or ""
    elif portal_url:
        label = name or "portal"

        def run_flow() -> State:
            from prefect import tags

            from flows.ingest import ingest as ingest_flow

            with tags(f"portal:{label}"):  # on the flow run, as a group's runs have (its tasks have none)
                return ingest_flow(
                    portal_url, portal=label, max_pages=max_pages or 200, region=region, return_state=True, **common
                )

    else:
        console.print("[red]give --portal URL, or --config portals.yaml with --name NAME or --group GROUP[/red]")
        raise typer.Exit(2)
    boot = bootstrap(early=ctx.obj)
    url = boot.database_url
    from tasks.stopping import PROCESS_STOP, stop_on_signals

    PROCESS_STOP.on_request(quiet_console)
    with stop_on_signals():
        try:
            state = _run_with_progress(boot, label, run_flow)
        except PortalRunFailed as exc:
            console.print(f"[red]portal run failed[/red] {label}: {exc}")
            raise typer.Exit(1) from exc
        except RunStopped as stopped:
            _exit_stopped(stopped)
    if portal_url and config is None:
        results, failed = _portal_results(state, label, portal_url)
    else:
        results, failed = _group_results(state)
    if results:
        print_summary(merge(results), url)
    if config is not None:
        console.print(f"ingest-portals {label}: {(state.message or state.name).split('; failed: ')[0]}")
    for line in failed:
        console.print(f"[red]portal run failed[/red] {line}")
    if failed:
        raise typer.Exit(1)
    if problems := failed_documents(results):
        console.print(f"[yellow]partial[/yellow]: {problems} documents failed (exit code {EXIT_PARTIAL})")
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def portals(config: Annotated[Path, typer.Option(help="portals.yaml")] = Path("portals.yaml")) -> None:
    """List the portals of portals.yaml."""
    from yusuan.discover.registry import load_portals

    table = Table(title=str(config))
    for column in ("name", "group", "region", "entry URLs", "allowed hosts", "max pages", "per host", "interval s"):
        table.add_column(column)
    for p in load_portals(config).portals:
        hosts = ", ".join(p.allowed_hosts)
        politeness = [
            str(v) if v is not None else "default" for v in (p.per_host_concurrency, p.request_interval_seconds)
        ]
        table.add_row(p.name, p.group, p.region or "", "\n".join(p.entry_urls), hosts, str(p.max_pages), *politeness)
    console.print(table)


# The demo portal's two hosts (the second one serves some attachments), both on loopback.
DEMO_HOSTS: dict[str, Any] = {"allowed_hosts": ["127.0.0.1", "localhost"], "allow_private_addresses": True}


def _demo_run(entry: str, name: str) -> State:
    from flows.ingest import ingest as ingest_flow

    return ingest_flow(entry, portal=name, max_pages=500, return_state=True, **DEMO_HOSTS)


@app.command()
def demo(
    ctx: typer.Context,
    extra_pdf_dir: Annotated[
        Path | None, typer.Option(help="Also publish every PDF under this folder on the demo portal")
    ] = None,
    port: Annotated[int, typer.Option(help="Port of the demo portal (a busy port falls back to a free one)")] = 18765,
) -> None:
    """Start the bundled demo portal and ingest it end to end."""
    from tasks.stopping import PROCESS_STOP, stop_on_signals
    from yusuan.demo.server import serve

    boot = bootstrap(early=ctx.obj)
    url = boot.database_url
    PROCESS_STOP.on_request(quiet_console)
    results = []
    with serve("127.0.0.1", port, extra_pdf_dir, fallback_to_free_port=True) as portal:
        console.print(f"demo portals at {portal.base_url}: " + ", ".join(portal.entry_urls()))
        if not portal.base_url.endswith(f":{port}"):
            console.print(f"[yellow]port {port} is busy[/yellow]: files will count as new sources")
        with stop_on_signals():
            for name, entry in portal.entry_urls().items():
                try:
                    state = _run_with_progress(boot, name, partial(_demo_run, entry, name))
                except PortalRunFailed as exc:
                    console.print(f"[red]ingest failed[/red]: {exc}")
                    raise typer.Exit(1) from exc
                except RunStopped as stopped:
                    _exit_stopped(stopped)
                done, failed = _portal_results(state, name, entry)
                if failed:
                    console.print(f"[red]ingest failed[/red]: {failed[0]}")
                    raise typer.Exit(1)
                results += done
    print_summary(merge(results), url)


@app.command()
def backfill(
    ctx: typer.Context,
    agency: Annotated[str | None, typer.Option(help="Only this agency")] = None,
    year: Annotated[int | None, typer.Option(help="Only this fiscal year")] = None,
    older_than: Annotated[str | None, typer.Option(help="Only documents extracted by an older version")] = None,
    force: Annotated[bool, typer.Option(help="Re-extract every selected document")] = False,
) -> None:
    """Re-extract and re-load stored raw PDFs with the current extractor (no downloads)."""
    boot = bootstrap(early=ctx.obj)
    from flows.backfill import backfill as backfill_flow

    boot.wait_for_prefect()
    with boot.flow_settings():
        state = backfill_flow(
            agency_name=agency, fiscal_year=year, older_than_version=older_than, force=force, return_state=True
        )
    table = Table(title="backfill")
    for column in ("document", "agency", "year", "was", "action", "facts", "detail"):
        table.add_column(column)
    for row in state.result():
        table.add_row(
            *[
                str(row[key] if row[key] is not None else "")
                for key in ("document_id", "agency", "year", "was", "action", "facts", "detail")
            ]
        )
    console.print(table)
    console.print(state.message)


@app.command("prune-cache")
def prune_cache() -> None:
    """Delete expired parse results from the cache (the flows also do it at the end of each run)."""
    from storage.object_store import object_store_of
    from storage.result_cache import prune_parse_results

    settings = load_settings()
    place, report = prune_parse_results(settings.results_dir, object_store_of(settings), datetime.now(UTC))
    console.print(f"{place}: {report}")


@portal_app.command("serve")
def portal_serve(
    host: str = "127.0.0.1",
    port: int = 18765,
    extra_pdf_dir: Annotated[Path | None, typer.Option(help="Also publish every PDF under this folder")] = None,
) -> None:
    """Serve the demo portal until interrupted."""
    from yusuan.demo.server import serve

    server = serve(host, port, extra_pdf_dir)
    console.print(f"demo portal at {server.entry_url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured (or embedded) database."""
    bootstrap(runs_flows=False)
    console.print("migrations applied")


if __name__ == "__main__":
    app()
