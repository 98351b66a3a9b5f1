"""`make serve`: a local Prefect server with yusuan's deployments, a worker, and the demo portal.

Open http://127.0.0.1:4200 and start `ingest/adhoc` from the UI. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from deployments.local_stack import REPO, LocalStack
from yusuan.portal.server import DEMO_PORT, serve


def main() -> None:
    home = Path(os.environ.get("YUSUAN_DATA_DIR", REPO / ".yusuan")) / "prefect-server"
    with serve("127.0.0.1", DEMO_PORT) as portal, LocalStack(home) as stack:
        print(f"demo portal: {portal.base_url}")
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
