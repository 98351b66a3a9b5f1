"""Pickling of the frozen records that pass between processes (a parse process and the flow, a
Dask worker) and into the parse cache."""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

_Record = TypeVar("_Record", bound=type)


def pickled_by_position(cls: _Record) -> _Record:
    """Pickle a frozen slotted dataclass as the tuple of its fields in order, read through names
    fixed once per class.

    ``dataclass(frozen=True, slots=True)`` pickles an instance with ``fields(self)`` for every
    instance, both ways. A parsed document holds thousands of rows and lines, and it is pickled
    three times on its way (the parse process to the flow, into the parse cache, out of it): in a
    flow process loading real budgets, ``fields`` was 7 % of all its CPU. The state is the same
    sequence of values in field order as dataclasses' own (a list there, a tuple here), so
    pickles written either way load either way."""
    names = tuple(f.name for f in fields(cls))
    set_field = object.__setattr__  # frozen: its own __setattr__ refuses
    state_of = attrgetter(*names)
    if len(names) == 1:
        single = state_of
        state_of = lambda record: (single(record),)  # noqa: E731 - attrgetter of one name gives no tuple

    def __getstate__(self: Any) -> tuple[Any, ...]:
        return state_of(self)

    def __setstate__(self: Any, state: tuple[Any, ...] | list[Any]) -> None:
        if len(state) != len(names):
            raise ValueError(f"{cls.__name__}: {len(state)} values pickled for {len(names)} fields")
        for name, value in zip(names, state):  # noqa: B905 - lengths checked above
            set_field(self, name, value)

    cls.__getstate__ = __getstate__  # type: ignore[attr-defined]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]
    return cls
