"""Extraction accuracy: share of numeric cells extracted exactly, per table kind.

    .venv/bin/python bench/accuracy.py --count 300 --start 100000 [--ruling none] [--line-layout LAYOUT]

Generated documents (seeds from --start, never the seeds the extractor was developed on) are
rendered, extracted and compared with their true values; the shared corpus is compared with its
``*.tables.json`` totals. Results go to stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yusuan.extract.document import extract_document
from yusuan.synth.model import generate_budget
from yusuan.synth.render import LINE_LAYOUTS, PERFORMANCE_ROWS, RenderStyle, render_budget
from yusuan.synth.truth import Score, score


def run(
    count: int, start: int, ruling: str | None = None, line_layout: str = "standard"
) -> tuple[Score, Counter[str], float]:
    """Numeric cells scored per table kind; ``failures`` also counts documents whose
    绩效目标 rows (text, not numbers) did not come out exactly as rendered."""
    total = Score()
    failures: Counter[str] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(start, start + count):
            budget = generate_budget(seed)
            path = Path(tmp) / f"{seed}.pdf"
            style = RenderStyle.draw(random.Random(seed * 7919 + 1))
            if ruling is not None:
                style = replace(style, ruling=ruling)
            style = replace(style, line_layout=line_layout)
            path.write_bytes(render_budget(budget, style))
            doc = extract_document(path, str(seed))
            result = score(budget, doc, line_layout)
            if result.misses:
                failures[f"seed {seed}"] = len(result.misses)
            targets = [(t.level1, t.level2, t.indicator, t.target_value) for t in doc.targets]
            failures["performance targets not exact"] += targets != list(PERFORMANCE_ROWS)
            total.merge(result)
    return total, failures, time.monotonic() - started


def report(result: Score, count: int, seconds: float) -> str:
    lines = [f"Generated documents: {count} (extraction {seconds / count:.2f} s per document)", ""]
    lines += ["| table kind | numeric cells | exact | share |", "|---|---:|---:|---:|"]
    for kind in sorted(result.expected):
        lines.append(f"| {kind} | {result.expected[kind]} | {result.exact[kind]} | {result.share(kind):.2%} |")
    lines.append(f"| **all** | {sum(result.expected.values())} | {sum(result.exact.values())} | {result.share():.2%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--start", type=int, default=100000)
    parser.add_argument("--show-misses", type=int, default=10)
    parser.add_argument(
        "--ruling", choices=["grid", "horizontal", "none"], help="render every table so (none: no ruling line at all)"
    )
    parser.add_argument(
        "--line-layout",
        choices=LINE_LAYOUTS,
        default="standard",
        help="print every line table so (yusuan/synth/render.py says what each is)",
    )
    args = parser.parse_args()
    result, failures, seconds = run(args.count, args.start, args.ruling, args.line_layout)
    print(report(result, args.count, seconds))
    targets_wrong = failures.pop("performance targets not exact")
    print(f"\nperformance targets (绩效目标表) exact in {args.count - targets_wrong} of {args.count} documents")
    print(f"documents with misses: {len(failures)}")
    for miss in result.misses[: args.show_misses]:
        print("  ", miss)
    for seed, n in failures.most_common(args.show_misses):
        print("  ", seed, n)


if __name__ == "__main__":
    main()
