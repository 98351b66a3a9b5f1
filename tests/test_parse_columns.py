"""Column roles of a parsed table: found from the header, checked against the body."""

from __future__ import annotations

from decimal import Decimal

from yusuan.extract.parse import parse_function_table, realigned_to_body
from yusuan.extract.tables import Grid, GridRow
from yusuan.normalise.amounts import Unit
from yusuan.normalise.codes import is_function_code

HEADER = [["功能科目代码"], ["功能科目名称"], ["金额"]]


def _grid(paths: list[list[str]], rows: list[list[str]]) -> Grid:
    return Grid("支出预算表", ["单位：万元"], 1, 1, [], paths, [GridRow(1, cells) for cells in rows])


def test_header_moved_onto_a_body_printed_one_column_left() -> None:
    rows = [
        ["", "", "合计", "30.00", ""],
        ["204", "公共安全支出", "", "30.00", ""],
        ["2040501", "行政运行", "", "20.00", ""],
        ["2040502", "一般行政管理事务", "", "10.00", ""],
    ]
    grid = _grid([[], *HEADER, []], rows)  # the header one column right of the body
    facts = parse_function_table(grid, "general_budget_expenditure", Unit.WAN_YUAN, 0)
    lines = {line.func_code: (line.func_name, line.total) for line in facts.function_lines}
    assert lines == {
        "2040501": ("行政运行", Decimal("200000.00")),
        "2040502": ("一般行政管理事务", Decimal("100000.00")),
    }
    assert [(f.name, f.amount) for f in facts.figures if f.name == "table_total"] == [
        ("table_total", Decimal("300000.00"))
    ]


def test_a_body_under_its_header_is_left_alone() -> None:
    rows = [["204", "公共安全支出", "30.00"], ["2040501", "行政运行", "20.00"], ["2040502", "其他", "10.00"]]
    grid = _grid(HEADER, rows)
    assert realigned_to_body(grid, 0, is_function_code) is grid
    # Too few codes to tell a misprint from a misaligned body: no move either.
    assert realigned_to_body(_grid([[], *HEADER], [["204", "x", "", "1.00"]]), 1, is_function_code).paths[1] == (
        ["功能科目代码"]
    )
