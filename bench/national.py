"""A national-scale simulation: hundreds of portals, thousands of documents, one group deployment
through a real Prefect server on Postgres and a process worker.

    .venv/bin/python bench/national.py [--portals 300] [--docs-per-portal 10] [--real-copy-portals 0]
                                       [--real ../shared/real/pdf/cities] [--database-url URL]
                                       [--second-worker] [--json FILE]

The portals: ``--portals`` generated ones, each a disclosure column on a loopback host of its own
(127.0.0.2, 127.0.0.3 … 127.0.1.x: another host for the crawler, as every government's portal is)
in the demo portal's CMS shapes in turn (static pages with 下一页, GB2312 pages with 尾页 and
``download.jsp`` / PDF-viewer links, a Hanweb ``dataproxy.jsp`` list with iframe / embed links),
page sizes 5 to 20, with news items between the budgets; each budget is generated from its own
seed, so every file has distinct bytes. With ``--real``, one more portal per folder of real PDFs.
With ``--real-copy-portals N``, N more portals of ``--docs-per-portal`` real files each, copies of
``--real``'s files taken in turn, each with bytes of its own after ``%%EOF``: thousands of
documents of real sizes (the generated budgets are 11 sparse pages, a real one ≈ 30).

The stack: ``deployments/local_stack.py`` (``prefect server`` on a Postgres database of its own,
the deployments of ``deployments/prefect.yaml``, one process worker), yusuan's own fresh
database. The group runs as a run of the ``demo`` deployment with ``group=national`` and the
generated portals.yaml, started through the API as a schedule would:

1. the first run;
2. the re-run within the recheck window (list pages only);
3. the re-run after the window (``YUSUAN_RECHECK_AFTER_HOURS=0`` as the run's job variable);
4. with ``--second-worker``: on a fresh yusuan database, the first ``--second-worker-portals``
   portals as two groups run at once, first on one worker, then (fresh again) on two.

Measured per run: wall time (the flow run's own, from the API), Prefect API requests (the
server's access log), task and flow runs, log rows, database growth of both databases, peak
memory of the worker's process tree and of the server's, CPU by process (worker, flow run,
parses, server; the review pages' rendering, children of the parses' forkserver too, as the runs
log it), the flow run's memory against the documents loaded so far, and the pdfminer
floor on a sample of the same files before and after the first run. Results go to stdout and
``--json``; docs/performance.md records them by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.throughput import page_count, pdfminer_floor
from deployments.local_stack import LocalStack, prefect_server_database
from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url
from storage.migrate import upgrade
from yusuan.demo.portals import NEWS
from yusuan.demo.server import PortalServer
from yusuan.demo.site import Article, Attachment, Column
from yusuan.ports import free_port
from yusuan.synth.model import generate_budget
from yusuan.synth.render import render_budget

REPO = Path(__file__).resolve().parent.parent
GROUP = "national"
# The demo portal's CMS shapes, each with the attachment links its pages use.
SHAPES = [("static", ("direct",)), ("gbk", ("download_jsp", "viewer", "direct")), ("dataproxy", ("iframe", "embed"))]
_FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
_ACCESS = (' "GET /api/', ' "POST /api/', ' "PATCH /api/', ' "PUT /api/', ' "DELETE /api/')


def loopback_host(index: int) -> str:
    """127.0.0.2 … 127.0.0.251, 127.0.1.2 …: every portal a host of its own."""
    return f"127.0.{index // 250}.{index % 250 + 2}"


def generated_column(index: int, docs: int, first_seed: int, pdf_dir: Path) -> Column:
    style, vias = SHAPES[index % len(SHAPES)]
    column = Column(f"/p{index}/ysgk/", "部门预算公开", name=f"gen-{index:04d}", style=style, per_page=5 + index % 16)
    for number in range(docs):
        budget = generate_budget(first_seed + number)
        content = render_budget(budget)
        name = f"{budget.year}年{budget.agency}{budget.doc_kind}-{index}-{number}.pdf"
        (pdf_dir / f"{index:04d}-{number:03d}.pdf").write_bytes(content)
        column.articles.append(
            Article(
                f"n{index:04d}{number:03d}",
                f"{budget.agency}{budget.year}年{budget.doc_kind}公开",
                f"{budget.year}-02-{1 + number % 27:02d}",
                "详见附件。",
                (Attachment(name, content, via=vias[number % len(vias)]),),
            )
        )
        if number % 3 == 0:  # news between the budgets, as every column has
            title = NEWS[(index + number) % len(NEWS)]
            column.articles.append(Article(f"m{index:04d}{number:03d}", title, f"{budget.year}-03-01", title))
    return column


def real_copies_column(index: int, docs: int, sources: list[Path], pdf_dir: Path) -> Column:
    """A portal of ``docs`` real files, taken in turn from ``sources`` (real pages, real sizes, as
    many documents as wanted). Each copy gets bytes of its own after ``%%EOF``, as a re-saved file
    has, so every file is distinct and parsed; copies of one budget are versions of one filing."""
    style, vias = SHAPES[index % len(SHAPES)]
    column = Column(f"/c{index}/bmys/", "部门预算", name=f"copies-{index:04d}", style=style, per_page=5 + index % 16)
    for number in range(docs):
        path = sources[(index * docs + number) % len(sources)]
        content = path.read_bytes() + f"\n% copy {index}-{number}\n".encode()
        (pdf_dir / f"c{index:04d}-{number:03d}.pdf").write_bytes(content)
        column.articles.append(
            Article(
                f"c{index:04d}{number:03d}",
                f"部门预算公开 {path.stem}",
                "2026-02-01",
                "详见附件。",
                (Attachment(f"{number:03d}-{path.name}", content, via=vias[number % len(vias)]),),
            )
        )
    return column


def real_column(index: int, folder: Path) -> Column:
    column = Column(f"/r{index}/bmys/", "部门预算", name=f"real-{folder.name}", per_page=10)
    for number, path in enumerate(sorted(folder.rglob("*.pdf"))):
        column.articles.append(
            Article(
                f"r{index:03d}{number:04d}",
                f"部门预算公开 {path.stem}",
                "2026-02-01",
                "详见附件。",
                (Attachment(path.name, path.read_bytes()),),
            )
        )
    return column


def _role(proc: psutil.Process, forkservers: set[int]) -> str:
    try:
        command = " ".join(proc.cmdline())
        parent = proc.ppid()
    except psutil.Error:
        return "other"
    if parent in forkservers:
        return "parse"
    if "forkserver" in command:
        forkservers.add(proc.pid)
        return "forkserver"
    if "worker start" in command:
        return "worker"
    if "server start" in command or "uvicorn" in command or "prefect.server" in command:
        return "server"
    if "resource_tracker" in command:
        return "other"
    return "flow run"


@dataclass
class TreeSample:
    """Peak RSS and CPU seconds of a process tree by role, sampled every 0.5 s. The parses are
    short-lived children of a forkserver that reaps them, so their CPU is the forkserver's
    children's time (whole, once reaped), not a sum of samples."""

    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    peak_total_rss_mb: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # (seconds since start, flow run RSS MB) every 5 s: memory against documents loaded.
    flow_rss: list[tuple[float, float]] = field(default_factory=list)


