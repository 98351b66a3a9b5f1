"""The ``ingest-portals`` flow: every portal of a group of ``portals.yaml``, one ``ingest`` subflow
per entry URL. This is what the scheduled deployments run (one deployment per group).

Portals run one after the other: each subflow already maps its documents over the task runner,
and per-host politeness, not the number of portals, bounds how fast a portal may be crawled. A
portal that fails does not stop the others; the run ends Failed, naming it, once all have run.
SIGINT/SIGTERM stop the portal running (recorded cancelled) and start no other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, tags
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.logging import get_run_logger
from prefect.states import Cancelled, Completed, Failed, State

from flows.ingest import ingest
from tasks.stopping import stop_on_signals
from yusuan.discover.registry import PortalConfig, load_portals

# The key of a row that holds its entry's whole run summary (documents, changes, totals).
RUN_SUMMARY = "summary"


@flow(name="ingest-portals", flow_run_name="ingest-portals {group}", validate_parameters=True)
def ingest_portals(
    group: str | None = None,
    portals: list[str] | None = None,
    config_path: str = "portals.yaml",
    years: list[int] | None = None,
    max_documents: int | None = None,
    full_refresh: bool = False,
    max_pages: int | None = None,
    per_host_concurrency: int | None = None,
    request_interval_seconds: float | None = None,
) -> State:
    """Ingest the portals of ``group`` (or those named in ``portals``) from ``config_path``.

    The limits (``max_documents`` per entry URL, ``max_pages`` of discovery, ``per_host_concurrency``
    and ``request_interval_seconds``) override what portals.yaml and the settings say, for every
    portal of this run.
    """
    logger = get_run_logger()
    chosen = load_portals(Path(config_path)).select(group, portals)
    rows: list[dict[str, object]] = []
    failed: list[str] = []
    entries = sum(len(portal.entry_urls) for portal in chosen)
    progress = create_progress_artifact(
        0.0, key=f"ingest-portals-{group or 'selection'}-progress", description=f"Portal entries done of {entries}"
    )
    with stop_on_signals() as stop:
        for portal, entry_url in ((p, e) for p in chosen for e in p.entry_urls):
            if stop.is_set():
                break
            with tags(f"group:{portal.group}", f"portal:{portal.name}"):
                state = ingest(
                    entry_url,
                    portal=portal.name,
                    years=years,
                    max_documents=max_documents,
                    full_refresh=full_refresh,
                    return_state=True,
                    **ingest_parameters(portal, max_pages, per_host_concurrency, request_interval_seconds),
                )
            row: dict[str, object] = {"portal": portal.name, "entry_url": entry_url, "state": state.name}
            if state.is_completed():
                summary = state.result()
                # The totals for the table, the whole summary for whoever called (the CLI).
                row |= summary["totals"] | {RUN_SUMMARY: summary}  # type: ignore[index,operator]
            elif not state.is_cancelled():
                row["error"] = state.message or state.name
                failed.append(f"{portal.name} ({entry_url}): {row['error']}")
            rows.append(row)
            update_progress_artifact(progress, 100.0 * len(rows) / entries)
            logger.info("%s %s: %s", portal.name, entry_url, state.message or state.name)
    create_table_artifact(
        key=f"ingest-portals-{group or 'selection'}",
        table=[{k: v for k, v in row.items() if k != RUN_SUMMARY} for row in rows],
        description="One row per portal entry URL",
    )
    loaded = sum(int(row.get("loaded", 0)) for row in rows)  # type: ignore[call-overload]
    message = f"{len(rows) - len(failed)} of {len(rows)} portal entries ingested, {loaded} documents loaded"
    partial = [f"{row['portal']} ({row['entry_url']})" for row in rows if row["state"] == "Partial"]
    if partial:
        message += "; with failed documents: " + "; ".join(partial)
    if stop.is_set():
        left = entries - sum(1 for row in rows if row["state"] != "Cancelled")
        stopped = f"stopped by {stop.signal_name}: {message}; {left} of {entries} entries not run or not finished"
        return Cancelled(message=stopped, data={"rows": rows, "signal": stop.signal_name, "exit_code": stop.exit_code})
    if failed:
        return Failed(message=f"{message}; failed: " + "; ".join(failed), data=rows)
    return Completed(name="Partial" if partial else "Completed", message=message, data=rows)


def ingest_parameters(
    portal: PortalConfig,
    max_pages: int | None = None,
    per_host_concurrency: int | None = None,
    request_interval_seconds: float | None = None,
) -> dict[str, Any]:
    """The ``ingest`` parameters a portals.yaml entry sets, with the run's overrides on top: the
    one mapping from a portal entry to a run, for this flow and the CLI alike."""
    return {
        "max_pages": max_pages or portal.max_pages,
        "allowed_hosts": portal.allowed_hosts or None,
        "per_host_concurrency": per_host_concurrency or portal.per_host_concurrency,
        "request_interval_seconds": _first_set(request_interval_seconds, portal.request_interval_seconds),
        "region": portal.region,
        "attachment_hosts": portal.attachment_hosts or None,
        "allow_private_addresses": portal.allow_private_addresses,
    }


def _first_set(*values: float | None) -> float | None:
    # 0 is a real interval (no spacing), so `or` would not do.
    return next((value for value in values if value is not None), None)
