"""The app the CLI's temporary Prefect API server runs: Prefect's own, with write transactions
that take SQLite's write lock when they begin.

Prefect opens a write transaction on SQLite as ``BEGIN DEFERRED``: it reads first (creating a
task run reads its flow run's labels) and asks for the write lock only at its first write. If
another connection wrote in between, SQLite cannot upgrade the read and fails at once with
SQLITE_BUSY (no busy timeout applies); Prefect answers 503 and its client waits 2, 4, 8 … s
before it tries again. A group's lanes side by side, each creating subflows while the server
records the others' task runs, met this for most subflows: a lane stood still for up to 33 s,
the run's lanes took turns. ``BEGIN IMMEDIATE`` takes the write lock first, so a write
transaction waits its turn (SQLite's busy timeout) instead of failing. Writes to one SQLite
file are one at a time anyway; reads, outside such transactions, are not affected.

Only for a SQLite database: on Postgres, Prefect's own configuration is used as it is.
This runs in the server's process, never in the CLI's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prefect.server.database.configurations import AioSqliteConfiguration
from prefect.server.database.dependencies import MODELS_DEPENDENCIES
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL


class WriteLockFirstSqlite(AioSqliteConfiguration):
    @asynccontextmanager
    async def begin_transaction(self, session: Any, with_for_update: bool = False) -> AsyncIterator[Any]:
        async with super().begin_transaction(session, with_for_update=True) as transaction:
            yield transaction


def create_app() -> Any:
    # The URL as Prefect's own database interface reads it (its setting resolves the default).
    url = PREFECT_API_DATABASE_CONNECTION_URL.value() or ""
    if url.startswith("sqlite"):
        MODELS_DEPENDENCIES["database_config"] = WriteLockFirstSqlite(connection_url=url)
    from prefect.server.api.server import create_app as prefect_app

    return prefect_app()
