"""Layout invariance over a folder of PDFs (``yusuan/evaluation/layout_invariance.py`` says how).

    .venv/bin/python bench/layout_invariance.py [--root ../shared/real/pdf] [--only cities]
                                                [--jobs 2] [--cache DIR] [--misses]

Every line table of every budget with tables under ``--root`` is rewritten into each layout other
cities print (codes in the name cell, 类 | 款 | 项 apart or joined, no 合计 column, parts swapped,
full-width amounts, side-by-side blocks) and parsed again: the lines must not change. Results go to
stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real

from yusuan.evaluation.layout_invariance import REWRITES, Variance, table_variances
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.normalise.amounts import Unit


def _survey_one(path: Path) -> list[dict[str, Variance]]:
    doc = extract_document(path, "bench", hint=path.name)
    if str(doc.content_kind) != "budget_tables":
        return []
    return [table_variances(table, Unit(table.unit), path.name) for table in doc.tables]


def report(results: list[list[dict[str, Variance]]], misses: bool) -> str:
    total = {name: Variance(name) for name in REWRITES}
    for doc in results:
        for table in doc:
            for name, variance in table.items():
                total[name].tables += variance.tables
                total[name].held += variance.held
                total[name].differences += variance.differences
    lines = ["| rewrite | line tables | lines unchanged | changed |", "|---|---:|---:|---:|"]
    for variance in total.values():
        lines.append(
            f"| {variance.rewrite} | {variance.tables} | {variance.held} | {variance.tables - variance.held} |"
        )
    if misses:
        for variance in total.values():
            lines += [f"- {variance.rewrite}: {d}" for d in variance.differences]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    real.add_survey_arguments(parser)
    parser.add_argument("--misses", action="store_true", help="list every table whose lines changed")
    args = parser.parse_args()
    _, results, seconds = real.survey(_survey_one, args)
    print(f"extractor {EXTRACTOR_VERSION}, {len(results)} files surveyed in {seconds:.0f} s\n")
    print(report(results, args.misses))


if __name__ == "__main__":
    main()
