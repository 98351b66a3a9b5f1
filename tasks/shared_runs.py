"""A task run that several documents share (a run's ``documents``, a backfill's ``re-extract``):
each document's outcome is its own, what it gave or what it raised; the task run's state says
which failed and why."""

from __future__ import annotations

from typing import Any, TypeVar

from prefect.futures import PrefectFuture
from prefect.states import Failed, State

T = TypeVar("T")


def shared_state(outcomes: list[T], failures: list[str]) -> list[T] | State:
    """``outcomes`` as the task run's result; Failed, with them as its data, when ``failures``
    (one line per failed document) is not empty."""
    if not failures:
        return outcomes
    return Failed(message=f"{len(failures)} of {len(outcomes)} documents failed: " + "; ".join(failures), data=outcomes)


def outcomes_of(future: PrefectFuture[Any], count: int) -> list[Any]:
    """Each document's outcome of a finished shared task run (Failed when one failed: its data
    holds them all); a task run that ended without them (crashed) is every document's failure."""
    try:
        value = future.result(raise_on_failure=False)
    except Exception as exc:  # noqa: BLE001 - reported per document, the run goes on
        value = exc
    if isinstance(value, list) and len(value) == count:
        return value
    failure = value if isinstance(value, Exception) else RuntimeError(f"the task run gave {value!r}")
    return [failure] * count
