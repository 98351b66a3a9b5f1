"""The label-free line recall (``yusuan/evaluation/text_recall.py``, ``bench/text_recall.py``):
printed coded rows are read from the page text, and a stored line left out or stored with another
amount is reported."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal
from pathlib import Path

import pytest

from yusuan.evaluation.text_recall import printed_row, printed_rows, table_recall
from yusuan.extract.document import extract_document
from yusuan.models import ExtractedDocument
from yusuan.synth.model import generate_budget
from yusuan.synth.render import RenderStyle, render_budget

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


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("30101 基本工资 15.00 30201 办公费 3.00", [("30101", "15.00"), ("30201", "3.00")]),
        ("301 01 基本工资 262.33 302 01 办公费 21.21", [("30101", "262.33"), ("30201", "21.21")]),
        ("30102 津贴补贴 10.00 - 302 02 印刷费 2.00", [("30102", "10.00"), ("30202", "2.00")]),
        ("30103 奖金 30203 咨询费 1.00", [("30203", "1.00")]),  # the left block's cell is blank
        ("301 03 奖金 302 03 咨询费", []),  # both blank
        ("30110 职工基本医疗保险缴费 50102 社会保障缴费 9,617,937", [("30110", "9617937")]),  # its 政府 pairing
        ("30201 办公费 302 302.00", [("30201", "302")]),  # an amount of three digits is no code
    ],
)
def test_rows_printed_side_by_side_on_one_line_are_each_read(text: str, rows: list[tuple[str, str]]) -> None:
    assert [(row.code, row.amount) for row in printed_rows(text, 1, economic=True)] == [
        (code, Decimal(amount)) for code, amount in rows
    ]


def test_side_by_side_blocks_are_surveyed_block_by_block(tmp_path: Path) -> None:
    """A 基本支出 table of 人员经费 and 公用经费 blocks side by side: the survey counts both blocks'
    rows, finds them all stored, and reports the right block's rows where only the left's are."""
    seed = 300201
    budget = generate_budget(seed)
    style = dataclasses.replace(RenderStyle.draw(random.Random(seed)), line_layout="side-by-side")
    path = tmp_path / "blocks.pdf"
    path.write_bytes(render_budget(budget, style))
    doc = extract_document(path, str(seed))
    basic = [r for r in table_recall(path, doc) if r.kind == "general_budget_basic_expenditure"]
    # More rows than the left block holds (a name wrapped off its code's line is not counted).
    assert len(basic) == 1 and basic[0].printed > sum(e.is_personnel for e in budget.econ)
    assert basic[0].missing == [] and basic[0].wrong_amount == []
    public = {e.code for e in budget.econ if not e.is_personnel}
    left_only = dataclasses.replace(doc, economic_lines=[e for e in doc.economic_lines if e.econ_code not in public])
    missing = {row.code for r in table_recall(path, left_only) for row in r.missing}
    assert missing == public
