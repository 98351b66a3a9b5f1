"""Issue 9's yardstick: the 143 files that 17 cities published under "部门预算" headings, ingested
through the demo portal (link texts are the crawler's file names, which lie) and read back from
``budget.documents``, scored against ``../shared/real/TRUTH.tsv`` (labelled by hand).

Held here: every file recorded with a kind and a reason; no non-budget or 决算 loaded as a budget
or current; ≥ 98 % of budgets with income and expenditure totals exact to the yuan, the agency
exact (qualifiers aside) and the fiscal year right; the region read from the agency's name.
``bench/real.py`` prints the same measures without the database.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import engine_for
from storage.line_views import visible_lines
from tests.conftest import REAL_PDFS, ingest_column, needs_shared
from yusuan.demo.site import Article, Attachment, Column
from yusuan.evaluation.lines import read_truth, score_files, truth_by_file
from yusuan.evaluation.truth import BUDGET_KINDS, Label, present, read_labels, same_agency
from yusuan.normalise.regions import region_from_name

pytestmark = [pytest.mark.slow, needs_shared]

TRUTH = REAL_PDFS.parent / "TRUTH.tsv"
LABELS, STALE = present(read_labels(TRUTH), TRUTH.parent) if TRUTH.is_file() else ([], [])
BUDGETS = [label for label in LABELS if label.kind in BUDGET_KINDS]
OTHERS = [label for label in LABELS if label.kind not in BUDGET_KINDS]


def _crawled_column() -> Column:
    """Each file as the crawler found it: listed under a 部门预算 heading, linked by the name the
    crawler gave it (city folder + file name, so two cities' 司法局_2026年部门预算.pdf stay two)."""
    column = Column(path="/bmys/", title="部门预算", per_page=20, name="cities")
    for index, path in enumerate(sorted({TRUTH.parent / label.file for label in LABELS})):
        name = f"{path.parent.name}_{path.name}"
        column.articles.append(
            Article(
                f"c{index:04d}",
                f"部门预算公开 {path.stem}",
                "2026-02-01",
                "部门预算公开，详见附件。",
                (Attachment(name, path.read_bytes()),),
            )
        )
    return column


@pytest.fixture(scope="module")
def documents(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """budget.documents by sha256, with each document's best income/expenditure figures."""
    ingest_column(database_url, tmp_path_factory.mktemp("truth"), _crawled_column(), "cities", 400)
    with engine_for(database_url).connect() as conn:
        rows = conn.execute(
            text(
                """WITH best AS (
                       SELECT DISTINCT ON (document_id, name) document_id, name, amount
                       FROM yusuan.figures ORDER BY document_id, name, priority, table_index, row_index)
                   SELECT d.sha256, d.status, d.content_kind, d.kind_reason, d.error, d.agency_name,
                          d.fiscal_year, d.is_current, d.region_code, d.doc_kind,
                          (SELECT amount FROM best b WHERE b.document_id = d.document_id
                             AND b.name = 'income_total') AS income_total,
                          (SELECT amount FROM best b WHERE b.document_id = d.document_id
                             AND b.name = 'expenditure_total') AS expenditure_total,
                          (SELECT count(*) FROM yusuan.function_lines f WHERE f.document_id = d.document_id)
                            + (SELECT count(*) FROM yusuan.figures g WHERE g.document_id = d.document_id) AS facts,
                          (SELECT count(*) FROM budget.totals t WHERE t.document_id = d.document_id) AS in_totals
                   FROM budget.documents d"""
            )
        ).mappings()
        return {row["sha256"]: dict(row) for row in rows}


def test_truth_labels_present() -> None:
    assert len(LABELS) >= 140, f"{TRUTH} must label the shared city files"
    assert len(STALE) <= 2, [label.file for label in STALE]


def test_every_file_is_recorded_with_a_kind_and_a_reason(documents: dict[str, dict]) -> None:
    missing = [label.file for label in LABELS if label.sha256 not in documents]
    assert missing == []
    unexplained = [
        label.file
        for label in LABELS
        if not documents[label.sha256]["content_kind"]
        or not (documents[label.sha256]["kind_reason"] or documents[label.sha256]["error"])
    ]
    assert unexplained == []


@pytest.mark.parametrize("label", OTHERS, ids=lambda label: Path(label.file).stem[:40])
def test_no_non_budget_is_loaded_as_a_budget(label: Label, documents: dict[str, dict]) -> None:
    doc = documents[label.sha256]
    assert doc["status"] != "loaded" or doc["content_kind"] == "budget_other", doc
    if label.kind == "not_budget":
        assert (doc["content_kind"], doc["is_current"], doc["in_totals"], doc["facts"]) == ("not_budget", False, 0, 0)
    elif label.kind.startswith("scanned"):
        assert doc["content_kind"] == "needs_ocr" and doc["facts"] == 0
    elif label.kind == "budget_other":
        assert doc["content_kind"] == "budget_other" and doc["doc_kind"] not in ("部门预算", "单位预算")


def _right(label: Label, doc: dict) -> list[str]:
    wrong = []
    if (doc["status"], doc["content_kind"]) != ("loaded", label.kind):
        wrong.append(f"{doc['status']} as {doc['content_kind']}")
    if (doc["income_total"], doc["expenditure_total"]) != (label.income_total, label.expenditure_total):
        wrong.append(f"totals {doc['income_total']}/{doc['expenditure_total']}")
    if not same_agency(doc["agency_name"], label.agency):
        wrong.append(f"agency {doc['agency_name']!r}")
    if doc["fiscal_year"] != label.fiscal_year:
        wrong.append(f"year {doc['fiscal_year']}")
    return wrong


def test_budgets_have_their_totals_agency_and_year(documents: dict[str, dict]) -> None:
    misses = {label.file: wrong for label in BUDGETS if (wrong := _right(label, documents[label.sha256]))}
    assert len(BUDGETS) >= 90
    assert (len(BUDGETS) - len(misses)) / len(BUDGETS) >= 0.98, misses


def test_every_budget_filing_has_a_current_version_with_its_region(documents: dict[str, dict]) -> None:
    """Text and tables of one budget are two files of one filing: one of them is current. Two
    agencies with the same name in two cities would be two filings (their regions differ)."""
    current = {
        (d["region_code"], d["agency_name"], d["fiscal_year"], d["doc_kind"])
        for d in documents.values()
        if d["is_current"]
    }
    for label in BUDGETS:
        doc = documents[label.sha256]
        region = region_from_name(label.agency)
        if region is not None:
            assert doc["region_code"] == region.code, (label.file, doc["region_code"])
        assert (doc["region_code"], doc["agency_name"], doc["fiscal_year"], doc["doc_kind"]) in current, label.file
    current_totals = [d for d in documents.values() if d["is_current"] and d["content_kind"] in BUDGET_KINDS]
    assert all(d["income_total"] is not None and d["income_total"] > Decimal(0) for d in current_totals)


LINES = REAL_PDFS.parent / "LINES.tsv"


def test_labelled_lines_are_stored_exactly_and_visible_in_the_views(database_url: str, documents: dict) -> None:
    """Issue 22's yardstick through the pipeline: every leaf line of LINES.tsv whose file this
    crawl loaded, read back from ``budget.function_lines`` / ``budget.economic_lines`` (current
    filings only, so a 情况说明 that hid its tables' lines fails here)."""
    truth = {f: t for f, t in truth_by_file(read_truth(LINES)).items() if f.startswith("pdf/cities/")}
    sha_of = {f: hashlib.sha256((LINES.parent / f).read_bytes()).hexdigest() for f in truth}
    with engine_for(database_url).connect() as conn:
        by_sha = visible_lines(conn)
    shown = {f: by_sha.get(sha, []) for f, sha in sha_of.items()}
    card = score_files(truth, shown)
    assert card.leaves >= 800
    assert card.share >= 0.99, [(t.file, t.table, t.misses) for t in card.tables if t.misses]
