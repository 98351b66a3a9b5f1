"""What Prefect's Dask task runner sends to a worker pickles.

prefect-dask pickles a task's function by value (its module attribute is the Task, not the
function), and with it the run's context, which holds the flow: the flow's function too, by
value, with every global it names. A flow or task function that names something unpicklable (a
ContextVar, a lock) fails every task of a run on Dask, and only the slow Dask tests would say so.
"""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle
import pytest

from flows.backfill import backfill
from flows.ingest import ingest
from flows.portals import ingest_portals
from tasks.context import RunContext
from tasks.discover import discover_task
from tasks.document import document_task
from tasks.revalidate import revalidate_task
from yusuan.settings import load_settings


@pytest.mark.parametrize(
    "prefect_object", [ingest, ingest_portals, backfill, discover_task, document_task, revalidate_task]
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
