"""The label-free line recall (``yusuan/evaluation/text_recall.py``, ``bench/text_recall.py``):
printed coded rows are read from the page text, and a stored line left out or stored with another
amount is reported."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from yusuan.evaluation.text_recall import printed_row, table_recall
from yusuan.extract.document import extract_document
from yusuan.models import ExtractedDocument
from yusuan.synth.model import generate_budget
from yusuan.synth.render import render_budget

SEEDS = (300001, 300002, 300003)


@pytest.mark.parametrize(
    ("text", "economic", "code", "amount"),
    [
        ("2010501 行政运行 1,234.56 1,234.56", False, "2010501", Decimal("1234.56")),
        ("201 01 01 行政运行 100 100", False, "2010101", Decimal("100")),
        ("2040599 其他法院支出 910.00", False, "2040599", Decimal("910.00")),
        ("[30101]基本工资 12.5 12.5", True, "30101", Decimal("12.5")),
        ("301 工资福利支出 7,687.65", True, "301", Decimal("7687.65")),
        ("50101 工资奖金津补贴 3.00", True, "50101", Decimal("3.00")),
        ("30110 职工基本医疗保险缴费 50102 社会保障缴费 9,617,937 9,617,937", True, "30110", Decimal("9617937")),
    ],
)
def test_a_coded_row_is_read_from_its_text(text: str, economic: bool, code: str, amount: Decimal) -> None:
    row = printed_row(text, 3, economic)
    assert row is not None
    assert (row.code, row.amount, row.page_no) == (code, amount, 3)


@pytest.mark.parametrize(
    ("text", "economic"),
    [
        ("2026 年度一般公共预算拨款支出预算表", False),  # a year, not a code
        ("21208 19,239.19 0.00 19,239.19", False),  # no name: the code's digits run into an amount
        ("201 1378.41 1378.41 903.85", False),
        ("2010501-行政运行 50101-工资奖金津补贴 30101-基本工资 3,702.21", False),  # one cell of a breakdown
        ("30101 基本工资 2,509.00", False),  # an economic code in a function table
        ("2010101 行政运行 100", True),  # and the other way round
        ("合计 28,849.38", False),
        ("204 公共安全支出", False),  # no amount
    ],
)
def test_other_text_is_no_coded_row(text: str, economic: bool) -> None:
    assert printed_row(text, 1, economic) is None


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, ExtractedDocument]]:
    directory = tmp_path_factory.mktemp("recall")
    docs = []
    for seed in SEEDS:
        path = directory / f"{seed}.pdf"
        path.write_bytes(render_budget(generate_budget(seed)))
        docs.append((path, extract_document(path, str(seed))))
    return docs


def test_every_printed_row_of_a_generated_budget_is_stored(generated: list[tuple[Path, ExtractedDocument]]) -> None:
    for path, doc in generated:
        recalls = table_recall(path, doc)
        assert recalls, path.name
        assert sum(r.printed for r in recalls) > 20
        assert [row.text for r in recalls for row in r.missing] == []
        assert [row.text for r in recalls for row, _ in r.wrong_amount] == []


def test_a_line_left_out_or_misread_is_reported(generated: list[tuple[Path, ExtractedDocument]]) -> None:
    path, doc = generated[0]
    # A 项 of the general-budget table, with an amount to compare.
    leaf = next(
        line
        for line in doc.function_lines
        if line.table_kind == "general_budget_expenditure" and line.total and len(line.func_code) == 7
    )
    left_out = dataclasses.replace(doc, function_lines=[line for line in doc.function_lines if line is not leaf])
    missing = [row.code for r in table_recall(path, left_out) for row in r.missing]
    # The 项, and its 款 and 类 where it was their only stored leaf.
    assert leaf.func_code in missing
    assert all(leaf.func_code.startswith(code) for code in missing)

    misread = dataclasses.replace(leaf, total=leaf.total + Decimal("10000"), basic_total=None, project_total=None)
    changed = dataclasses.replace(
        doc, function_lines=[misread if line is leaf else line for line in doc.function_lines]
    )
    wrong = [row.code for r in table_recall(path, changed) for row, _ in r.wrong_amount]
    assert wrong == [leaf.func_code]
