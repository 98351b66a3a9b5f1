"""`make screenshot`: a finished demo run in the Prefect UI, captured with headless Chromium.

Starts the local stack (server, deployments, worker) and the demo portal, runs the
`ingest/adhoc` deployment, waits for it to finish, and saves a screenshot of the run
page (task-run timeline, progress artifact, tags, logs) as docs/prefect-ui-run.png.
Needs Debian's `chromium` (apt-get install chromium).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from deployments.local_stack import REPO, LocalStack
from yusuan.portal.server import DEMO_PORT, serve

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1500,1100",
    "--virtual-time-budget=30000",
    "--run-all-compositor-stages-before-draw",
]


def shoot(url: str, target: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={target}", url],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="yusuan-ui-"))
    env = {"YUSUAN_DATA_DIR": str(home / "data")}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    with (
        serve("127.0.0.1", DEMO_PORT, fallback_to_free_port=True) as portal,
        LocalStack(home / "prefect", 4200, env) as stack,
    ):
        stack.start_server()
        stack.deploy()
        stack.start_worker()
        api = httpx.Client(base_url=stack.api_url, timeout=10)
        deployment = api.get("/deployments/name/ingest/adhoc").json()
        run = api.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"entry_url": portal.entry_urls()["henan-ybj"], "portal": "henan-ybj"}},
        ).json()
        for _ in range(150):
            state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(2)
        print(f"flow run {run['id']}: {state}")
        ui = f"http://127.0.0.1:{stack.api_port}"
        shoot(f"{ui}/runs/flow-run/{run['id']}", REPO / "docs" / "prefect-ui-run.png")
        print("saved docs/prefect-ui-run.png")


if __name__ == "__main__":
    main()
