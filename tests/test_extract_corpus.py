"""Extraction of the shared corpus, checked against its ``*.tables.json`` (cells as printed).

The expected values are computed here from the printed cells with a deliberately simple reading
of the corpus layout, independent of the extractor's own header logic.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ASSETS, CORPUS, needs_shared
from yusuan.extract.document import extract_document
from yusuan.models import DocumentStatus, ExtractedDocument

pytestmark = needs_shared

CORPUS_DOCS = sorted(CORPUS.glob("*.pdf"))
WAN = Decimal(10000)


def _yuan(text: str) -> Decimal | None:
    text = text.replace(",", "").strip()
    return (Decimal(text) * WAN).quantize(Decimal("0.01")) if text else None


def _printed(pdf: Path) -> list[dict]:
    return json.loads(pdf.with_suffix(".tables.json").read_text())["tables"]


def _caption(table: dict) -> str:
    return " ".join(table["caption"]).replace(" ", "")


@pytest.fixture(scope="module")
def extracted() -> dict[str, ExtractedDocument]:
    return {pdf.name: extract_document(pdf, pdf.name) for pdf in CORPUS_DOCS}


def test_corpus_present() -> None:
    assert len(CORPUS_DOCS) == 3, "../shared/corpus must hold the three corpus PDFs"


@pytest.mark.parametrize("pdf", CORPUS_DOCS, ids=lambda p: p.stem)
def test_every_function_line_of_the_expenditure_table(pdf: Path, extracted: dict[str, ExtractedDocument]) -> None:
    tables = [t for t in _printed(pdf) if re.search(r"支出总体情况表|单位支出预算表", _caption(t))]
    assert tables, "corpus table not found"
    expected = {}
    for table in tables:
        header = table["rows"][: table["header_rows"]]
        project_col = [i for i, c in enumerate(header[1]) if c.replace(" ", "") == "小计"][1]
        for row in table["rows"][table["header_rows"] :]:
            if re.fullmatch(r"\d{3}", row[0]) and re.fullmatch(r"\d{2}", row[1]) and re.fullmatch(r"\d{2}", row[2]):
                expected[(row[0] + row[1] + row[2], _yuan(row[5]))] = (_yuan(row[6]), _yuan(row[project_col]))
    doc = extracted[pdf.name]
    got = {
        (line.func_code, line.total): (line.basic_total, line.project_total)
        for line in doc.function_lines
        if line.table_kind == "expenditure_summary"
    }
    assert got == expected


@pytest.mark.parametrize("pdf", CORPUS_DOCS, ids=lambda p: p.stem)
def test_every_economic_line_of_the_basic_expenditure_table(pdf: Path, extracted: dict[str, ExtractedDocument]) -> None:
    table = next(t for t in _printed(pdf) if "基本支出表" in _caption(t))
    expected = sorted(
        (row[0], row[2], _yuan(row[4]))
        for row in table["rows"][table["header_rows"] :]
        if re.fullmatch(r"\d{5}", row[0])
    )
    got = sorted(
        (line.econ_code, line.gov_econ_code, line.total)
        for line in extracted[pdf.name].economic_lines
        if line.table_kind == "general_budget_basic_expenditure"
    )
    assert got == expected


@pytest.mark.parametrize("pdf", CORPUS_DOCS, ids=lambda p: p.stem)
def test_every_project(pdf: Path, extracted: dict[str, ExtractedDocument]) -> None:
    table = next(t for t in _printed(pdf) if re.search(r"项目支出(预算)?表", _caption(t)) and "绩效" not in _caption(t))
    head = [c.replace(" ", "") for c in table["rows"][0]]
    type_col = next(i for i, c in enumerate(head) if "类型" in c)
    name_col = next(i for i, c in enumerate(head) if "名称" in c)
    total_col = head.index("合计")
    expected = sorted(
        (row[name_col], _yuan(row[total_col])) for row in table["rows"][table["header_rows"] :] if row[type_col].strip()
    )
    got = sorted((p.project_name, p.total) for p in extracted[pdf.name].projects)
    assert got == expected


# The figures the issue states for Zhengzhou, and the others as their documents print them.
EXPECTED_TOTALS = {
    "000_c95a306f488ad727.pdf": (
        "郑州市医疗保障局",
        2023,
        "部门预算",
        "91872000.00",
        "48704000.00",
        "43168000.00",
        "40000.00",
    ),
    "002_6f2dce77d5db5c26.pdf": (
        "滑县医疗保障局",
        2024,
        "部门预算",
        "232781000.00",
        "7971800.00",
        "224809200.00",
        "92000.00",
    ),
    "003_7bf6c2ef365de56b.pdf": (
        "济源产城融合示范区医疗保障局",
        2022,
        "单位预算",
        "5292000.00",
        "2234000.00",
        "3058000.00",
        "190000.00",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_document_totals(name: str, extracted: dict[str, ExtractedDocument]) -> None:
    agency, year, kind, total, basic, project, three_public = EXPECTED_TOTALS[name]
    doc = extracted[name]
    assert doc.status is DocumentStatus.LOADED
    assert (doc.agency_name, doc.fiscal_year, doc.doc_kind) == (agency, year, kind)
    assert doc.figure("income_total") == Decimal(total)
    assert doc.figure("expenditure_total") == Decimal(total)
    assert doc.figure("basic_expenditure") == Decimal(basic)
    assert doc.figure("project_expenditure") == Decimal(project)
    assert doc.figure("basic_expenditure") + doc.figure("project_expenditure") == Decimal(total)
    assert doc.figure("three_public_total") == Decimal(three_public)
    parts = (
        "three_public_abroad",
        "three_public_vehicle_purchase",
        "three_public_vehicle_operation",
        "three_public_reception",
    )
    assert sum(doc.figure(p) for p in parts) == Decimal(three_public)


def test_three_public_cells_match_print(extracted: dict[str, ExtractedDocument]) -> None:
    for pdf in CORPUS_DOCS:
        table = next(t for t in _printed(pdf) if "三公" in _caption(t) or "三公" in "".join(t["rows"][0]))
        row = table["rows"][table["header_rows"]]
        assert extracted[pdf.name].figure("three_public_total") == _yuan(row[0])


def test_bundled_demo_assets_are_the_corpus() -> None:
    """The demo portal ships its own copies; they must stay byte-identical to the corpus."""
    corpus = {p.read_bytes() for p in CORPUS_DOCS}
    assert {p.read_bytes() for p in ASSETS.glob("*.pdf")} == corpus


def test_lineage_points_at_printed_rows(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["000_c95a306f488ad727.pdf"]
    for line in doc.function_lines:
        table = doc.tables[line.lineage.table_index]
        row = table.rows[line.lineage.row_index]
        assert row.page_no == line.lineage.page_no
        assert table.page_first <= row.page_no <= table.page_last
        assert line.func_code[:3] in "".join(row.cells)


def _target_set(doc: ExtractedDocument) -> set[tuple[str, str, str, str]]:
    return {(t.project_name.replace(" ", ""), t.level1, t.indicator, t.target_value) for t in doc.targets}


def test_performance_targets_of_projects_and_of_the_department(extracted: dict[str, ExtractedDocument]) -> None:
    zhengzhou = _target_set(extracted["000_c95a306f488ad727.pdf"])
    # A summary table printed one column left of its header: names still under 三级指标.
    assert ("物业管理经费", "成本指标", "预算编制合理性", "合理") in zhengzhou
    assert ("物业管理经费", "产出指标", "物业管理面积", "≥5000㎡") in zhengzhou
    assert ("物业管理经费", "满意度指标", "直接服务对象满意度", "≥85%") in zhengzhou
    # A page of the same table printed in place, and a value broken over two lines ("≥8 5%").
    assert ("医保基金稽核业务经费", "成本指标", "预算合理", "100%") in zhengzhou
    assert ("医保基金稽核业务经费", "满意度指标", "医保定点医药结构", "≥85%") in zhengzhou
    # The department as a whole: 一级/二级 merged cells carried down, across a page break.
    department = {
        (t.level1, t.level2, t.indicator, t.target_value)
        for t in extracted["000_c95a306f488ad727.pdf"].targets
        if not t.project_name
    }
    assert ("投入管理指标", "预算和财务管理", "预算执行率", "≥90%") in department
    assert ("投入管理指标", "预算和财务管理", "政府采购执行率", "≥80%") in department  # on the next page

    huaxian = _target_set(extracted["002_6f2dce77d5db5c26.pdf"])
    # Code and name wrapped onto a second printed row: one project.
    assert ("2024年资助困难群众城乡居民医疗保险参保费", "成本指标", "项目总成本", "≤5763580 元") in huaxian
    jiyuan = _target_set(extracted["003_7bf6c2ef365de56b.pdf"])
    assert ("打击欺诈骗保工作经费", "成本指标", "聘请专家费", "≤500元/天") in jiyuan
    for doc in extracted.values():
        assert len(doc.targets) >= 50
        assert all(t.indicator and t.target_value for t in doc.targets)
        assert not any(t.indicator in ("三级指标", "指标值") for t in doc.targets)
