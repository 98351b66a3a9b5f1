"""A value handed to a task run as one object, never walked through by Prefect.

Before every task run Prefect walks each input through and through, twice (looking for futures
to wait on and for upstream runs to record), and a dataclass field by field: a parsed budget is
thousands of objects, so its load cost the flow 90 ms of CPU per real document, 27 % of a first
run's flow process's busy samples (bench/throughput.py under py-spy). Prefect's own ``quote`` stops the walk but
is a tuple, and Dask's graph packing turns a tuple subclass into a bare tuple, so a task under
the Dask runner would receive ``(doc,)``. ``AsIs`` is neither a collection nor a dataclass: to
Prefect and to Dask it is one object.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class AsIs(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"AsIs({type(self.value).__name__})"
