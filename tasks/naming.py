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


def documents_run_name() -> str:
    """A shared task run's name: its first document, and how many more it holds."""
    links = task_run.parameters.get("links") or ()
    if not links:
        return "documents"
    first = links[0].link_text or links[0].url
    return f"documents {first} and {len(links) - 1} more" if len(links) > 1 else f"documents {first}"
