"""When documents share a task run (flows/documents.py): only while every parse slot is busy
with a parse waiting behind it, and never so that the end of a run waits on one task run."""

from __future__ import annotations

import threading
import time

from flows.backfill import shared_runs
from flows.documents import shared_run_size
from tasks.limits import ParseSlots
from tasks.shared_runs import outcomes_of


def test_documents_go_alone_while_the_parse_slots_are_not_saturated() -> None:
    # No more waiting than the window holds: alone, at once.
    assert [shared_run_size(n, 10, 10, 4, saturated=False, final=False) for n in (1, 3, 10)] == [1, 1, 1]
    # More: spread over the window, at most 4 a task run.
    assert shared_run_size(12, 4, 10, 4, saturated=False, final=False) == 2
    assert shared_run_size(30, 10, 10, 4, saturated=False, final=False) == 3
    assert shared_run_size(100, 2, 10, 4, saturated=False, final=False) == 4
    assert shared_run_size(5, 0, 10, 4, saturated=False, final=False) == 0
    assert shared_run_size(0, 5, 10, 4, saturated=False, final=False) == 0


def test_documents_gather_while_the_parse_slots_are_saturated() -> None:
    assert [shared_run_size(n, 10, 10, 4, saturated=True, final=False) for n in (1, 2, 3)] == [0, 0, 0]
    assert shared_run_size(4, 10, 10, 4, saturated=True, final=False) == 4
    assert shared_run_size(9, 1, 10, 4, saturated=True, final=False) == 4
    # The crawl is over: task runs shrink with what is left, so that no long one holds the end.
    assert [shared_run_size(n, 1, 10, 4, saturated=True, final=True) for n in (40, 25, 11, 10, 3)] == [4, 3, 2, 1, 1]
    # One document a task run asked for: never more.
    assert shared_run_size(9, 1, 10, 1, saturated=True, final=False) == 1


def test_parse_slots_count_the_parses_running_and_waiting() -> None:
    slots = ParseSlots(2)
    release = threading.Event()
    entered = threading.Semaphore(0)

    def parse() -> None:
        with slots.slot():
            entered.release()
            release.wait(5)

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads[:3]:
        thread.start()
    for _ in range(2):
        assert entered.acquire(timeout=5)
    deadline = time.monotonic() + 5
    while slots.demand < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slots.demand == 3 and not slots.saturated  # two parsing, one waiting
    threads[3].start()
    while slots.demand < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slots.demand == 4 and slots.saturated  # a parse waiting behind each slot
    release.set()
    for thread in threads:
        thread.join(5)
    assert slots.demand == 0 and not slots.saturated


def test_a_backfill_shares_task_runs_that_shrink_towards_its_end() -> None:
    chosen = [object() for _ in range(30)]
    runs = shared_runs(chosen, window=10, most=4)  # type: ignore[arg-type]
    assert [len(run) for run in runs] == [3, 3, 3, 3, 2, 2, 2, 2] + [1] * 10
    assert [item for run in runs for item in run] == chosen  # each once, in order
    assert [len(run) for run in shared_runs(chosen[:3], window=10, most=4)] == [1, 1, 1]  # type: ignore[arg-type]
    assert shared_runs([], window=10, most=4) == []
    assert {len(run) for run in shared_runs(chosen, window=10, most=1)} == {1}  # type: ignore[arg-type]


class _Ended:
    """A finished future's answer to ``result(raise_on_failure=False)``."""

    def __init__(self, value: object) -> None:
        self.value = value

    def result(self, raise_on_failure: bool = True) -> object:
        assert raise_on_failure is False
        return self.value


def test_a_shared_task_run_that_ended_without_its_outcomes_fails_each_of_its_documents() -> None:
    crash = RuntimeError("worker died")
    assert outcomes_of(_Ended(crash), 3) == [crash, crash, crash]  # type: ignore[arg-type]
    odd = outcomes_of(_Ended([1]), 2)  # type: ignore[arg-type]
    assert len(odd) == 2 and all(isinstance(o, RuntimeError) and "gave [1]" in str(o) for o in odd)
    outcomes = [ValueError("404"), "done"]
    assert outcomes_of(_Ended(outcomes), 2) == outcomes  # type: ignore[arg-type]
