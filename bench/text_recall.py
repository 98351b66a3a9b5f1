"""Label-free line recall over a folder of PDFs (``yusuan/evaluation/text_recall.py`` says how).

    .venv/bin/python bench/text_recall.py [--root ../shared/real/pdf] [--only cities] [--jobs 2]
                                          [--cache DIR] [--misses]

Every PDF under ``--root`` is extracted as the pipeline would (its file name the only hint); in
each budget with tables, every coded row printed in a line table's band of its pages is looked
for among that table's stored lines. No file needs a label, so any folder of new PDFs can be
surveyed the same way. Results go to stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real

from yusuan.evaluation.text_recall import TableRecall, table_recall
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document


def _survey_one(path: Path) -> list[TableRecall]:
    doc = extract_document(path, "bench", hint=path.name)
    if str(doc.content_kind) != "budget_tables":
        return []
    return table_recall(path, doc)


def report(results: list[TableRecall], root: Path, misses: bool) -> str:
    by_kind: Counter[str] = Counter()
    lines = []
    for name, count in (
        ("tables", len(results)),
        ("printed coded rows", sum(r.printed for r in results)),
        ("  of which parents of stored leaves", sum(r.parents for r in results)),
        ("  not stored", sum(len(r.missing) for r in results)),
        ("  stored with another amount", sum(len(r.wrong_amount) for r in results)),
    ):
        lines.append(f"{name}: {count}")
    for r in results:
        by_kind[r.kind] += r.printed
    lines.append("printed coded rows by table kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))
    if misses:
        for r in results:
            if r.missing or r.wrong_amount:
                lines.append(f"- {Path(r.path).relative_to(root)} [{r.kind}]")
                lines.extend(f"    not stored p{row.page_no}: {row.text[:90]}" for row in r.missing)
                lines.extend(
                    f"    amount p{row.page_no}: {row.text[:70]} | stored {[str(a) for a in amounts]}"
                    for row, amounts in r.wrong_amount
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    real.add_survey_arguments(parser)
    parser.add_argument("--misses", action="store_true", help="list every row not stored or stored otherwise")
    args = parser.parse_args()
    paths, found, seconds = real.survey(_survey_one, args)
    results = [recall for recalls in found for recall in recalls]
    print(f"extractor {EXTRACTOR_VERSION}, {len(paths)} files, {seconds:.0f} s\n")
    print(report(results, args.root, args.misses))


if __name__ == "__main__":
    main()
