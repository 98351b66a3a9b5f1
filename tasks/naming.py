"""Task-run names that say which document a run works on: the link among its inputs (a
``DisclosureLink``, or the ``link`` of a ``FetchedFile``)."""

from __future__ import annotations

from collections.abc import Callable

from prefect.runtime import task_run


def document_run_name(stage: str) -> Callable[[], str]:
    def name() -> str:
        for value in task_run.parameters.values():
            link = getattr(value, "link", None) or (value if hasattr(value, "link_text") else None)
            if link is not None:
                return f"{stage} {link.link_text or link.url}"
        return stage

    return name


def shared_run_name(stage: str, parameter: str) -> Callable[[], str]:
    """A shared task run's name: ``stage``, the first document of its ``parameter`` (links, or
    records with a ``link``), and how many more it holds."""

    def name() -> str:
        items = task_run.parameters.get(parameter) or ()
        if not items:
            return stage
        first = getattr(items[0], "link", items[0])
        more = f" and {len(items) - 1} more" if len(items) > 1 else ""
        return f"{stage} {first.link_text or first.url}{more}"

    return name
