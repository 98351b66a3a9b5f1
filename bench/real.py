"""Real-document accuracy: every file of ``../shared/real/TRUTH.tsv`` extracted and scored.

    .venv/bin/python bench/real.py [--truth ../shared/real/TRUTH.tsv] [--jobs 2] [--cache DIR]

Each file is extracted as the pipeline would (the crawler's file name as the only hint, since link
texts and file names lie) and compared with its hand-made label: kind, agency, fiscal year, income
and expenditure totals. ``--cache`` keeps each file's parsed page stream (keyed by sha256 and the
extractor version), so re-scoring after a change to classification or metadata rules takes seconds.
Results go to stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yusuan.evaluation.truth import Label, Outcome, Scorecard, outcome, present, read_labels
from yusuan.extract import EXTRACTOR_VERSION, document, pdf_reader
from yusuan.extract.document import extract_document

_CACHE: Path | None = None
T = TypeVar("T")


def _cached_read_pdf(path: Path) -> pdf_reader.PdfContent:
    assert _CACHE is not None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    key = _CACHE / f"{EXTRACTOR_VERSION}-{digest}.pickle"
    if key.exists():
        return pickle.loads(key.read_bytes())
    content = pdf_reader.read_pdf(path)
    key.write_bytes(pickle.dumps(content))
    return content


def _init(cache: str | None) -> None:
    global _CACHE
    if cache:
        _CACHE = Path(cache)
        _CACHE.mkdir(parents=True, exist_ok=True)
        document.read_pdf = _cached_read_pdf  # the bench's own speed-up, never the pipeline's


def add_survey_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a survey of every PDF under a folder (bench/checks.py, bench/text_recall.py)."""
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2] / "shared/real/pdf")
    parser.add_argument("--only", help="a folder under --root (e.g. cities)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", help="directory for parsed page streams (speeds up re-surveying)")


def survey(each: Callable[[Path], T], args: argparse.Namespace) -> tuple[list[Path], list[T], float]:
    """``each`` of the PDFs the survey options select, in ``--jobs`` processes; and the seconds."""
    base = args.root / args.only if args.only else args.root
    paths = sorted(base.rglob("*.pdf"))
    started = time.monotonic()
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.cache,)) as pool:
        results = list(pool.map(each, paths))
    return paths, results, time.monotonic() - started


def _score_one(args: tuple[Path, Label]) -> Outcome:
    root, label = args
    path = root / label.file
    return outcome(label, extract_document(path, label.sha256, hint=path.name))


def _older_one(path: Path) -> tuple[str, str, str, bool]:
    doc = extract_document(path, "bench", hint=path.name)
    income, expenditure = doc.figure("income_total"), doc.figure("expenditure_total")
    return path.parent.name, path.name, str(doc.content_kind), income is not None and income == expenditure


def older_sets(root: Path, jobs: int, cache: str | None) -> str:
    """The unlabelled older sets (Shanghai, Jiangsu, Putuo, scanned): kinds, and budgets that balance."""
    paths = sorted(p for p in root.rglob("*.pdf") if "cities" not in p.relative_to(root).parts)
    with ProcessPoolExecutor(jobs, initializer=_init, initargs=(cache,)) as pool:
        results = list(pool.map(_older_one, paths))
    lines = ["| folder | files | kinds | budgets with income = expenditure |", "|---|---:|---|---:|"]
    for folder in sorted({r[0] for r in results}):
        rows = [r for r in results if r[0] == folder]
        kinds = ", ".join(f"{k} {sum(r[2] == k for r in rows)}" for k in sorted({r[2] for r in rows}))
        budgets = [r for r in rows if r[2].startswith("budget_")]
        lines.append(f"| {folder} | {len(rows)} | {kinds} | {sum(r[3] for r in budgets)} of {len(budgets)} |")
    return "\n".join(lines)


def run(truth: Path, jobs: int, cache: str | None) -> Scorecard:
    labels, stale = present(read_labels(truth), truth.parent)
    for label in stale:
        print(f"skipped (file missing or not the labelled bytes): {label.file} {label.sha256[:12]}")
    with ProcessPoolExecutor(jobs, initializer=_init, initargs=(cache,)) as pool:
        outcomes = list(pool.map(_score_one, [(truth.parent, label) for label in labels]))
    return Scorecard(outcomes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--truth", type=Path, default=Path(__file__).resolve().parents[2] / "shared/real/TRUTH.tsv")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", help="directory for parsed page streams (speeds up re-scoring)")
    parser.add_argument("--misses", action="store_true", help="list every file with what it got wrong")
    parser.add_argument("--older", action="store_true", help="also the unlabelled older sets beside cities/")
    args = parser.parse_args()
    started = time.monotonic()
    card = run(args.truth, args.jobs, args.cache)
    print(f"extractor {EXTRACTOR_VERSION}, {time.monotonic() - started:.0f} s\n")
    print(card.report())
    if args.older:
        print("\nOlder sets (no labels):\n")
        print(older_sets(args.truth.parent / "pdf", args.jobs, args.cache))
    if args.misses:
        print()
        for o in card.outcomes:
            if misses := o.misses():
                print(f"- {o.label.file}: {'; '.join(misses)} [{o.reason[:80]}]")


if __name__ == "__main__":
    main()
