"""`make serve`: a local Prefect server with yusuan's deployments, a worker, and the demo portal.

Open http://127.0.0.1:4200 and start `ingest/adhoc` from the UI. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from deployments.local_stack import REPO, LocalStack, prefect_server_database
from yusuan.demo.server import DEMO_PORT, serve


def main() -> None:
    home = Path(os.environ.get("YUSUAN_DATA_DIR", REPO / ".yusuan")) / "prefect-server"
    extra: dict[str, str] = {}
    database_url = os.environ.get("DATABASE_URL")
    if database_url and "PREFECT_SERVER_DATABASE_CONNECTION_URL" not in os.environ:
        prefect_db = prefect_server_database(database_url)
        if prefect_db:
            extra["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_db
    with serve("127.0.0.1", DEMO_PORT) as portal, LocalStack(home, extra_env=extra) as stack:
        print(f"demo portal: {portal.base_url}")
        print("Prefect server database: " + ("Postgres (yusuan_prefect)" if extra else "SQLite"))
        stack.start_server()
        stack.deploy()
        stack.start_worker()
        print(
            f"Prefect UI: http://127.0.0.1:{stack.api_port}  (deployments registered, worker polling {stack.api_url})"
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping")


if __name__ == "__main__":
    main()
