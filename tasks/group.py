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

from storage.object_store import ObjectStore
from tasks.limits import LimitPlan, ParseSlots, ensure_extraction_limit
from tasks.result_storage import ResultStorage, ensure_result_storage


@dataclass(frozen=True, slots=True)
class GroupSetup:
    parse_slots: ParseSlots
    result_storage: ResultStorage


# Unset outside a group: a run then sets up its own.
GROUP_SETUP: ContextVar[GroupSetup | None] = ContextVar("GROUP_SETUP", default=None)


@contextmanager
def group_setup(plan: LimitPlan, results_dir: Path, objects: ObjectStore | None) -> Iterator[GroupSetup]:
    """Set up once what the group's entries share, for the runs started inside this block;
    the parse slots are closed when it ends."""
    ensure_extraction_limit(plan)
    setup = GroupSetup(ParseSlots.for_plan(plan), ensure_result_storage(results_dir, objects))
    token = GROUP_SETUP.set(setup)
    try:
        yield setup
    finally:
        GROUP_SETUP.reset(token)
        setup.parse_slots.close()
