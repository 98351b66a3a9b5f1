"""What a real file really is, labelled by hand, and how an extraction scores against it.

``TRUTH.tsv`` (see ``../shared/real/README.md``) gives, per file: its kind (budget_tables,
budget_text, budget_other, not_budget, final_accounts, scanned_*), the agency as printed, the
fiscal year and the stated totals in yuan. The same rules score the shared files and the unseen
ones, so nothing here knows any file.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from yusuan.extract.metadata import normalise_agency
from yusuan.models import ContentKind, DocumentStatus, ExtractedDocument

BUDGET_KINDS = ("budget_tables", "budget_text")
# Scanned files have no text: yusuan can only say "needs OCR", whatever the pages show.
_EXPECTED_KIND = {"scanned_budget": ContentKind.NEEDS_OCR, "scanned_not_budget": ContentKind.NEEDS_OCR}


@dataclass(frozen=True, slots=True)
class Label:
    file: str
    sha256: str
    kind: str
    agency: str
    fiscal_year: int | None
    income_total: Decimal | None
    expenditure_total: Decimal | None

    @property
    def is_budget(self) -> bool:
        return self.kind in BUDGET_KINDS

    @property
    def expected_kind(self) -> str:
        return _EXPECTED_KIND.get(self.kind, self.kind)


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def read_labels(path: Path) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Label(
                file=row["file"],
                sha256=row["sha256"],
                kind=row["kind"],
                agency=row["agency"].strip(),
                fiscal_year=int(row["fiscal_year"]) if row["fiscal_year"].strip() else None,
                income_total=_decimal(row["income_total"]),
                expenditure_total=_decimal(row["expenditure_total"]),
            )
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def present(labels: list[Label], root: Path) -> tuple[list[Label], list[Label]]:
    """Labels whose file is there with the labelled bytes, and those whose file is missing or was
    overwritten (a crawler that saved two files under one name keeps only the last)."""
    kept, stale = [], []
    for label in labels:
        path = root / label.file
        ok = path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == label.sha256
        (kept if ok else stale).append(label)
    return kept, stale


def same_agency(found: str, expected: str) -> bool:
    """Exact, qualifiers such as （本级） aside and brackets in either width."""
    return bool(found) and normalise_agency(found) == normalise_agency(expected)


@dataclass(slots=True)
class Outcome:
    """One file: what was expected, what came out, and which parts were right."""

    label: Label
    kind: str
    loaded_as_budget: bool
    agency: str
    fiscal_year: int | None
    income_total: Decimal | None
    expenditure_total: Decimal | None
    reason: str

    @property
    def kind_right(self) -> bool:
        return self.kind == self.label.expected_kind

    @property
    def totals_right(self) -> bool:
        return (self.income_total, self.expenditure_total) == (self.label.income_total, self.label.expenditure_total)

    @property
    def agency_right(self) -> bool:
        return same_agency(self.agency, self.label.agency)

    @property
    def year_right(self) -> bool:
        return self.fiscal_year == self.label.fiscal_year

    @property
    def budget_right(self) -> bool:
        return self.loaded_as_budget and self.totals_right and self.agency_right and self.year_right

    def misses(self) -> list[str]:
        out = [] if self.kind_right else [f"kind {self.kind} (want {self.label.expected_kind})"]
        if self.label.is_budget:
            if not self.loaded_as_budget:
                out.append("not loaded as a budget")
            if not self.totals_right:
                out.append(
                    f"totals {self.income_total}/{self.expenditure_total} "
                    f"(want {self.label.income_total}/{self.label.expenditure_total})"
                )
            if not self.agency_right:
                out.append(f"agency {self.agency!r} (want {self.label.agency!r})")
            if not self.year_right:
                out.append(f"year {self.fiscal_year} (want {self.label.fiscal_year})")
        elif self.loaded_as_budget:
            out.append("loaded as a budget")
        return out


def outcome(label: Label, doc: ExtractedDocument) -> Outcome:
    return Outcome(
        label=label,
        kind=str(doc.content_kind),
        loaded_as_budget=doc.status == DocumentStatus.LOADED and doc.content_kind in BUDGET_KINDS,
        agency=doc.agency_name_raw,
        fiscal_year=doc.fiscal_year,
        income_total=doc.figure("income_total"),
        expenditure_total=doc.figure("expenditure_total"),
        reason=doc.kind_reason or doc.error or "",
    )


@dataclass(slots=True)
class Scorecard:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def budgets(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.label.is_budget]

    @property
    def non_budgets_loaded(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.label.is_budget and o.loaded_as_budget]

    def share(self, attribute: str) -> float:
        budgets = self.budgets
        return sum(getattr(o, attribute) for o in budgets) / len(budgets) if budgets else 1.0

    def kind_confusion(self) -> Counter[tuple[str, str]]:
        return Counter((o.label.expected_kind, o.kind) for o in self.outcomes)

    def report(self) -> str:
        budgets = self.budgets
        lines = [
            f"files: {len(self.outcomes)}, budgets (tables + text): {len(budgets)}",
            "",
            "| measure | count | share |",
            "|---|---:|---:|",
        ]
        for title, attribute in (
            ("budgets loaded as budgets", "loaded_as_budget"),
            ("income and expenditure totals exact", "totals_right"),
            ("agency exact", "agency_right"),
            ("fiscal year right", "year_right"),
            ("all of these", "budget_right"),
        ):
            hits = sum(getattr(o, attribute) for o in budgets)
            lines.append(f"| {title} | {hits} of {len(budgets)} | {self.share(attribute):.1%} |")
        right = sum(o.kind_right for o in self.outcomes)
        lines.append(f"| kind right (all files) | {right} of {len(self.outcomes)} | {right / len(self.outcomes):.1%} |")
        others = [o for o in self.outcomes if not o.label.is_budget]
        lines.append(f"| non-budgets / 决算 loaded as budgets | {len(self.non_budgets_loaded)} of {len(others)} | |")
        lines += ["", "| expected kind | found kind | files |", "|---|---|---:|"]
        for (want, got), n in sorted(self.kind_confusion().items()):
            lines.append(f"| {want} | {got} | {n} |")
        return "\n".join(lines)
