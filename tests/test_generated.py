"""Extraction measured on generated budgets (known true values, many layout variants)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from yusuan.extract.document import extract_document
from yusuan.models import DocumentStatus
from yusuan.synth.model import generate_budget
from yusuan.synth.render import LINE_LAYOUTS, PERFORMANCE_ROWS, RenderStyle, render_budget
from yusuan.synth.truth import Score, score

# Seeds outside the range the extractor was developed on (1-60) and the benchmark's (100000+).
SEEDS = range(300000, 300024)


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Score]:
    out = {}
    directory = tmp_path_factory.mktemp("generated")
    for seed in SEEDS:
        budget = generate_budget(seed)
        path = directory / f"{seed}.pdf"
        path.write_bytes(render_budget(budget))
        doc = extract_document(path, str(seed))
        assert doc.status is DocumentStatus.LOADED
        assert (doc.agency_name, doc.fiscal_year, doc.doc_kind) == (budget.agency, budget.year, budget.doc_kind)
        out[seed] = score(budget, doc)
    return out


def test_generation_is_deterministic(tmp_path: Path) -> None:
    assert generate_budget(7) == generate_budget(7)
    assert render_budget(generate_budget(7)) == render_budget(generate_budget(7))


def test_generated_budgets_are_consistent() -> None:
    for seed in SEEDS:
        b = generate_budget(seed)
        assert b.basic + b.project == b.total
        assert sum(e.amount for e in b.econ if e.is_personnel) == b.personnel
        assert sum(e.amount for e in b.econ if not e.is_personnel) == b.public
        assert sum(p.amount for p in b.projects) == b.project


def test_variants_are_covered() -> None:
    styles = [RenderStyle.draw(random.Random(seed * 7919 + 1)) for seed in SEEDS]
    assert {s.ruling for s in styles} == {"grid", "horizontal"}
    assert {s.split_codes for s in styles} == {True, False}
    assert {s.landscape for s in styles} == {True, False}
    assert {s.header_depth for s in styles} == {1, 2}
    assert {generate_budget(seed).unit for seed in SEEDS} == {"万元", "元"}


def test_numeric_cells_extracted_exactly(scores: dict[int, Score]) -> None:
    total = Score()
    for result in scores.values():
        total.merge(result)
    kinds = {
        "expenditure_summary",
        "general_budget_expenditure",
        "general_budget_basic_expenditure",
        "project_expenditure",
        "totals",
    }
    assert set(total.expected) == kinds
    # A regression guard on 24 documents (98.9% when written: one document whose continuation
    # page loses its header is the known miss); the benchmark measures 300 (docs/accuracy.md).
    assert total.share() >= 0.985, total.misses[:10]
    for kind in kinds:
        assert total.share(kind) >= 0.97, (kind, [m for m in total.misses if m.startswith(kind)][:5])


def test_inconsistent_table_is_flagged_not_rejected(tmp_path: Path) -> None:
    budget = generate_budget(4242)
    path = tmp_path / "wrong-total.pdf"
    path.write_bytes(render_budget(budget, corrupt_total=True))
    doc = extract_document(path, "wrong-total")
    assert doc.status is DocumentStatus.LOADED
    assert doc.verdict == "failed"
    failed = [c for c in doc.checks if c.status == "failed"]
    assert any(c.name == "lines_sum_to_table_total" and "expenditure_summary" in c.subject for c in failed)
    bad = next(c for c in failed if c.name == "lines_sum_to_table_total")
    assert bad.expected is not None and bad.actual is not None and bad.expected != bad.actual

    clean = tmp_path / "clean.pdf"
    clean.write_bytes(render_budget(budget))
    assert extract_document(clean, "clean").verdict == "passed"


def test_every_table_kind_is_classified_and_parsed(tmp_path: Path) -> None:
    from yusuan.extract.classify import TABLE_KINDS

    budget = generate_budget(31337)
    path = tmp_path / "all-kinds.pdf"
    path.write_bytes(render_budget(budget))
    doc = extract_document(path, "all-kinds")
    kinds = {t.kind for t in doc.tables}
    assert kinds == set(TABLE_KINDS)
    total = budget.yuan(budget.total)
    table_totals = {f.table_kind: f.amount for f in doc.figures if f.name == "table_total"}
    assert table_totals["income_summary"] == total
    assert table_totals["expenditure_summary"] == total
    assert table_totals["general_budget_expenditure"] == total
    assert table_totals["economic_classification_summary"] == total
    assert table_totals["general_budget_basic_expenditure"] == budget.yuan(budget.basic)
    assert doc.figure("fiscal_income_total") == doc.figure("fiscal_expenditure_total") == total
    assert doc.figure("admin_operating_cost") == budget.yuan(budget.public)
    summary_lines = [x for x in doc.economic_lines if x.table_kind == "economic_classification_summary"]
    assert sum(x.total for x in summary_lines) == total
    targets = next(t for t in doc.tables if t.kind == "performance_targets")
    assert any("三级指标" in label for label in targets.column_labels)
    assert [(t.level1, t.level2, t.indicator, t.target_value) for t in doc.targets] == list(PERFORMANCE_ROWS)
    assert doc.verdict == "passed"
    # The running text states the same figures, read and cross-checked as such.
    text_checks = {c.subject: c.status for c in doc.checks if c.name == "text_agrees_with_tables"}
    assert text_checks == dict.fromkeys(
        ["income_total", "expenditure_total", "basic_expenditure", "project_expenditure", "admin_operating_cost"],
        "passed",
    )


def test_tables_without_any_ruling_line_are_read(tmp_path: Path) -> None:
    """The same budgets with no rule drawn at all (text positions only): pdfplumber finds no
    table; the borderless reader rebuilds them from their words."""
    total = Score()
    for seed in range(300100, 300108):
        budget = generate_budget(seed)
        style = dataclasses.replace(RenderStyle.draw(random.Random(seed * 7919 + 1)), ruling="none")
        path = tmp_path / f"{seed}.pdf"
        path.write_bytes(render_budget(budget, style))
        doc = extract_document(path, str(seed))
        assert doc.status is DocumentStatus.LOADED and doc.content_kind == "budget_tables"
        total.merge(score(budget, doc))
    assert total.share() >= 0.98, total.misses[:10]
    assert total.share("totals") >= 0.98, [m for m in total.misses if m.startswith("totals")][:5]


@pytest.mark.parametrize(
    ("layout", "ruling"),
    [(layout, "grid") for layout in LINE_LAYOUTS if layout != "standard"]
    + [(layout, "none") for layout in LINE_LAYOUTS if layout != "standard"],
)
def test_line_tables_in_other_templates_layouts_are_read(tmp_path: Path, layout: str, ruling: str) -> None:
    """Every line of every line table, printed in the layouts other templates use (side-by-side
    人员经费 | 公用经费 blocks, codes in the name cell, the 合计 row last, no 合计 column, full-width
    numbers): each in its part, every document's totals right."""
    total = Score()
    for seed in range(300200, 300203):
        budget = generate_budget(seed)
        style = RenderStyle.draw(random.Random(seed * 7919 + 1))
        style = dataclasses.replace(style, line_layout=layout, ruling=ruling)
        path = tmp_path / f"{seed}.pdf"
        path.write_bytes(render_budget(budget, style))
        total.merge(score(budget, extract_document(path, str(seed)), layout))
    for kind in ("general_budget_expenditure", "general_budget_basic_expenditure", "totals"):
        assert total.expected[kind] > 0
        assert total.share(kind) == 1.0, [m for m in total.misses if m.startswith(kind)][:10]


@pytest.mark.parametrize(
    ("seed", "layout", "ruling"),
    [
        # A next page of 公用经费 rows only, codes in the name cell, ruled only horizontally: its own
        # columns were as many as the table's but other ones (the code apart, 人员经费 missing).
        (600016, "codes-in-names", "horizontal"),
        # Side-by-side blocks without rules running on: a wider amount passed the previous page's
        # right edge, and the page's own columns (one block short) were taken.
        (600016, "side-by-side", "none"),
    ],
)
def test_budgets_that_once_lost_lines_read_whole(tmp_path: Path, seed: int, layout: str, ruling: str) -> None:
    """Budgets whose misses gave a rule (docs/accuracy.md, session 28): every numeric cell exact."""
    budget = generate_budget(seed)
    style = dataclasses.replace(RenderStyle.draw(random.Random(seed * 7919 + 1)), line_layout=layout, ruling=ruling)
    path = tmp_path / f"{seed}.pdf"
    path.write_bytes(render_budget(budget, style))
    result = score(budget, extract_document(path, str(seed)), layout)
    assert result.misses == []
