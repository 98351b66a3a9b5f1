"""The real published PDFs of ../shared/real/pdf outside cities/ (those are scored against their
hand-made labels in test_real_truth.py), ingested through the demo portal.

Outcomes asserted per document: scanned → quarantined as needs_ocr with no facts; 决算 →
recorded as such, not loaded; every other (text-layer budget) → loaded with its year, an agency,
and income_total equal to expenditure_total.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import engine_for
from tests.conftest import REAL_PDFS, ingest_column, needs_shared
from yusuan.demo.site import demo_column

pytestmark = [pytest.mark.slow, needs_shared]

REAL = sorted(p for p in REAL_PDFS.rglob("*.pdf") if "cities" not in p.relative_to(REAL_PDFS).parts)


def _year_in_name(path: Path) -> int:
    match = re.search(r"(20\d{2})", path.name) or re.search(r"(\d{2})年", path.name)
    assert match, path.name
    year = int(match.group(1))
    return year if year > 2000 else 2000 + year


@pytest.fixture(scope="module")
def real_results(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    summary = ingest_column(database_url, tmp_path_factory.mktemp("real"), demo_column(REAL), "real", 200)
    by_name = {Path(d["url"].split("?")[0]).name: d for d in summary["documents"]}
    with engine_for(database_url).connect() as conn:
        rows = (
            conn.execute(
                text(
                    """WITH best AS (
                       SELECT DISTINCT ON (document_id, name) document_id, name, amount
                       FROM yusuan.figures ORDER BY document_id, name, priority, table_index, row_index)
                   SELECT d.document_id, d.status, d.reason, d.doc_kind, d.agency_name, d.fiscal_year,
                          (SELECT amount FROM best b WHERE b.document_id = d.document_id
                             AND b.name = 'income_total') AS income_total,
                          (SELECT amount FROM best b WHERE b.document_id = d.document_id
                             AND b.name = 'expenditure_total') AS expenditure_total,
                          (SELECT count(*) FROM yusuan.function_lines f WHERE f.document_id = d.document_id)
                            + (SELECT count(*) FROM yusuan.figures g WHERE g.document_id = d.document_id) AS facts
                   FROM budget.documents d"""
                )
            )
            .mappings()
            .all()
        )
    docs = {r["document_id"]: dict(r) for r in rows}
    from urllib.parse import unquote

    return {unquote(name): docs[d["document_id"]] for name, d in by_name.items() if d["document_id"] in docs}


def test_real_pdfs_present() -> None:
    assert len(REAL) >= 50, "../shared/real/pdf must hold the real PDFs"


@pytest.mark.parametrize("pdf", [p for p in REAL if p.parent.name == "scanned"], ids=lambda p: p.stem)
def test_scanned_pdfs_need_ocr(pdf: Path, real_results: dict[str, dict]) -> None:
    doc = real_results[pdf.name]
    assert (doc["status"], doc["reason"]) == ("quarantined", "needs_ocr")
    assert doc["facts"] == 0


@pytest.mark.parametrize("pdf", [p for p in REAL if "决算" in p.name], ids=lambda p: p.stem)
def test_final_accounts_are_recorded_not_loaded(pdf: Path, real_results: dict[str, dict]) -> None:
    doc = real_results[pdf.name]
    assert doc["status"] == "not_budget"
    assert doc["doc_kind"] == "部门决算"
    assert doc["fiscal_year"] == _year_in_name(pdf)
    assert doc["facts"] == 0


BUDGETS = [p for p in REAL if p.parent.name != "scanned" and "决算" not in p.name]


@pytest.mark.parametrize("pdf", BUDGETS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_budget_loaded_with_year_and_agency(pdf: Path, real_results: dict[str, dict]) -> None:
    doc = real_results[pdf.name]
    assert doc["status"] == "loaded"
    assert doc["fiscal_year"] == _year_in_name(pdf)
    assert doc["agency_name"] and "_" not in doc["agency_name"]
    assert doc["doc_kind"] in ("部门预算", "单位预算")


def test_budgets_balance(real_results: dict[str, dict]) -> None:
    """Issue 4's bar: at least 95% of text-layer budgets give income_total == expenditure_total
    (per document, current version of its filing or not)."""
    balanced = [
        p.name
        for p in BUDGETS
        if real_results[p.name]["income_total"] is not None
        and real_results[p.name]["income_total"] == real_results[p.name]["expenditure_total"]
    ]
    assert len(balanced) / len(BUDGETS) >= 0.95, sorted(set(p.name for p in BUDGETS) - set(balanced))


def test_word_made_grid_whose_body_sits_off_its_header() -> None:
    """省法院2018 (a Word-made file): every body row is printed one grid column left of the header
    cells (the codes under a blank header cell, the names under 功能科目代码), and a table's next
    page has a grid of its own. The header is moved onto the body, the next page's rows onto the
    table's columns: the 项 lines come out and add up to the 合计."""
    import hashlib

    from yusuan.extract.document import extract_document
    from yusuan.extract.reconcile import reconcile

    path = next(p for p in REAL if "省法院2018" in p.name)
    doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
    table = next(t.index for t in doc.tables if t.kind == "general_budget_expenditure" and "财政拨款" in t.title)
    lines = {line.func_code: line for line in doc.function_lines if line.lineage.table_index == table}
    assert (lines["2040501"].func_name, lines["2040501"].total) == ("行政运行", Decimal("148576100.00"))
    assert len(lines) == 11 and "204" not in lines and "20405" not in lines  # 项 lines, not subtotals
    checks = [c for c in reconcile(doc) if c.name == "lines_sum_to_table_total"]
    check = next(c for c in checks if f"table {table} " in c.subject)
    assert check.status == "passed" and check.expected == Decimal("331721500.00")
    # The basic-expenditure table runs onto a page drawn with 5 columns instead of 9: its rows
    # join the table (职业年金缴费 is on that page, under the table's own columns).
    basic = next(t.index for t in doc.tables if t.kind == "general_budget_basic_expenditure" and "财政拨款" in t.title)
    lines = {line.econ_code: line for line in doc.economic_lines if line.lineage.table_index == basic}
    assert (lines["30109"].econ_name, lines["30109"].total) == ("职业年金缴费", Decimal("5307200.00"))
    assert lines["30109"].lineage.page_no == lines["30101"].lineage.page_no + 1
    # Its 合计 (printed a column right, under the same 金额 cell) is read, and the row printed
    # above the next page's first rule (30108, 1,326.81 万元: the page break cut its top rule, so
    # no cell holds it) is cut into the table's columns: the lines add up to the 合计.
    assert (lines["30108"].total, lines["30108"].lineage.page_no) == (
        Decimal("13268100.00"),
        lines["30109"].lineage.page_no,
    )
    basic_check = next(c for c in checks if f"table {basic} " in c.subject)
    assert basic_check.status == "passed" and basic_check.expected == Decimal("185708200.00")


def test_a_row_above_a_continuation_pages_first_rule_is_read_into_its_table() -> None:
    """省法院2017: the first row of each continuation page (2210201 住房公积金, 30206 电费) has no
    top rule and no cell; it is read into its table, and every line table adds up."""
    import hashlib

    from yusuan.extract.document import extract_document

    path = next(p for p in REAL if "省法院2017" in p.name)
    doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
    firsts = {(line.func_code, line.total) for line in doc.function_lines}
    assert ("2210201", Decimal("10291500.00")) in firsts
    assert ("30206", Decimal("2350000.00")) in {(line.econ_code, line.total) for line in doc.economic_lines}
    line_checks = [c for c in doc.checks if c.name in ("lines_add_up", "lines_sum_to_table_total")]
    assert len(line_checks) >= 8 and all(c.status != "failed" for c in line_checks), [
        c.detail for c in line_checks if c.status == "failed"
    ]
