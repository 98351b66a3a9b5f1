"""What the command line prints: the console, the run summary and the current totals."""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.table import Table

from flows.summary import NEEDS_ATTENTION
from storage.progress import current_totals
from yusuan.models import Outcome

# Piped output (CI logs, `make demo | tee`) gets a width that fits the tables instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)


def quiet_console() -> None:
    """After a stop, the console gets one line from us: what the stopping tasks log (a parse
    abandoned, a download cut) still reaches the run's log in the Prefect API."""
    for logger in (logging.getLogger(), logging.getLogger("prefect"), logging.getLogger("yusuan")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):  # Prefect's console handler is on the root
                handler.setLevel(logging.CRITICAL)


def failed_documents(results: list[dict]) -> int:
    return sum(1 for r in results for d in r["documents"] if Outcome(d["outcome"]).is_failure)


def print_summary(result: dict, url: str) -> None:
    totals = result["totals"]
    table = Table(title="Run summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "documents_found",
        "skipped_by_year",
        "downloaded",
        "not_modified",
        "not_requested",
        "loaded",
        "unchanged",
        "quarantined",
        "not_budget",
        "download_failed",
        "failed",
        "facts",
        "seconds",
    ):
        table.add_row(key.replace("_", " "), str(totals.get(key, 0)))
    console.print(table)
    problems = [d for d in result["documents"] if d["outcome"] in NEEDS_ATTENTION]
    for d in problems:
        console.print(f"[yellow]{d['outcome']}[/yellow] {d['link_text'] or d['url']}: {d['detail']}")

    changes = result.get("changes") or {}
    if any(changes.values()):
        console.print("changes at the portal: " + ", ".join(f"{n} {kind}" for kind, n in changes.items() if n))
    rows = current_totals(url)
    totals_table = Table(title="budget.totals (yuan)")
    for column in ("agency", "year", "kind", "income", "expenditure", "basic", "project", "三公"):
        totals_table.add_column(column, justify="left" if column in ("agency", "kind") else "right")
    for row in rows:
        totals_table.add_row(
            *[("" if v is None else f"{v:,}" if not isinstance(v, str | int) else str(v)) for v in row]
        )
    console.print(totals_table)


def merge(results: list[dict]) -> dict:
    """One summary over several portal runs."""
    totals: dict[str, float] = {}
    for result in results:
        for key, value in result["totals"].items():
            totals[key] = round(totals.get(key, 0) + value, 2)
    changes: dict[str, int] = {}
    for result in results:
        for key, value in (result.get("changes") or {}).items():
            changes[key] = changes.get(key, 0) + value
    return {"totals": totals, "changes": changes, "documents": [d for r in results for d in r["documents"]]}
