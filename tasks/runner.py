"""Which task runner a flow maps its tasks on.

Locally, a thread pool: downloads wait on the network, loads on Postgres, and parses on their
own processes (one per core, ``tasks.limits.ParseSlots``), so threads are enough. With
``YUSUAN_DASK_ADDRESS`` set (a running Dask scheduler, ``tcp://host:8786``) tasks go to that
cluster through prefect-dask, which scales extraction across machines; the workers then need the
project installed, the same ``DATABASE_URL`` and data directory (raw store), and
``PREFECT_API_URL`` of a shared Prefect server.

The choice is read when the flow module is imported, so a deployment picks it up from its
worker's environment; ``ingest.with_options(task_runner=...)`` overrides it per call.
"""

from __future__ import annotations

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
