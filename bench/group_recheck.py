"""A group of portals on many hosts: first run, and the scheduled re-check one lane at a time
against lanes side by side.

    .venv/bin/python bench/group_recheck.py [--pdfs ../shared/real/pdf] [--database-url URL]
                                            [--at-once 4] [--rounds 2] [--json FILE]

Each folder of real PDFs (each city of ``cities/``, and every other top-level folder) becomes one
portal on a loopback address of its own (127.0.0.2, 127.0.0.3 …: another host for the crawler,
as every city's portal is in reality), all in one group of a generated portals.yaml. Then
``yusuan ingest --config … --group bench`` (the CLI, as an operator or the group deployment runs
it) runs on a fresh database and data directory:

- the first run, with ``--at-once`` entries at once (downloads, parses, loads);
- ``--rounds`` times, alternately, the unchanged re-run after the recheck window
  (``YUSUAN_RECHECK_AFTER_HOURS=0``: every page read, every file asked for conditionally) with
  ``YUSUAN_PORTAL_CONCURRENCY=1`` (the old one-after-the-other order) and with ``--at-once``;
- the unchanged re-run within the window (only list pages are read), with ``--at-once``.

The request spacing is the settings' (0.1 s per host), so a re-check is bounded by politeness:
one lane at a time it costs the sum of every host's requests, side by side about the busiest
host's. Results go to stdout (and ``--json``); docs/performance.md records them by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import make_url

from bench.throughput import REPO, column_of
from storage.database import drop_database, ensure_database, sqlalchemy_url
from yusuan.demo.server import PortalServer

_CLI = [sys.executable, "-m", "flows", "ingest", "--group", "bench", "--max-pages", "1000", "--config"]


def portal_folders(root: Path) -> dict[str, list[Path]]:
    """One portal per city of ``cities/`` and per other top-level folder, with its PDFs."""
    folders: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*.pdf")):
        parts = path.relative_to(root).parts
        key = "/".join(parts[:2]) if parts[0] == "cities" and len(parts) > 2 else parts[0]
        folders.setdefault(key, []).append(path)
    return folders


def run_group(config: Path, env: dict[str, str]) -> tuple[float, int]:
    started = time.monotonic()
    code = subprocess.run([*_CLI, str(config)], cwd=REPO, env=env, stdout=subprocess.DEVNULL).returncode
    return time.monotonic() - started, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=Path, default=REPO.parent / "shared" / "real" / "pdf")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--at-once", type=int, default=4, help="entries at once (YUSUAN_PORTAL_CONCURRENCY)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    folders = portal_folders(args.pdfs)
    scratch = Path(tempfile.mkdtemp(prefix="yusuan-group-"))
    url = make_url(sqlalchemy_url(args.database_url)).set(database=f"yusuan_group_{uuid.uuid4().hex[:8]}")
    database_url = url.render_as_string(hide_password=False)
    ensure_database(database_url)
    figures: dict[str, object] = {"portals": len(folders), "files": sum(len(p) for p in folders.values())}
    try:
        with ExitStack() as servers:
            lines = ["version: 1", "portals:"]
            for index, (name, paths) in enumerate(folders.items()):
                host = f"127.0.0.{index + 2}"
                server = servers.enter_context(PortalServer([column_of(paths, args.pdfs)], host=host))
                lines += [
                    f"  - name: {name.replace('/', '-')}",
                    "    group: bench",
                    f'    entry_urls: ["{server.entry_url}"]',
                ]
            config = scratch / "portals.yaml"
            config.write_text("\n".join(lines) + "\n", encoding="utf-8")
            env = os.environ | {
                "DATABASE_URL": database_url,
                "YUSUAN_DATA_DIR": str(scratch / "data"),
                "PREFECT_HOME": str(scratch / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
                "YUSUAN_PORTAL_CONCURRENCY": str(args.at_once),
            }
            print(f"{figures['portals']} portals on as many hosts, {figures['files']} files", flush=True)
            figures["first_run"] = run_group(config, env)
            print(f"first run ({args.at_once} at once): {figures['first_run'][0]:.1f} s", flush=True)
            after: dict[int, list[float]] = {1: [], args.at_once: []}
            for _ in range(args.rounds):
                for at_once in (1, args.at_once):
                    seconds, code = run_group(
                        config, env | {"YUSUAN_RECHECK_AFTER_HOURS": "0", "YUSUAN_PORTAL_CONCURRENCY": str(at_once)}
                    )
                    after[at_once].append(seconds)
                    print(f"re-check after the window, {at_once} at once: {seconds:.1f} s (exit {code})", flush=True)
            figures["after_window"] = {str(k): v for k, v in after.items()}
            figures["at_once_rerun"] = run_group(config, env)
            print(f"re-run within the window ({args.at_once} at once): {figures['at_once_rerun'][0]:.1f} s")
            first = figures["first_run"][0]
            for at_once, seconds in after.items():
                median = statistics.median(seconds)
                print(f"after the window, {at_once} at once: median {median:.1f} s = {100 * median / first:.1f} %")
    finally:
        drop_database(database_url)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
