"""Task-run names that say which document a run works on, whatever its inputs turned out to be."""

from __future__ import annotations

from collections.abc import Callable

from prefect.runtime import task_run


def document_run_name(stage: str) -> Callable[[], str]:
    def name() -> str:
        params = task_run.parameters
        link = params.get("link")
        if link is not None and hasattr(link, "link_text"):
            return f"{stage} {link.link_text or link.url}"
        for value in params.values():
            link = getattr(value, "link", None) or (value if hasattr(value, "link_text") else None)
            if link is not None:
                return f"{stage} {link.link_text or link.url}"
            fetched = getattr(value, "fetched", None)
            if fetched is not None:
                return f"{stage} {fetched.link.link_text or fetched.link.url}"
        return stage

    return name
