"""Throughput of the whole pipeline on real files: first run, unchanged re-run, memory, floor.

    .venv/bin/python bench/throughput.py [--pdfs ../shared/real/pdf] [--database-url URL]
                                         [--workers N] [--floor-pages 400] [--json FILE]
                                         [--prefect-server [--prefect-server-db postgres]]
                                         [--request-interval S] [--limit N] [--cold]

Every PDF under ``--pdfs`` (the cities included) is published on one local demo portal column,
then ``yusuan ingest`` (the CLI) runs three times in a child process on a fresh database and
data directory, exactly as an operator would run it. Before them, a setup run on an empty portal
pays an installation's one-time costs (the Prefect home's database created, yusuan's migrated),
as on any machine that has run yusuan before; ``--cold`` leaves them in the first run. Measured:

- pages/s of the first run, end to end (Prefect start-up, discovery, downloads, parse, loads);
- the pdfminer floor: one core running ``pdfminer.high_level.extract_pages`` on a sample of the
  same files just before and just after the first run (the mean is the floor; their drift says
  whether the machine held still), so the ratio does not depend on the machine; and the same
  parse on every core at once (what the cores give together);
- when the first document reached the database, counted from the start of the run;
- peak RSS of the run's process tree (the flow process and its parse processes), sampled;
- CPU seconds of the run's processes: the flow, Prefect's temporary server, the parse processes
  (a running ``--prefect-server`` is not the run's: its CPU is not counted);
- an empty Prefect flow in a child process: Prefect's own fixed cost per run (import, the
  temporary API server's start and stop), which no re-run goes below;
- the unchanged re-run's wall time as a share of the first run's: once at once (within the
  recheck window: only list pages are read), once as the scheduled re-run after the window
  (``YUSUAN_RECHECK_AFTER_HOURS=0``: every page read, every file asked for conditionally).

Results go to stdout (and ``--json``); docs/performance.md records them by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url
from yusuan.demo.server import PortalServer
from yusuan.demo.site import Article, Attachment, Column

REPO = Path(__file__).resolve().parent.parent
# The run as an operator starts it: the CLI, whose summary is also stored in yusuan.last_runs.
_PORTAL = "bench"
_CLI = [sys.executable, "-m", "flows", "ingest", "--name", _PORTAL, "--max-pages", "1000", "--portal"]
# Exit codes of `yusuan ingest` that mean the run completed (3: some documents failed).
_COMPLETED = {0: "Completed", 3: "Completed (partial)"}


# Prefect's own fixed cost in a child process: import, the temporary API server's start (none
# with PREFECT_API_URL set), one empty flow run, exit. Nothing a re-run can go below.
_EMPTY_FLOW = """
from prefect import flow
flow(name="empty")(lambda: None)()
"""


def page_count(path: Path) -> int:
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return 0  # not a PDF pdfium can open: the pipeline quarantines it, it has no pages to count
    with document:
        return len(document)


def column_of(paths: list[Path], root: Path) -> Column:
    """Each file as one article of one list column, named by its folder and file name."""
    column = Column(path="/bench/", title="部门预算", per_page=20, name="bench")
    for index, path in enumerate(paths):
        name = "_".join(path.relative_to(root).parts)
        attachment = Attachment(name, path.read_bytes())
        column.articles.append(
            Article(f"b{index:04d}", f"部门预算公开 {path.stem}", "2026-02-01", "详见附件。", (attachment,))
        )
    return column


def floor_pool(paths: list[Path], seed: int = 7) -> list[Path]:
    """The files the floor parses, in the order it takes them: those with pages, shuffled."""
    pool = [p for p in paths if page_count(p)]
    random.Random(seed).shuffle(pool)
    return pool


def pdfminer_floor(paths: list[Path], pages_wanted: int, seed: int = 7) -> float:
    """Pages per second of one core parsing whole files with pdfminer's own layout analysis."""
    from pdfminer.high_level import extract_pages

    pages, seconds = 0, 0.0
    for path in floor_pool(paths, seed):
        started = time.perf_counter()
        try:
            pages += sum(1 for _ in extract_pages(path))
        except Exception:  # noqa: BLE001 - a file pdfminer cannot read says nothing of its speed
            continue
        seconds += time.perf_counter() - started
        if pages >= pages_wanted:
            break
    return pages / seconds if seconds else 0.0


