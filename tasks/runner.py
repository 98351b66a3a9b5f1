"""Which task runner a flow maps its tasks on.

Locally, a thread pool: downloads wait on the network, loads on Postgres, and parses on their
own processes (one per core, ``tasks.limits.ParseSlots``), so threads are enough. With
``YUSUAN_DASK_ADDRESS`` set (a running Dask scheduler, ``tcp://host:8786``) tasks go to that
cluster through prefect-dask, which scales extraction across machines; the workers then need the
project installed, the same ``DATABASE_URL``, ``PREFECT_API_URL`` of a shared Prefect server, and
either the object store (``YUSUAN_STORAGE_URL``: each worker keeps its own data directory) or
the flow's data directory at the same path (a shared disk).

The choice is read when the flow module is imported, so a deployment picks it up from its
worker's environment; ``ingest.with_options(task_runner=...)`` overrides it per call.

Task runs carry no tags (``untagged``): the tags (``group:…``, ``portal:…``) are on the flow
runs, where the UI filters runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.context import TagsContext
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from yusuan.settings import Settings


def task_runner_for(settings: Settings) -> TaskRunner:
    if settings.dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:  # the extra is optional: say how to get it
            raise RuntimeError(
                "YUSUAN_DASK_ADDRESS is set but prefect-dask is not installed: pip install 'yusuan[dask]'"
            ) from exc
        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=settings.task_threads)


@contextmanager
def untagged() -> Iterator[None]:
    """Task runs submitted here carry none of the tags around them.

    Before a tagged task run starts, Prefect asks the API for the tags' concurrency slots: one
    write transaction on the server per task run and set of tags, whether or not any tag has a
    limit. A run's tags are its portal's, new for every entry of a group, so every entry paid it.
    On the temporary server's SQLite, with a group's lanes writing side by side, one such ask
    was measured waiting up to 15 s before a crawl could start.
    """
    with TagsContext(current_tags=set()):
        yield
