"""Compare an extraction with the true values of a generated budget, cell by cell."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from yusuan.models import ExtractedDocument
from yusuan.synth.model import SynthBudget


@dataclass(slots=True)
class Score:
    expected: Counter[str] = field(default_factory=Counter)
    exact: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def check(self, kind: str, label: str, expected: Decimal, got: Decimal | None) -> None:
        self.expected[kind] += 1
        # A zero is printed blank, "-" or "0.00": no amount read is right only when zero is expected.
        if (got if got is not None else Decimal(0)) == expected:
            self.exact[kind] += 1
        else:
            self.misses.append(f"{kind} {label}: expected {expected}, got {got}")

    def merge(self, other: Score) -> None:
        self.expected.update(other.expected)
        self.exact.update(other.exact)
        self.misses += other.misses

    def share(self, kind: str | None = None) -> float:
        if kind is None:
            total = sum(self.expected.values())
            return sum(self.exact.values()) / total if total else 1.0
        return self.exact[kind] / self.expected[kind] if self.expected[kind] else 1.0


def score(budget: SynthBudget, doc: ExtractedDocument, line_layout: str = "standard") -> Score:
    """Every numeric cell of ``budget`` against what ``doc`` holds; ``line_layout`` is the one it was
    rendered in (the ``basic-by-function`` layout prints the 基本支出 table by function class)."""
    s = Score()
    _function_tables(budget, doc, s)
    if line_layout == "basic-by-function":
        _basic_by_function(budget, doc, s)
    else:
        _basic_by_economic_class(budget, doc, s)
    _other_tables(budget, doc, s)
    return s


def _basic_by_function(budget: SynthBudget, doc: ExtractedDocument, s: Score) -> None:
    got = {line.func_code: line for line in doc.function_lines if line.table_kind == "general_budget_basic_expenditure"}
    for line in budget.lines:
        if not line.basic:
            continue
        found = got.get(line.code)
        for name, value, attr in (
            ("total", line.basic, "total"),
            ("personnel", line.personnel, "personnel"),
            ("public", line.public, "public_funds"),
        ):
            got_value = getattr(found, attr) if found else None
            s.check("general_budget_basic_expenditure", f"{line.code} {name}", budget.yuan(value), got_value)


def _function_tables(budget: SynthBudget, doc: ExtractedDocument, s: Score) -> None:
    y = budget.yuan
    for kind in ("expenditure_summary", "general_budget_expenditure"):
        got = {line.func_code: line for line in doc.function_lines if line.table_kind == kind}
        for line in budget.lines:
            found = got.get(line.code)
            for name, value in (("total", line.total), ("basic", line.basic), ("project", line.project)):
                s.check(
                    kind,
                    f"{line.code} {name}",
                    y(value),
                    getattr(found, {"total": "total", "basic": "basic_total", "project": "project_total"}[name])
                    if found
                    else None,
                )


def _basic_by_economic_class(budget: SynthBudget, doc: ExtractedDocument, s: Score) -> None:
    y = budget.yuan
    econ = {
        line.econ_code: line for line in doc.economic_lines if line.table_kind == "general_budget_basic_expenditure"
    }
    for line in budget.econ:
        found = econ.get(line.code)
        personnel = line.amount if line.is_personnel else Decimal(0)
        public = Decimal(0) if line.is_personnel else line.amount
        for name, value, attr in (
            ("total", line.amount, "total"),
            ("personnel", personnel, "personnel"),
            ("public", public, "public_funds"),
        ):
            s.check(
                "general_budget_basic_expenditure",
                f"{line.code} {name}",
                y(value),
                getattr(found, attr) if found else None,
            )


def _other_tables(budget: SynthBudget, doc: ExtractedDocument, s: Score) -> None:
    y = budget.yuan
    projects = {p.project_name: p for p in doc.projects}
    for project in budget.projects:
        found = projects.get(project.name)
        s.check("project_expenditure", project.name, y(project.amount), found.total if found else None)
    tp = budget.three_public
    assert tp is not None
    figures = {
        "income_total": budget.total,
        "expenditure_total": budget.total,
        "basic_expenditure": budget.basic,
        "project_expenditure": budget.project,
        "three_public_total": tp.total,
        "three_public_abroad": tp.abroad,
        "three_public_vehicle_purchase": tp.purchase,
        "three_public_vehicle_operation": tp.operation,
        "three_public_reception": tp.reception,
    }
    for name, value in figures.items():
        s.check("totals", name, y(value), doc.figure(name))
