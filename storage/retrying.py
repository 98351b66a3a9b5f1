"""Database faults are transient: every touch of the database retries, within a time budget.

A Postgres restart (a failover, a minor upgrade, a container rescheduled) takes seconds to a
minute or two; a run that gave up on the first refused connection would lose every document in
flight. Each unit of work is one transaction, retried whole: a connection lost half way rolls
back on the server, so a retry never doubles a row. Past the budget the error is final, and it
says what was being done and why, in one line.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.database import engine_for
from yusuan.errors import one_line

log = logging.getLogger(__name__)

T = TypeVar("T")

# Connection lost or refused (08…), server shutting down or starting (57P01-57P03), too many
# connections (53300), serialization failures and deadlocks (40001, 40P01).
TRANSIENT_SQLSTATES = frozenset({"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03", "53300"})
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})


class DatabaseUnavailable(Exception):
    """The database stayed unreachable past the retry budget (or refused for good)."""


class Interrupt(Protocol):
    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the run is stopping (stop waiting)."""
        ...


@dataclass(frozen=True, slots=True)
class DbRetry:
    """How long one unit of work keeps trying while the database is away."""

    budget_seconds: float = 180.0
    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 10.0
    # A stopping run does not wait out the budget (tasks.stopping.PROCESS_STOP).
    interrupt: Interrupt | None = field(default=None, compare=False)

    def sleep(self, seconds: float) -> bool:
        """Wait between two attempts; False when the run is stopping."""
        if self.interrupt is None:
            time.sleep(seconds)
            return True
        return not self.interrupt.wait(seconds)

    def delay(self, attempt: int) -> float:
        # Full jitter: many tasks waiting on the same restart do not reconnect in lockstep.
        return random.uniform(0, min(self.max_delay_seconds, self.first_delay_seconds * 2 ** (attempt - 1)))


def sqlstate(exc: BaseException) -> str:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) or ""


def is_transient(exc: BaseException, also: frozenset[str] = frozenset()) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    code = sqlstate(exc)
    if code in TRANSIENT_SQLSTATES | CONFLICT_SQLSTATES | also:
        return True
    # A refused or dropped connection often comes with no SQLSTATE at all.
    return (isinstance(exc, OperationalError) and not code) or bool(exc.connection_invalidated)


def with_retries(what: str, attempt: Callable[[], T], retry: DbRetry, also: frozenset[str] = frozenset()) -> T:
    """Call ``attempt`` until it succeeds, a non-transient error, or the budget is spent."""
    deadline = time.monotonic() + retry.budget_seconds
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except DBAPIError as exc:
            remaining = deadline - time.monotonic()
            if not is_transient(exc, also):
                raise
            if remaining <= 0:
                spent = f"{retry.budget_seconds:.0f} s, {tries} attempts"
                raise DatabaseUnavailable(f"{what}: database unavailable ({spent}): {one_line(exc)}") from exc
            wait = min(remaining, retry.delay(tries))
            log.warning("%s: %s; retrying in %.1f s", what, one_line(exc), wait)
            if not retry.sleep(wait):
                raise DatabaseUnavailable(f"{what}: the run is stopping: {one_line(exc)}") from exc


def in_transaction(
    database_url: str,
    what: str,
    work: Callable[[Connection], T],
    retry: DbRetry,
    also: frozenset[str] = frozenset(),
) -> T:
    """Run ``work`` in one transaction, retried whole on transient faults."""

    def attempt() -> T:
        with engine_for(database_url).begin() as conn:
            return work(conn)

    return with_retries(what, attempt, retry, also)
