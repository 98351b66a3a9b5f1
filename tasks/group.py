"""What a group run (flows.portals) sets up once for all its entries' ``ingest`` runs.

A group crawls hundreds of portals, each entry a subflow run. What does not depend on the
portal (the parse slots, the parse results' storage block, the server-wide extraction limit)
is the group's: asked of the Prefect API once, not once per entry (bench/national.py: two
requests per entry), and the slots are one budget of cores however many portals run at once.
A flow parameter must be a plain value Prefect can record, so the group hands this to its
subflows through the context they inherit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from prefect.logging import get_run_logger

from storage.object_store import ObjectStore
from tasks.limits import EXTRACTION_LIMIT, LimitPlan, ParseSlots, ensure_extraction_limit
from tasks.result_storage import ResultStorage, ensure_result_storage


@dataclass(frozen=True, slots=True)
class GroupSetup:
    parse_slots: ParseSlots
    result_storage: ResultStorage


# Unset outside a group: a run then sets up its own. Read through ``current_group``: a flow
# function that named the variable itself could not be sent to a Dask worker (Prefect's Dask
# runner pickles the flow's function by value, with the globals it names, and a ContextVar does
# not pickle).
_GROUP_SETUP: ContextVar[GroupSetup | None] = ContextVar("GROUP_SETUP", default=None)


def current_group() -> GroupSetup | None:
    """The setup of the group run this run is an entry of; None for a run on its own."""
    return _GROUP_SETUP.get()


def _set_up_shared(plan: LimitPlan, results_dir: Path, objects: ObjectStore | None) -> ResultStorage:
    """The server-wide extraction limit and the parse results' block: what a group sets up once
    for its entries, and a run on its own for itself."""
    ensure_extraction_limit(plan)
    if plan.shared:
        get_run_logger().info(
            "global concurrency limits on (shared Prefect server): %s, yusuan-host-*", EXTRACTION_LIMIT
        )
    return ensure_result_storage(results_dir, objects)


def run_result_storage(plan: LimitPlan, results_dir: Path, objects: ObjectStore | None) -> ResultStorage:
    """The parse results' block of a run: its group's, or set up now (with the extraction
    limit) for a run on its own."""
    group = current_group()
    return group.result_storage if group is not None else _set_up_shared(plan, results_dir, objects)


@contextmanager
def group_setup(plan: LimitPlan, results_dir: Path, objects: ObjectStore | None) -> Iterator[GroupSetup]:
    """Set up once what the group's entries share, for the runs started inside this block;
    the parse slots are closed when it ends."""
    setup = GroupSetup(ParseSlots.for_plan(plan), _set_up_shared(plan, results_dir, objects))
    token = _GROUP_SETUP.set(setup)
    try:
        yield setup
    finally:
        _GROUP_SETUP.reset(token)
        setup.parse_slots.close()
