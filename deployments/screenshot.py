"""`make screenshot`: a finished demo run in the Prefect UI, captured with headless Chromium.

Starts the local stack (server, deployments, worker) and the demo portal, runs the scheduled
group deployment `ingest-portals/demo`, waits for it to finish, and saves screenshots of the
group run (its three `ingest` subflows) as docs/prefect-ui-group-run.png and of one portal's
run (task-run timeline, tags, logs) and its document table and summary artifacts as
docs/prefect-ui-run.png, docs/prefect-ui-artifacts.png and docs/prefect-ui-summary.png.
Needs Debian's `chromium` and a CJK font (apt-get install chromium fonts-wqy-microhei).
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
from yusuan.demo.server import DEMO_PORT, serve

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
        sys.exit("chromium not found: apt-get install chromium fonts-wqy-microhei")
    # Without a CJK font every agency name and file name renders as empty boxes.
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if not fonts.strip():
        sys.exit("no Chinese font for chromium: apt-get install fonts-wqy-microhei")
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
        # The demo group of portals.yaml, pointed at wherever the demo portal really listens.
        config = home / "portals.yaml"
        config.write_text(
            (REPO / "portals.yaml").read_text(encoding="utf-8").replace("127.0.0.1:18765", portal.base_url[7:]),
            encoding="utf-8",
        )
        deployment = api.get("/deployments/name/ingest-portals/demo").json()
        run = api.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"group": "demo", "config_path": str(config)}},
        ).json()
        state = "?"
        for _ in range(300):
            state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(2)
        print(f"flow run {run['id']}: {state}")
        subflows = api.post(
            "/flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}}
        ).json()
        first = next(s for s in subflows if s["name"] == "ingest henan-ybj")
        ui = f"http://127.0.0.1:{stack.api_port}"
        docs = REPO / "docs"
        shoot(f"{ui}/runs/flow-run/{run['id']}", docs / "prefect-ui-group-run.png")
        shoot(f"{ui}/runs/flow-run/{first['id']}", docs / "prefect-ui-run.png")
        for key, name in (("ingest-henan-ybj-documents", "artifacts"), ("ingest-henan-ybj-summary", "summary")):
            found = api.post(
                "/artifacts/filter",
                json={"artifacts": {"key": {"any_": [key]}, "flow_run_id": {"any_": [first["id"]]}}, "limit": 1},
            ).json()
            shoot(f"{ui}/artifacts/artifact/{found[0]['id']}", docs / f"prefect-ui-{name}.png")
        print("saved docs/prefect-ui-{group-run,run,artifacts,summary}.png")


if __name__ == "__main__":
    main()
