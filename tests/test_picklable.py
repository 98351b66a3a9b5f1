"""What Prefect's Dask task runner sends to a worker pickles.

prefect-dask pickles a task's function by value (its module attribute is the Task, not the
function), and with it the run's context, which holds the flow: the flow's function too, by
value, with every global it names. A flow or task function that names something unpicklable (a
ContextVar, a lock) fails every task of a run on Dask, and only the slow Dask tests would say so.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator
from typing import Any

import cloudpickle
import pytest

from flows.backfill import backfill
from flows.ingest import ingest
from flows.portals import ingest_portals
from tasks.context import RunContext
from tasks.discover import discover_task
from tasks.document import document_task, documents_task
from tasks.revalidate import revalidate_task
from yusuan.settings import load_settings


@pytest.mark.parametrize(
    "prefect_object", [ingest, ingest_portals, backfill, discover_task, document_task, documents_task, revalidate_task]
)
def test_flow_and_task_functions_pickle_by_value(prefect_object: Any) -> None:
    function = prefect_object.fn
    # By value, as a worker gets it: the module's attribute of that name is the Flow or Task.
    restored = pickle.loads(cloudpickle.dumps(function))
    assert restored.__qualname__ == function.__qualname__ and restored is not function


def test_a_run_context_with_shared_limits_pickles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUSUAN_GLOBAL_LIMITS", "on")
    ctx = RunContext.for_run(load_settings(), "run", "postgresql://localhost/x", "portal")
    assert ctx.limits.shared
    restored = pickle.loads(cloudpickle.dumps(ctx))
    assert (restored.run_id, restored.limits, restored.in_group) == ("run", ctx.limits, False)


# --------------------------------------------------------------- parsed documents


@pytest.fixture(scope="module")
def parsed_document() -> Any:
    import hashlib

    from tests.conftest import ASSETS
    from yusuan.extract.document import extract_document

    path = ASSETS / "zhengzhou-yibao-2023.pdf"
    return extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)


def _records(value: Any) -> Iterator[Any]:
    """Every dataclass instance within ``value``, itself included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in dataclasses.fields(value):
            yield from _records(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _records(item)


def test_a_parsed_document_pickles_to_an_equal_one_and_back(parsed_document: Any) -> None:
    kinds = {type(r).__name__ for r in _records(parsed_document)}
    assert {"TableRow", "Lineage", "FunctionLine", "EconomicLine", "Figure", "Check"} <= kinds
    for dump in (pickle.dumps, cloudpickle.dumps):
        assert pickle.loads(dump(parsed_document)) == parsed_document


def test_frozen_records_of_a_parsed_document_pickle_by_position(parsed_document: Any) -> None:
    """dataclasses' own pickling of a frozen slotted class calls ``fields`` per instance, a
    parsed document's thousands of them, three times on its way (pickled_by_position). A
    record class added without the decorator fails here."""
    for record in _records(parsed_document):
        cls = type(record)
        if cls.__dataclass_params__.frozen and hasattr(cls, "__slots__"):  # type: ignore[attr-defined]
            assert cls.__getstate__ is not dataclasses._dataclass_getstate, cls.__name__  # type: ignore[attr-defined]
            names = [f.name for f in dataclasses.fields(cls)]
            assert list(record.__getstate__()) == [getattr(record, n) for n in names]


def test_a_record_pickled_by_dataclasses_loads_and_a_short_one_is_refused() -> None:
    from yusuan.models import Lineage, TableRow

    row = TableRow(3, 2, ("支出", "1.00"), (1.0, 2.0, 3.0, 4.0))
    # What dataclasses' own __getstate__ wrote (parse caches from before): a list in field order.
    restored = object.__new__(TableRow)
    restored.__setstate__([3, 2, ("支出", "1.00"), (1.0, 2.0, 3.0, 4.0)])
    assert restored == row and pickle.loads(pickle.dumps(row)) == row
    assert pickle.loads(pickle.dumps(Lineage(1, 2, 3))) == Lineage(1, 2, 3)
    with pytest.raises(ValueError, match="2 values pickled for 4 fields"):
        object.__new__(TableRow).__setstate__([3, 2])
