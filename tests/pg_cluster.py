"""A private Postgres a test can stop and start mid-run (pgserver's own binaries, so it works on
any machine the project installs on)."""

from __future__ import annotations

from pathlib import Path

import pgserver
from pgserver._commands import pg_ctl

from storage.database import sqlalchemy_url


class StoppableCluster:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(root / "pgdata", cleanup_mode="delete")
        # The socket directory is derived from the data directory: a restart keeps the URL.
        self.url = sqlalchemy_url(self.server.get_uri())

    def stop(self) -> None:
        """A fast shutdown: open sessions are cut, as in a failover or a restart."""
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()
