"""Do real budgets pass yusuan's own checks? The reconciliation survey of ``../shared/real``.

    .venv/bin/python bench/checks.py [--root ../shared/real/pdf] [--only cities] [--jobs 2]
                                     [--cache DIR] [--misses]

Every PDF under ``--root`` is extracted as the pipeline would (its file name the only hint); the
budgets with tables are surveyed: how many line tables add up (``lines_add_up``), how many
documents carry ``verdict = failed``, and which checks fail, split into what yusuan says it
misread and what it says the source prints so. ``--misses`` lists every failed check with its
detail. No file needs a label: this is how a file nobody labelled is known to be read right.
Results go to stdout; docs/accuracy.md records them by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real

from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.models import Check

_LINE_CHECKS = ("lines_add_up", "line_parts_add_up")


@dataclass(frozen=True, slots=True)
class Surveyed:
    path: str
    content_kind: str
    checks: tuple[Check, ...]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "failed"]


def _survey_one(path: Path) -> Surveyed:
    doc = extract_document(path, "bench", hint=path.name)
    return Surveyed(str(path), str(doc.content_kind), tuple(doc.checks))


def _cause(check: Check) -> str:
    return "misread" if "misread" in check.detail else "source"


def report(results: list[Surveyed], root: Path, misses: bool) -> str:
    budgets = [r for r in results if r.content_kind == "budget_tables"]
    lines = [f"{len(budgets)} budgets with tables of {len(results)} files"]
    for name in _LINE_CHECKS:
        checks = [c for r in budgets for c in r.checks if c.name == name]
        held = sum(c.status != "failed" for c in checks)
        lines.append(f"{name}: {held} of {len(checks)} tables hold")
    failed = [r for r in budgets if r.failed]
    lines.append(f"verdict failed: {len(failed)} of {len(budgets)} budgets")
    causes = Counter((c.name, _cause(c)) for r in failed for c in r.failed)
    for (name, cause), n in sorted(causes.items()):
        lines.append(f"  {name} ({cause}): {n}")
    if misses:
        for r in failed:
            lines.append(f"- {Path(r.path).relative_to(root)}")
            lines.extend(f"    {c.name} {c.subject}: {c.detail[:240]}" for c in r.failed)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    real.add_survey_arguments(parser)
    parser.add_argument("--misses", action="store_true", help="list every failed check")
    args = parser.parse_args()
    _, results, seconds = real.survey(_survey_one, args)
    print(f"extractor {EXTRACTOR_VERSION}, {seconds:.0f} s\n")
    print(report(results, args.root, args.misses))


if __name__ == "__main__":
    main()