def pdfminer_floor_all_cores(paths: list[Path], pages_wanted: int, processes: int) -> float:
    """Pages per second of ``processes`` pdfminer parses of the floor's sample running at once:
    what the cores give together (on the 2-vCPU build VM 1.9–2.1× one: "cores × floor" holds)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return sum(pool.starmap(pdfminer_floor, [(paths, pages_wanted)] * processes))


_DOCUMENT_COLUMNS = "status, reason, content_kind, doc_kind, agency_name, fiscal_year, page_count, verdict"


def facts_checksum(database_url: str) -> dict[str, str]:
    """Per table, the row count and an md5 of every row keyed by its file's sha256 instead of the
    database's ids: equal between two runs exactly when both stored the same facts, whatever
    order their parses finished in."""
    from storage.facts import FACT_TABLES

    # Each query yields one text line per row; the digest is over the sorted lines.
    lines = {"documents": f"SELECT sha256 || ' ' || row({_DOCUMENT_COLUMNS})::text AS x FROM yusuan.documents"}
    for fact in FACT_TABLES:
        lines[fact.table.name] = (
            f"SELECT d.sha256 || ' ' || (to_jsonb(f) - 'document_id')::text AS x "
            f"FROM {fact.table.schema}.{fact.table.name} f JOIN yusuan.documents d USING (document_id)"
        )
    digests: dict[str, str] = {}
    with engine_for(database_url).connect() as conn:
        for name, query in lines.items():
            count, digest = conn.execute(
                text(f"SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM ({query}) s")
            ).one()
            digests[name] = f"{count} {digest}"
    return digests


@dataclass
class RunFigures:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: dict[str, float]
    first_load_seconds: float | None
    state: str
    totals: dict

    @property
    def flow_seconds(self) -> float:
        """The flow's own time: the wall time less process start, imports and the temporary
        Prefect server's start, which a deployment on a running server does not pay."""
        return float(self.totals.get("seconds", self.seconds))


def _role(proc: psutil.Process) -> str:
    """What a process of the run is: the flow, a parse process, or Prefect's temporary server."""
    try:
        command = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "uvicorn" in command or "prefect.server" in command or "server start" in command:
        return "prefect server"
    if "multiprocessing" in command or "forkserver" in command:
        return "parse processes"
    return "flow"


class RssSampler(threading.Thread):
    """Peak resident memory of a process and all its descendants, and the CPU each kind of
    process used, sampled every 0.2 s (more often, the sampling itself took 15 % of a core)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()
        self._cpu: dict[int, tuple[str, float]] = {}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds by kind of process, from the last sample of each process: up to 0.2 s of
        each process's end is missed, so the parse processes' figure (each lives a few seconds)
        is a lower bound; the flow's and the temporary server's are whole."""
        figures: dict[str, float] = {}
        for role, seconds in self._cpu.values():
            figures[role] = figures.get(role, 0.0) + seconds
        figures["total"] = sum(figures.values())
        return {role: round(seconds, 1) for role, seconds in figures.items()}

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    role = self._cpu[proc.pid][0] if proc.pid in self._cpu else _role(proc)
                    self._cpu[proc.pid] = (role, times.user + times.system)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)