class TreeSampler(threading.Thread):
    def __init__(self, roots: list[int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.done = threading.Event()
        self.sample = TreeSample()
        self._cpu: dict[int, tuple[str, float]] = {}
        self._forkservers: set[int] = set()
        self._roles: dict[int, str] = {}
        self._base: dict[int, float] = {}

    def run(self) -> None:
        started = time.monotonic()
        last_series = 0.0
        while not self.done.wait(0.5):
            rss: Counter[str] = Counter()
            for root in self.roots:
                try:
                    top = psutil.Process(root)
                    procs = [top, *top.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    try:
                        role = self._roles.get(proc.pid) or self._roles.setdefault(
                            proc.pid, _role(proc, self._forkservers)
                        )
                        memory = proc.memory_info().rss
                        times = proc.cpu_times()
                    except psutil.Error:
                        continue
                    rss[role] += memory
                    own = times.user + times.system
                    if role == "forkserver":
                        own += times.children_user + times.children_system
                    if role != "parse":  # counted in the forkserver's children, once reaped
                        # Long-lived processes (the worker, the server) were running before
                        # the run: only what they spent during it counts.
                        base = self._base.setdefault(proc.pid, own)
                        self._cpu[proc.pid] = (role, own - base)
            for role, value in rss.items():
                self.sample.peak_rss_mb[role] = max(self.sample.peak_rss_mb.get(role, 0.0), value / 2**20)
            self.sample.peak_total_rss_mb = max(self.sample.peak_total_rss_mb, sum(rss.values()) / 2**20)
            now = time.monotonic() - started
            if now - last_series >= 5 and rss.get("flow run"):
                self.sample.flow_rss.append((round(now, 1), round(rss["flow run"] / 2**20, 1)))
                last_series = now

    def stop(self) -> TreeSample:
        self.done.set()
        self.join()
        cpu: Counter[str] = Counter()
        for role, seconds in self._cpu.values():
            # Each flow run has its own forkserver: theirs add up to the parses' CPU.
            cpu["parse" if role == "forkserver" else role] += seconds
        self.sample.cpu_seconds = {role: round(seconds, 1) for role, seconds in cpu.items()}
        return self.sample


@dataclass
class RunResult:
    name: str
    state: str
    message: str
    wall_seconds: float
    flow_seconds: float
    api_requests: int
    api_by_route: dict[str, int]
    task_runs: int
    flow_runs: int
    log_rows: int
    # Task and flow run states reach the server as events over a websocket, not as requests.
    events: int
    documents_loaded: int
    prefect_db_growth_mb: float
    yusuan_db_growth_mb: float
    tree: TreeSample
    docs_over_time: list[tuple[float, int]]


def access_lines(log: Path) -> list[str]:
    if not log.exists():
        return []
    with log.open(encoding="utf-8", errors="replace") as handle:
        return [line for line in handle if any(marker in line for marker in _ACCESS)]


def route_of(line: str) -> str:
    """``POST /api/task_runs/{id}/set_state`` from an access log line: ids folded."""
    request = line.split('"')[1] if '"' in line else line
    method, _, path = request.partition(" ")
    parts = [p if not (len(p) >= 32 and "-" in p) else "{id}" for p in path.split(" ")[0].split("?")[0].split("/")]
    return f"{method} {'/'.join(parts)}"


class Databases:
    def __init__(self, yusuan_url: str, prefect_url: str) -> None:
        self.yusuan = engine_for(yusuan_url)
        sync = make_url(prefect_url).set(drivername="postgresql+psycopg")
        self.prefect = create_engine(sync)

    def size_mb(self, engine: object) -> float:
        with engine.connect() as conn:  # type: ignore[attr-defined]
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 2**20

    def prefect_counts(self) -> dict[str, int]:
        with self.prefect.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("flow_run", "task_run", "log", "artifact", "events")
            }

    def now(self) -> object:
        with self.prefect.connect() as conn:
            return conn.execute(text("SELECT now()")).scalar_one()

    def review_cpu_seconds(self, since: object) -> float:
        """The review pages' rendering CPU the runs logged since ``since``: those children of the
        parses' forkserver are not parses, and the tree sampler cannot tell them apart."""
        with self.prefect.connect() as conn:
            messages = conn.execute(
                text("SELECT message FROM log WHERE created >= :since AND message LIKE 'review pages: % written in %'"),
                {"since": since},
            ).scalars()
            return sum(float(m.split(" written in ")[1].split(" s ")[0]) for m in messages)

    def documents(self) -> int:
        with self.yusuan.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM yusuan.documents")).scalar_one()


def run_group(
    stack: LocalStack,
    api: httpx.Client,
    deployment_id: str,
    name: str,
    parameters: dict,
    dbs: Databases,
    roots: list[int],
    job_env: dict[str, str] | None = None,
    extra_runs: list[dict] | None = None,
) -> RunResult:
    """One run of the group deployment (and ``extra_runs`` beside it), waited for."""
    before_lines = len(access_lines(stack.home / "server.log"))
    before_counts = dbs.prefect_counts()
    before_sizes = (dbs.size_mb(dbs.prefect), dbs.size_mb(dbs.yusuan))
    before_docs = dbs.documents()
    since = dbs.now()
    sampler = TreeSampler(roots)
    sampler.start()
    started = time.monotonic()
    runs = []
    for params in [parameters, *(extra_runs or [])]:
        body: dict = {"parameters": params}
        if job_env:
            body["job_variables"] = {"env": job_env}
        response = api.post(f"/deployments/{deployment_id}/create_flow_run", json=body)
        response.raise_for_status()
        runs.append(response.json()["id"])
    docs_over_time: list[tuple[float, int]] = []
    states: dict[str, dict] = {}
    while len(states) < len(runs):
        time.sleep(5)
        docs_over_time.append((round(time.monotonic() - started, 1), dbs.documents() - before_docs))
        for run_id in runs:
            state = api.get(f"/flow_runs/{run_id}").json()
            if state["state"]["type"] in _FINAL:
                states[run_id] = state
    wall = time.monotonic() - started
    tree = sampler.stop()
    review = round(dbs.review_cpu_seconds(since), 1)
    if "parse" in tree.cpu_seconds:
        tree.cpu_seconds["parse"] = round(tree.cpu_seconds["parse"] - review, 1)
        tree.cpu_seconds["review pages"] = review
    lines = access_lines(stack.home / "server.log")[before_lines:]
    after_counts = dbs.prefect_counts()
    result = RunResult(
        name=name,
        state=",".join(s["state"]["type"] for s in states.values()),
        message=" | ".join(s["state"]["message"] or "" for s in states.values()),
        wall_seconds=round(wall, 1),
        flow_seconds=round(max(s["total_run_time"] for s in states.values()), 1),
        api_requests=len(lines),
        api_by_route=dict(Counter(route_of(line) for line in lines).most_common(15)),
        task_runs=after_counts["task_run"] - before_counts["task_run"],
        flow_runs=after_counts["flow_run"] - before_counts["flow_run"],
        log_rows=after_counts["log"] - before_counts["log"],
        events=after_counts["events"] - before_counts["events"],
        documents_loaded=dbs.documents() - before_docs,
        prefect_db_growth_mb=round(dbs.size_mb(dbs.prefect) - before_sizes[0], 1),
        yusuan_db_growth_mb=round(dbs.size_mb(dbs.yusuan) - before_sizes[1], 1),
        tree=tree,
        docs_over_time=docs_over_time,
    )
    print(
        f"{name}: {result.state} in {result.flow_seconds} s (wall {result.wall_seconds} s), "
        f"{result.documents_loaded} new documents, {result.api_requests} API requests, "
        f"{result.task_runs} task runs, {result.events} events, {result.log_rows} log rows, "
        f"peak RSS {tree.peak_rss_mb}, CPU {tree.cpu_seconds}",
        flush=True,
    )
    return result


def write_config(path: Path, servers: list[tuple[str, PortalServer]], groups: int = 1) -> None:
    lines = ["version: 1", "portals:"]
    for index, (name, server) in enumerate(servers):
        group = GROUP if groups == 1 else f"{GROUP}-{index % groups + 1}"
        lines += [f"  - name: {name}", f"    group: {group}", f'    entry_urls: ["{server.entry_url}"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, default=300)
    parser.add_argument("--docs-per-portal", type=int, default=10)
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "real" / "pdf" / "cities")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument(
        "--real-copy-portals",
        type=int,
        default=0,
        help="portals of --docs-per-portal real files each (copies of --real's files with bytes of their own)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--second-worker", action="store_true")
    parser.add_argument("--second-worker-portals", type=int, default=60, help="portals of the split runs")
    parser.add_argument("--floor-pages", type=int, default=400)
    parser.add_argument("--first-run-only", action="store_true", help="no re-runs (a memory or speed check)")
    parser.add_argument("--no-rerun-after-window", action="store_true", help="re-run within the window only")
    parser.add_argument(
        "--rerun-at-once", type=int, default=None, help="also a re-run within the window with this portal_concurrency"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the Prefect server's (e.g. PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED=false)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="yusuan-national-"))
    pdf_dir = scratch / "pdfs"
    pdf_dir.mkdir()
    tag = uuid.uuid4().hex[:8]
    database_url = (
        make_url(sqlalchemy_url(args.database_url))
        .set(database=f"yusuan_national_{tag}")
        .render_as_string(hide_password=False)
    )
    prefect_url = prefect_server_database(args.database_url, name=f"yusuan_national_prefect_{tag}")
    if prefect_url is None:
        sys.exit("this Postgres server cannot host Prefect's database (pg_trgm)")
    ensure_database(database_url)
    upgrade(database_url)  # as the first run's flow would: the counts need the tables before it
    figures: dict[str, object] = {}
    try:
        built = time.monotonic()
        columns = [
            generated_column(i, args.docs_per_portal, 100_000 + i * args.docs_per_portal, pdf_dir)
            for i in range(args.portals)
        ]
        sources = sorted(args.real.rglob("*.pdf"))
        columns += [
            real_copies_column(args.portals + i, args.docs_per_portal, sources, pdf_dir)
            for i in range(args.real_copy_portals)
        ]
        real_folders = [] if args.no_real else sorted(p for p in args.real.iterdir() if p.is_dir())
        columns += [real_column(i, folder) for i, folder in enumerate(real_folders)]
        for folder in real_folders:
            for path in folder.rglob("*.pdf"):
                shutil.copy(path, pdf_dir / f"real-{folder.name}-{path.name}")
        files = sorted(pdf_dir.glob("*.pdf"))
        pages = sum(page_count(p) for p in files)
        shas = {a.etag for c in columns for art in c.articles for a in art.attachments}
        figures |= {"portals": len(columns), "documents": len(files), "distinct_files": len(shas), "pages": pages}
        figures["server_env"] = args.server_env
        print(f"{len(columns)} portals, {len(files)} files ({len(shas)} distinct), {pages} pages, "
              f"built in {time.monotonic() - built:.0f} s", flush=True)  # fmt: skip
        with ExitStack() as stack_of:
            servers = [
                (column.name, stack_of.enter_context(PortalServer([column], host=loopback_host(i))))
                for i, column in enumerate(columns)
            ]
            config = scratch / "portals.yaml"
            write_config(config, servers)
            env = {
                "DATABASE_URL": database_url,
                "YUSUAN_DATA_DIR": str(scratch / "data"),
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_url,
                # uvicorn's access log: every API request, counted from server.log.
                "PREFECT_SERVER_LOGGING_LEVEL": "INFO",
                "PREFECT_UI_ENABLED": "false",
                **dict(setting.split("=", 1) for setting in args.server_env),
            }
            stack = stack_of.enter_context(LocalStack(scratch / "prefect", free_port(), env))
            stack.start_server()
            stack.deploy()
            worker = stack.start_worker("w1")
            server = stack.processes[0]
            api = httpx.Client(base_url=stack.api_url, timeout=30)
            deployments = {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}
            demo = deployments["demo"]["id"]
            dbs = Databases(database_url, prefect_url)
            parameters = {"group": GROUP, "config_path": str(config), "max_pages": 1000}
            roots = [worker.pid, server.pid]

            floor_before = pdfminer_floor(files, args.floor_pages)
            first = run_group(stack, api, demo, "first run", parameters, dbs, roots)
            floor_after = pdfminer_floor(files, args.floor_pages)
            floor = (floor_before + floor_after) / 2
            cores = psutil.cpu_count() or 1
            figures["floor_pages_per_second_per_core"] = [round(floor_before, 2), round(floor_after, 2)]
            figures["first_run"] = asdict(first)
            ratio = pages / first.flow_seconds / (cores * floor)
            figures["first_run_of_floor"] = round(ratio, 3)
            print(f"first run: {pages / first.flow_seconds:.1f} pages/s = {ratio:.3f} x {cores} cores x floor "
                  f"{floor:.2f} pages/s", flush=True)  # fmt: skip
            if args.first_run_only:
                args.rerun_at_once, args.second_worker = None, False
            within = (
                None
                if args.first_run_only
                else run_group(stack, api, demo, "re-run within the window", parameters, dbs, roots)
            )
            if within is not None:
                figures["rerun_within_window"] = asdict(within)
            if within is not None and not args.no_rerun_after_window:
                after = run_group(
                    stack, api, demo, "re-run after the window", parameters, dbs, roots,
                    job_env={"YUSUAN_RECHECK_AFTER_HOURS": "0"},
                )  # fmt: skip
                figures["rerun_after_window"] = asdict(after)
            if args.rerun_at_once:
                wider = {**parameters, "portal_concurrency": args.rerun_at_once}
                name = f"re-run within the window, {args.rerun_at_once} at once"
                figures["rerun_within_window_wider"] = asdict(run_group(stack, api, demo, name, wider, dbs, roots))

            if args.second_worker:
                halves = scratch / "halves.yaml"
                write_config(halves, servers[: args.second_worker_portals], groups=2)
                split = [{**parameters, "group": f"{GROUP}-{n}", "config_path": str(halves)} for n in (1, 2)]
                for workers in (1, 2):
                    drop_database(database_url)
                    ensure_database(database_url)
                    upgrade(database_url)
                    shutil.rmtree(scratch / "data", ignore_errors=True)
                    if workers == 2:
                        second = stack.start_worker("w2")
                        roots = [worker.pid, second.pid, server.pid]
                    result = run_group(
                        stack, api, demo, f"two halves at once, {workers} worker(s)", split[0], dbs, roots,
                        extra_runs=split[1:],
                    )  # fmt: skip
                    figures[f"halves_{workers}_workers"] = asdict(result)
            dbs.yusuan.dispose()
            dbs.prefect.dispose()
    finally:
        drop_database(database_url)
        drop_database(prefect_url.replace("+asyncpg", "+psycopg"))
    text_out = json.dumps(figures, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text_out, encoding="utf-8")
    print(text_out)


if __name__ == "__main__":
    main()
