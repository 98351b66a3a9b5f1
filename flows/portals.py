"""The ``ingest-portals`` flow: every portal of a group of ``portals.yaml``, one ``ingest`` subflow
per entry URL. This is what the scheduled deployments run (one deployment per group).

Entries run in lanes (``yusuan.discover.lanes``): entries that can reach a common host run one
after the other, so each host sees one run's politeness at a time; lanes share no host and run
side by side, up to ``portal_concurrency`` at once, all drawing on one set of parse slots (the
cores). A group on many hosts then takes about as long as its busiest host, not the sum of its
hosts: what a re-check of a whole province, every request waiting on politeness, needs.
A portal that fails does not stop the others; the run ends Failed, naming it, once all have run.
SIGINT/SIGTERM stop the portals running (recorded cancelled) and start no other.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect import flow, tags
from prefect.artifacts import create_table_artifact
from prefect.logging import get_run_logger
from prefect.states import Cancelled, Completed, Failed, State

from flows.heartbeats import WithoutHeartbeats
from flows.ingest import ingest
from flows.progress import ProgressArtifact, ThrottledProgress
from storage.object_store import object_store_of
from tasks.extract import prune_parse_cache
from tasks.group import group_setup
from tasks.limits import LimitPlan
from tasks.stopping import StopRequest, stop_on_signals
from yusuan.discover.lanes import PortalEntry, host_lanes, portal_entries
from yusuan.discover.registry import PortalConfig, load_portals
from yusuan.errors import one_line
from yusuan.settings import load_settings

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
    portal_concurrency: int | None = None,
) -> State:
    """Ingest the portals of ``group`` (or those named in ``portals``) from ``config_path``.

    The limits (``max_documents`` per entry URL, ``max_pages`` of discovery, ``per_host_concurrency``
    and ``request_interval_seconds``) override what portals.yaml and the settings say, for every
    portal of this run. ``portal_concurrency`` (default: the setting, 4) bounds the entries
    crawled at once; entries that can reach a common host never run at the same time.
    """
    logger = get_run_logger()
    settings = load_settings()
    entries = portal_entries(load_portals(Path(config_path)).select(group, portals))
    lanes = host_lanes(entries)
    at_once = max(1, min(portal_concurrency or settings.portal_concurrency, len(lanes)))
    key = f"ingest-portals-{group or 'selection'}"
    # Written when an entry ends, at most every 5 s: a group of small entries ends one a second.
    progress = ThrottledProgress(ProgressArtifact(f"{key}-progress", f"Portal entries done of {len(entries)}"), 5.0)
    done: dict[int, dict[str, object]] = {}
    lock = threading.Lock()
    common = {"years": years, "max_documents": max_documents, "full_refresh": full_refresh}
    limits = (max_pages, per_host_concurrency, request_interval_seconds)
    without_heartbeats = WithoutHeartbeats()

    def run_lane(lane: list[PortalEntry], stop: StopRequest) -> None:
        for entry in lane:
            if stop.is_set():
                return
            row = _run_entry(entry, common, ingest_parameters(entry.portal, *limits), without_heartbeats)
            with lock:
                done[entry.position] = row
                progress(len(done) / len(entries))

    if at_once > 1:
        logger.info("%d portal entries in %d lanes of distinct hosts, %d at once", len(entries), len(lanes), at_once)
    objects = object_store_of(settings)
    with group_setup(LimitPlan.from_settings(settings), settings.results_dir, objects):
        with stop_on_signals() as stop:
            if at_once == 1:
                for lane in lanes:
                    run_lane(lane, stop)
            else:
                with ThreadPoolExecutor(at_once, thread_name_prefix="portal-lane") as pool:
                    # Each lane gets its own copy of this flow's context: its subflows are this
                    # run's children, and they find the group's setup there.
                    lane_runs = [pool.submit(contextvars.copy_context().run, run_lane, lane, stop) for lane in lanes]
                    for lane_run in lane_runs:
                        lane_run.result()
    progress.flush()
    # Once for the whole group: its entries leave the parse cache to it (RunContext.prunes_parse_cache).
    try:
        prune_parse_cache(settings.results_dir, objects)
    except Exception as exc:  # noqa: BLE001 - housekeeping: the entries' outcomes stand
        logger.warning("parse cache not pruned: %s", one_line(exc))
    rows = [done[position] for position in sorted(done)]
    create_table_artifact(
        key=key,
        table=[{k: v for k, v in row.items() if k != RUN_SUMMARY} for row in rows],
        description="One row per portal entry URL",
    )
    return _final_state(rows, len(entries), stop)


def _run_entry(
    entry: PortalEntry, common: dict[str, Any], parameters: dict[str, Any], without_heartbeats: WithoutHeartbeats
) -> dict[str, object]:
    """Run one entry's ``ingest`` subflow; its table row (with its summary when it completed)."""
    portal = entry.portal
    row: dict[str, object] = {"portal": portal.name, "entry_url": entry.entry_url}
    # No heartbeats of its own (flows.heartbeats): the group's run, in this process, has them.
    with tags(f"group:{portal.group}", f"portal:{portal.name}"), without_heartbeats():
        try:
            state = ingest(entry.entry_url, portal=portal.name, return_state=True, **common, **parameters)
        except Exception as exc:  # noqa: BLE001 - a subflow that could not start fails its entry only
            return row | {"state": "Crashed", "error": one_line(exc)}
    row["state"] = state.name
    get_run_logger().info("%s %s: %s", portal.name, entry.entry_url, state.message or state.name)
    if state.is_completed():
        summary = state.result()
        # The totals for the table, the whole summary for whoever called (the CLI).
        row |= summary["totals"] | {RUN_SUMMARY: summary}  # type: ignore[index,operator]
    elif not state.is_cancelled():
        row["error"] = state.message or state.name
    return row


def _final_state(rows: list[dict[str, object]], entries: int, stop: StopRequest) -> State:
    failed = [f"{row['portal']} ({row['entry_url']}): {row['error']}" for row in rows if "error" in row]
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
