"""Line-level accuracy on real budgets: ``../shared/real/LINES.tsv`` scored as stored and as visible.

    .venv/bin/python bench/lines.py [--lines ../shared/real/LINES.tsv] [--jobs 2] [--cache DIR]
                                    [--visible] [--misses]

*Stored*: each labelled file extracted as the pipeline would (its file name the only hint) and
its 一般公共预算支出表 / 一般公共预算基本支出表 lines scored leaf by leaf (yusuan/evaluation/lines.py).
*Visible* (``--visible``): every PDF of the labelled files' folders (their sibling files
included: a filing's 情况说明 published beside its tables is what hid lines) recorded as fetched
and loaded into a scratch database, once in file order and once in reverse, then the leaves
scored through the consumer views ``budget.function_lines`` / ``budget.economic_lines``. The
scratch database is made on ``DATABASE_URL``'s server (or the embedded one) and dropped after.
Results go to stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real
from sqlalchemy.engine import make_url

from storage.database import drop_database, engine_for, ensure_database, sqlalchemy_url
from storage.line_views import visible_lines as visible_lines_by_sha
from storage.migrate import upgrade
from storage.repository import load_document, record_fetch
from yusuan.evaluation.lines import (
    LineScorecard,
    StoredLine,
    read_truth,
    score_files,
    stored_lines,
    truth_by_file,
)
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.models import DisclosureLink, ExtractedDocument, FetchedFile
from yusuan.normalise.regions import agency_region

SHARED_REAL = Path(__file__).resolve().parents[2] / "shared/real"


def _extract(path: Path) -> ExtractedDocument:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return extract_document(path, digest, hint=path.name)


def extract_all(paths: list[Path], jobs: int, cache: str | None) -> dict[Path, ExtractedDocument]:
    with ProcessPoolExecutor(jobs, initializer=real._init, initargs=(cache,)) as pool:
        return dict(zip(paths, pool.map(_extract, paths), strict=True))


def report(title: str, card: LineScorecard, misses: bool) -> str:
    lines = [f"### {title}: {card.exact} of {card.leaves} leaf lines exact ({card.share:.1%})", ""]
    lines += ["| file | table | leaves | exact | misses |", "|---|---|---:|---:|---|"]
    for t in card.tables:
        why = "; ".join(f"{k} {n}" for k, n in t.misses.most_common())
        lines.append(f"| {t.file.split('/', 1)[-1][:60]} | {t.table} | {t.leaves} | {t.exact} | {why} |")
    lines += ["", "| why a leaf missed | leaves |", "|---|---:|"]
    lines += [f"| {k} | {n} |" for k, n in card.misses().most_common()]
    if misses:
        lines.append("")
        for t in card.tables:
            for example in t.examples:
                lines.append(f"- {t.file} {t.table}: {example}")
    return "\n".join(lines)


def _fetched(path: Path, sha256: str, at: datetime) -> FetchedFile:
    url = f"http://bench.invalid/{path.parent.name}/{path.name}"
    link = DisclosureLink(url, f"http://bench.invalid/{path.parent.name}/", path.name, "", "bench-lines")
    size = path.stat().st_size
    return FetchedFile(link, url, 200, "application/pdf", size, sha256, str(path), at, 1)


def visible_lines(database_url: str, docs: list[tuple[Path, ExtractedDocument]]) -> dict[str, list[StoredLine]]:
    """Load ``docs`` in this order as one crawl would, then read the lines the views show."""
    engine = engine_for(database_url)
    start = datetime.now(UTC)
    for n, (path, doc) in enumerate(docs):
        at = start + timedelta(seconds=n)
        fetched = _fetched(path, doc.sha256, at)
        with engine.begin() as conn:
            record_fetch(conn, fetched, "bench-lines")
            load_document(conn, doc, fetched, "bench-lines", at, agency_region(doc.agency_name, None))
    by_sha = {doc.sha256: str(path) for path, doc in docs}
    with engine.connect() as conn:
        return {by_sha[sha]: lines for sha, lines in visible_lines_by_sha(conn).items() if sha in by_sha}


def scratch_database() -> str:
    server = os.environ.get("DATABASE_URL")
    if not server:
        from storage.database import start_embedded_postgres

        server = start_embedded_postgres(Path(".yusuan/pgdata"))
    url = make_url(sqlalchemy_url(server)).set(database=f"yusuan_bench_lines_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    ensure_database(rendered)
    upgrade(rendered)
    return rendered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=Path, default=SHARED_REAL / "LINES.tsv")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", help="directory for parsed page streams (speeds up re-scoring)")
    parser.add_argument("--visible", action="store_true", help="also load into a scratch database, both orders")
    parser.add_argument("--misses", action="store_true", help="a few missed leaves per table")
    args = parser.parse_args()
    root = args.lines.parent
    truth = truth_by_file(read_truth(args.lines))
    started = time.monotonic()
    labelled = [root / f for f in sorted(truth)]
    paths = labelled
    if args.visible:
        folders = sorted({p.parent for p in labelled})
        paths = sorted({*labelled, *(p for folder in folders for p in folder.glob("*.pdf"))})
    docs = extract_all(paths, args.jobs, args.cache)
    stored = {str(p.relative_to(root)): stored_lines(docs[p]) for p in labelled}
    print(f"extractor {EXTRACTOR_VERSION}, {len(paths)} files extracted in {time.monotonic() - started:.0f} s\n")
    print(report("stored", score_files(truth, stored), args.misses))
    if args.visible:
        for order in ("file order", "reverse order"):
            url = scratch_database()
            try:
                sequence = [(p, docs[p]) for p in (paths if order == "file order" else paths[::-1])]
                shown = {str(Path(k).relative_to(root)): v for k, v in visible_lines(url, sequence).items()}
                print()
                print(report(f"visible in budget.* ({order})", score_files(truth, shown), False))
            finally:
                engine_for(url).dispose()
                drop_database(url)


if __name__ == "__main__":
    main()