def empty_flow_seconds(env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", _EMPTY_FLOW], cwd=REPO, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def run_ingest(entry_url: str, env: dict[str, str], database_url: str) -> RunFigures:
    started_at = datetime.now(UTC)
    started = time.monotonic()
    child = subprocess.Popen([*_CLI, entry_url], cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    sampler = RssSampler(child.pid)
    sampler.start()
    code = child.wait()
    seconds = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    with engine_for(database_url).connect() as conn:
        first = conn.execute(
            text("SELECT min(loaded_at) FROM yusuan.documents WHERE loaded_at >= :t"), {"t": started_at}
        ).scalar()
        stats = conn.execute(
            text("SELECT stats FROM yusuan.last_runs WHERE portal = :p AND started_at >= :t"),
            {"p": _PORTAL, "t": started_at},
        ).scalar()
    return RunFigures(
        seconds=seconds,
        peak_rss_mb=sampler.peak / 2**20,
        cpu_seconds=sampler.cpu_seconds(),
        first_load_seconds=(first - started_at).total_seconds() if first else None,
        state=_COMPLETED.get(code, f"exit {code}"),
        totals=(stats or {}).get("totals", {}),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=REPO.parent / "shared" / "real" / "pdf")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--workers", type=int, default=None, help="YUSUAN_WORKERS for the run (default: the setting)")
    parser.add_argument(
        "--parse-processes", type=int, default=None, help="YUSUAN_PARSE_PROCESSES (default: one per core)"
    )
    parser.add_argument(
        "--request-interval",
        type=float,
        default=None,
        help="least seconds between two request starts to the portal (default: the setting, 0.1); "
        "0 measures yusuan's own costs rather than the politeness policy's",
    )
    parser.add_argument(
        "--prefect-server",
        action="store_true",
        help="run against a `prefect server` started once (as a deployment's worker does) instead of "
        "each run starting its own temporary API server",
    )
    parser.add_argument(
        "--prefect-server-db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the running server's own database: SQLite (Prefect's default) or a database beside "
        "yusuan's on the --database-url server, as `make serve` does when it can",
    )
    parser.add_argument("--floor-pages", type=int, default=400, help="pages in the pdfminer floor's sample")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (a quick look)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no setup run: the first run also creates the Prefect home's database and migrates "
        "yusuan's (one-time costs of a new installation, ≈ 6 s on the build VM)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    paths = sorted(args.pdfs.rglob("*.pdf"))[: args.limit]
    pages = sum(page_count(p) for p in paths)
    cores = os.cpu_count() or 1
    print(f"{len(paths)} files, {pages} pages, {cores} cores", flush=True)

    url = make_url(sqlalchemy_url(args.database_url)).set(database=f"yusuan_bench_{uuid.uuid4().hex[:8]}")
    database_url = url.render_as_string(hide_password=False)
    ensure_database(database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="yusuan-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "YUSUAN_DATA_DIR": str(data_dir / "data"),
        "PREFECT_HOME": str(data_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # A new Prefect home's first start migrates its SQLite database: past 20 s on a busy VM.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PYTHONPATH": str(REPO),
    }
    if args.workers:
        env["YUSUAN_WORKERS"] = str(args.workers)
    if args.parse_processes:
        env["YUSUAN_PARSE_PROCESSES"] = str(args.parse_processes)
    if args.request_interval is not None:
        env["YUSUAN_PER_HOST_MIN_INTERVAL_SECONDS"] = str(args.request_interval)
    stack = None
    prefect_db: str | None = None
    if args.prefect_server:
        from deployments.local_stack import LocalStack, prefect_server_database
        from yusuan.ports import free_port

        server_env = {"PREFECT_UI_ENABLED": "false"}
        if args.prefect_server_db == "postgres":
            prefect_db = prefect_server_database(args.database_url, f"yusuan_prefect_bench_{uuid.uuid4().hex[:6]}")
            if prefect_db is None:
                raise SystemExit("--database-url cannot host the Prefect server's database")
            server_env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_db
        stack = LocalStack(data_dir / "server", free_port(), server_env)
        stack.start_server()
        env["PREFECT_API_URL"] = stack.api_url
    setup: RunFigures | None = None
    try:
        if not args.cold:
            # An installation's one-time costs, paid before the measured runs as on any machine
            # that has run yusuan before: the Prefect home's database created, yusuan's migrated.
            with PortalServer([Column(path="/setup/", title="部门预算", per_page=20, name="setup")]) as empty:
                setup = run_ingest(empty.entry_url, env, database_url)
            print(f"setup run (empty portal): {setup.seconds:.1f} s, {setup.state}", flush=True)
        # The floor on both sides of the first run: this VM's speed drifts by up to 40 % within
        # an hour (session 10), and a ratio against a floor measured at another speed means nothing.
        floor_before = pdfminer_floor(paths, args.floor_pages)
        with PortalServer([column_of(paths, args.pdfs)]) as portal:
            first = run_ingest(portal.entry_url, env, database_url)
            # After the first run: with --cold, the first run is the one that creates the home.
            prefect_floor = empty_flow_seconds(env)
            print(f"an empty Prefect flow in a child process: {prefect_floor:.1f} s", flush=True)
            print(f"first run: {first.seconds:.1f} s, {first.state}, {first.totals}", flush=True)
            checksum = facts_checksum(database_url)
            print(f"facts: {checksum}", flush=True)
            floor_after = pdfminer_floor(paths, args.floor_pages)
            floor = (floor_before + floor_after) / 2
            floor_all = pdfminer_floor_all_cores(paths, args.floor_pages, cores)
            again = run_ingest(portal.entry_url, env, database_url)
            print(f"re-run: {again.seconds:.1f} s, {again.state}, {again.totals}", flush=True)
            # The scheduled re-run, a week on: every page and file asked again (conditionally).
            later = run_ingest(portal.entry_url, env | {"YUSUAN_RECHECK_AFTER_HOURS": "0"}, database_url)
            print(f"re-run after the recheck window: {later.seconds:.1f} s, {later.state}, {later.totals}", flush=True)
    finally:
        drop_database(database_url)
        if stack is not None:
            stack.stop()
        if prefect_db is not None:
            drop_database(
                make_url(prefect_db).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            )
    figures = {
        "request_interval_seconds": args.request_interval,
        "prefect": f"server ({args.prefect_server_db})" if args.prefect_server else "temporary server per run",
        "parse_processes": args.parse_processes or cores,
        "files": len(paths),
        "pages": pages,
        "cores": cores,
        "pdfminer_floor_pages_per_second_per_core": round(floor, 2),
        "pdfminer_floor_before_and_after_first_run": [round(floor_before, 2), round(floor_after, 2)],
        "pdfminer_floor_drift": round(floor_after / floor_before - 1, 3) if floor_before else None,
        # The parse processes' CPU per page: with the same extractor, another gauge of the machine.
        "parse_cpu_ms_per_page": round(1000 * first.cpu_seconds.get("parse processes", 0.0) / pages, 1)
        if pages
        else None,
        "first_run_pages_per_second": round(pages / first.seconds, 2),
        "share_of_all_cores_floor": round(pages / first.seconds / (cores * floor), 3) if floor else None,
        "pdfminer_all_cores_at_once_pages_per_second": round(floor_all, 2),
        "share_of_all_cores_at_once": round(pages / first.seconds / floor_all, 3) if floor_all else None,
        "setup_run_seconds": round(setup.seconds, 2) if setup else None,
        "empty_prefect_flow_seconds": round(prefect_floor, 2),
        "first_run": asdict(first),
        "facts_checksum": checksum,
        "rerun": asdict(again),
        "first_run_flow_pages_per_second": round(pages / first.flow_seconds, 2),
        "rerun_share": round(again.seconds / first.seconds, 4),
        "empty_prefect_flow_share": round(prefect_floor / first.seconds, 4),
        "rerun_share_of_flow_time": round(again.flow_seconds / first.flow_seconds, 4),
        "rerun_after_window": asdict(later),
        "rerun_after_window_share": round(later.seconds / first.seconds, 4),
        "rerun_after_window_share_of_flow_time": round(later.flow_seconds / first.flow_seconds, 4),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
