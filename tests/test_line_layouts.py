"""Line tables in the layouts real templates print them, each on a handmade grid.

Every layout is a class of real files (docs/accuracy.md names them): the rows go through the
same header split and column finders as a PDF's, so a test fails when a layout stops being read.
"""

from __future__ import annotations

from decimal import Decimal

from yusuan.extract.borderless import Continuing, borderless_grids, find_text_tables, trailing_header
from yusuan.extract.classify import classify_title
from yusuan.extract.header_rows import is_column_number_row, split_header
from yusuan.extract.hierarchy import nesting
from yusuan.extract.line_checks import PrintedRow, PrintedTable, line_checks
from yusuan.extract.parse import parse_economic_table, parse_function_table, parse_grid, parse_three_public_table
from yusuan.extract.pdf_reader import Block, TableBlock, TextLine
from yusuan.extract.side_by_side import unstacked_blocks
from yusuan.extract.stitching import remap_continuation
from yusuan.extract.tables import RawTable, Segment, build_tables, to_grid
from yusuan.extract.word_grid import cells_by_band, column_bands, leaf_label_bands, line_text, split_bands
from yusuan.models import EconomicLine, FunctionLine
from yusuan.normalise.amounts import Unit
from yusuan.normalise.codes import is_economic_code

Row = list[str | None]


def _grid(*pages: list[Row], title: str = "一般公共预算支出表") -> object:
    table = RawTable(title, ["单位：万元"], [Segment(n, rows) for n, rows in enumerate(pages, start=1)])
    return to_grid(table)


def _function(*pages: list[Row]) -> dict[str, tuple[Decimal | None, ...]]:
    facts = parse_function_table(_grid(*pages), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    return {line.func_code: _amounts(line) for line in facts.function_lines}


def _economic(*pages: list[Row]) -> dict[str, tuple[Decimal | None, ...]]:
    grid = _grid(*pages, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    return {line.econ_code: _amounts(line) for line in facts.economic_lines}


def _economic_from_blocks(blocks: list[Block]) -> dict[str, tuple[Decimal | None, ...]]:
    """The economic lines of the one table the page blocks make, read as the pipeline reads it."""
    (table,) = build_tables(blocks)
    grid = unstacked_blocks(to_grid(table), is_economic_code)
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)
    return {line.econ_code: _amounts(line) for line in facts.economic_lines}


def _economic_over_two_pages(first: list[Row], second: list[Row]) -> dict[str, tuple[Decimal | None, ...]]:
    """A 基本支出 table whose first page prints ``first`` and whose next page prints ``second``,
    each on a grid of its own."""
    blocks: list[Block] = [
        TextLine(1, 10, "一般公共预算基本支出表"),
        TableBlock(1, 50, 200, first),
        TableBlock(2, 20, 200, second),
    ]
    return _economic_from_blocks(blocks)


def _amounts(line: FunctionLine | EconomicLine) -> tuple[Decimal | None, ...]:
    if isinstance(line, FunctionLine):
        return (line.total, line.basic_total, line.project_total)
    return (line.total, line.personnel, line.public_funds)


def _wan(*values: str | None) -> tuple[Decimal | None, ...]:
    return tuple(None if v is None else Decimal(v) * 10000 for v in values)


def test_bracketed_codes_in_the_name_cell_under_a_two_row_header_with_qizhong() -> None:
    """功能科目名称 | 一般公共预算支出 over 小计 | 其中：基本支出 | 项目支出, names like [2060503]科技条件专项."""
    rows: list[Row] = [
        ["功能科目名称", "一般公共预算支出", None, None],
        [None, "小计", "其中：基本支出", "项目支出"],
        ["合计", "60.00", "40.00", "20.00"],
        ["[206]科学技术支出", "20.00", "0.00", "20.00"],
        ["[20605]科技条件与服务", "20.00", "0.00", "20.00"],
        ["[2060503]科技条件专项", "20.00", "0.00", "20.00"],
        ["[2080501]行政单位离退休", "40.00", "40.00", "0.00"],
    ]
    assert _function(rows) == {
        "2060503": _wan("20.00", "0.00", "20.00"),
        "2080501": _wan("40.00", "40.00", "0.00"),
    }


def test_government_and_department_codes_per_row_under_budget_over_personnel_and_public() -> None:
    """政府支出经济分类科目 | 部门支出经济分类科目 | 预算数 over 合计 | 人员经费 | 公用经费, cells
    "50101-工资奖金津补贴" / "30101-基本工资": the second header row starts with 合计 but is header."""
    rows: list[Row] = [
        ["", "政府支出经济分类科目", "部门支出经济分类科目", "预算数", None, None],
        ["", "", "", "合计", "人员经费", "公用经费"],
        ["", "50101-工资奖金津补贴", "30101-基本工资", "2,164.528800", "2,164.528800", ""],
        ["", "50101-工资奖金津补贴", "30102-津贴补贴", "4,924.771872", "4,924.771872", ""],
        ["", "50201-办公经费", "30201-办公费", "101.000000", "", "101.000000"],
    ]
    grid = _grid(rows, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    got = {(e.econ_code, e.econ_name, e.gov_econ_code, e.gov_econ_name): _amounts(e) for e in facts.economic_lines}
    assert got == {
        ("30101", "基本工资", "50101", "工资奖金津补贴"): _wan("2164.528800", "2164.528800", None),
        ("30102", "津贴补贴", "50101", "工资奖金津补贴"): _wan("4924.771872", "4924.771872", None),
        ("30201", "办公费", "50201", "办公经费"): _wan("101.000000", None, "101.000000"),
    }


def test_a_single_amount_economic_table_leaves_personnel_and_public_unknown() -> None:
    """部门预算支出经济科目 | 预算: the total only, never a guessed split."""
    rows: list[Row] = [
        ["部门预算支出经济科目", "预算"],
        ["合计", "30.00"],
        ["[301]工资福利支出", "30.00"],
        ["[30101]基本工资", "10.00"],
        ["[30102]津贴补贴", "20.00"],
    ]
    assert _economic(rows) == {"30101": _wan("10.00", None, None), "30102": _wan("20.00", None, None)}


def test_personnel_columns_named_otherwise_and_the_column_number_row() -> None:
    """经济科目编码 | 经济科目名称 | 总计 | 人员类 | 公用经费, with a ** | ** | 1 | 2 | 3 row under it."""
    rows: list[Row] = [
        ["经济科目编码", "经济科目名称", "总计", "人员类", "公用经费"],
        ["**", "**", "1", "2", "3"],
        ["", "合计", "13.00", "10.00", "3.00"],
        ["301", "工资福利支出", "10.00", "10.00", ""],
        ["30101", "基本工资", "10.00", "10.00", ""],
        ["302", "商品和服务支出", "3.00", "", "3.00"],
        ["30201", "办公费", "3.00", "", "3.00"],
    ]
    assert is_column_number_row(rows[1]) and not is_column_number_row(rows[3])
    grid = _grid(rows, title="一般公共预算基本支出表")
    assert [r.cells[0] for r in grid.rows if r.cells[0] == "**"] == []  # type: ignore[attr-defined]
    assert _economic(rows) == {"30101": _wan("10.00", "10.00", None), "30201": _wan("3.00", None, "3.00")}


def test_seven_digit_economic_sub_items_are_the_leaves() -> None:
    rows: list[Row] = [
        ["科目编码", "科目名称", "合计", "人员经费", "公用经费"],
        ["301", "工资福利支出", "5.00", "5.00", ""],
        ["30102", "津贴补贴", "5.00", "5.00", ""],
        ["3010201", "规范性津补贴", "3.00", "3.00", ""],
        ["3010202", "改革性补贴", "2.00", "2.00", ""],
    ]
    assert _economic(rows) == {"3010201": _wan("3.00", "3.00", None), "3010202": _wan("2.00", "2.00", None)}


def test_last_years_columns_are_never_the_budget_years() -> None:
    """科目编码 | 科目名称 | 2025年执行数 | 2026年预算数 (小计 | 基本支出 | 项目支出) | 增减额 | 增减%."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "2025年执行数", "2026年预算数", None, None, "增减额", "增减%"],
        [None, None, None, "小计", "基本支出", "项目支出", None, None],
        ["2010101", "行政运行", "9.00", "12.00", "12.00", "", "3.00", "33.33"],
        ["2010102", "一般行政管理事务", "4.00", "5.00", "", "5.00", "1.00", "25.00"],
    ]
    assert _function(rows) == {
        "2010101": _wan("12.00", "12.00", None),
        "2010102": _wan("5.00", None, "5.00"),
    }


def test_no_basic_column_but_personnel_public_and_special_purpose() -> None:
    """科目编码 | 科目名称 | 合计 | 人员经费支出 | 公用经费支出 | 专项业务经费支出: basic = personnel + public."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "合计", "人员经费支出", "公用经费支出", "专项业务经费支出"],
        ["2010101", "行政运行", "12.00", "10.00", "2.00", ""],
        ["2010102", "一般行政管理事务", "5.00", "", "", "5.00"],
    ]
    assert _function(rows) == {
        "2010101": _wan("12.00", "12.00", None),
        "2010102": _wan("5.00", None, "5.00"),
    }


def test_a_next_page_drawn_without_the_blank_first_column_is_stitched_by_column_order() -> None:
    first: list[Row] = [
        ["", "政府支出经济分类科目", "部门支出经济分类科目", "预算数", None, None],
        ["", "", "", "合计", "人员经费", "公用经费"],
        ["", "50101-工资奖金津补贴", "30101-基本工资", "10.00", "10.00", ""],
        ["", "50201-办公经费", "30201-办公费", "1.00", "", "1.00"],
    ]
    second: list[Row] = [
        ["50202-会议费", "3021503-三类会议费", "2.00", "", "2.00"],
        ["50203-培训费", "30216-培训费", "3.00", "", "3.00"],
    ]
    parent = RawTable("一般公共预算基本支出表", [], [Segment(1, first)])
    moved = remap_continuation(parent, second)
    assert moved == [[None, *second[0]], [None, *second[1]]]
    parent.segments.append(Segment(2, moved))
    grid = to_grid(parent)
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)
    assert {e.econ_code for e in facts.economic_lines} == {"30101", "30201", "3021503", "30216"}


# ------------------------------------------------------------------ line checks


def _row(code: str, index: int, total: str, a: str | None = None, b: str | None = None) -> PrintedRow:
    return PrintedRow(code, f"name{index}", 1, index, (Decimal(total), _d(a), _d(b)))


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _table(rows: list[PrintedRow], total: PrintedRow | None, unread: list[PrintedRow] | None = None) -> PrintedTable:
    kind = "general_budget_expenditure"
    return PrintedTable(0, kind, ("基本支出", "项目支出"), True, Decimal("0.01"), rows, total, unread or [])


def test_a_table_whose_rows_add_up_passes_and_a_rounding_gap_is_rounding() -> None:
    rows = [
        _row("201", 1, "300", "100", "200"),
        _row("20101", 2, "300", "100", "200"),
        _row("2010101", 3, "100", "100", "0"),
        _row("2010102", 4, "200", "0", "200"),
    ]
    checks = {c.name: c for c in line_checks(_table(rows, _row("", 0, "300", "100", "200")))}
    assert checks["lines_add_up"].status == "passed" and checks["line_parts_add_up"].status == "passed"
    # 201 prints 300.00 where its rows add up to 300.01: a cent off, within two cells' rounding.
    cents = [_row("201", 1, "300.00"), _row("2010101", 2, "150.00"), _row("2010102", 3, "150.01")]
    check = line_checks(PrintedTable(0, "k", ("a", "b"), False, Decimal("0.01"), cents, None, []))[0]
    assert check.status == "rounding"
    # A whole yuan off is more than rounding can explain.
    off = [_row("201", 1, "300.00"), _row("2010101", 2, "150.00"), _row("2010102", 3, "151.00")]
    check = line_checks(PrintedTable(0, "k", ("a", "b"), False, Decimal("0.01"), off, None, []))[0]
    assert check.status == "failed"


def test_a_subtotal_its_rows_miss_is_named_with_the_difference_and_the_cause() -> None:
    rows = [_row("301", 1, "911.21"), _row("30101", 2, "500.00"), _row("30102", 3, "420.96")]
    source = line_checks(PrintedTable(0, "k", ("人员经费", "公用经费"), False, Decimal("0.01"), rows, None, []))[0]
    assert source.status == "failed" and (source.expected, source.actual) == (Decimal("911.21"), Decimal("920.96"))
    assert "301 name1 (p.1 row 1) 合计 printed 911.21, its rows 920.96 (-9.75)" in source.detail
    assert "source:" in source.detail
    # A total whose difference is a printed row yusuan read no line from: a misread.
    leaves = [_row("2010101", 1, "100"), _row("2010102", 2, "200")]
    lost = PrintedRow("", "行政运行", 2, 7, (Decimal("50"), None, None))
    table = PrintedTable(3, "k", ("a", "b"), False, Decimal("0.01"), leaves, _row("", 0, "350"), [lost])
    misread = line_checks(table)[0]
    assert misread.status == "failed" and "misread: p.2 row 7 (行政运行) prints 50" in misread.detail


def test_each_row_must_be_the_sum_of_its_two_parts() -> None:
    rows = [_row("2010101", 1, "100", "60", "40"), _row("2010102", 2, "200", "150", "40")]
    check = next(c for c in line_checks(_table(rows, None)) if c.name == "line_parts_add_up")
    assert check.status == "failed" and "2010102 name2" in check.detail and "(+10)" in check.detail


# ------------------------------------------------------------------ layouts of the other tables


def test_a_three_public_table_that_prints_its_items_as_rows() -> None:
    """项目 | 合计 | 一般公共预算 …, rows 行政经费 / “三公”经费 / 其中：（一）因公出国… / 公务接待费."""
    rows: list[Row] = [
        ["项目", "合计", "一般公共预算", "政府性基金预算"],
        ["行政经费", "523.62", "523.62", "0.00"],
        ["“三公”经费", "26.11", "26.11", "0.00"],
        ["其中：（一）因公出国（境）支出", "0.00", "0.00", "0.00"],
        ["（二）公务用车购置及运行维护支出", "24.80", "24.80", "0.00"],
        ["1.公务用车购置费", "0.00", "0.00", "0.00"],
        ["2.公务用车运行维护费", "24.80", "24.80", "0.00"],
        ["（三）公务接待费", "1.31", "1.31", "0.00"],
    ]
    grid = _grid(rows, title="财政拨款安排的行政经费及“三公”经费预算表")
    facts = parse_three_public_table(grid, "three_public", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    got = {f.name: f.amount for f in facts.figures}
    assert got == {
        "three_public_total": Decimal("261100.00"),
        "three_public_abroad": Decimal("0.00"),
        "three_public_vehicle_total": Decimal("248000.00"),
        "three_public_vehicle_purchase": Decimal("0.00"),
        "three_public_vehicle_operation": Decimal("248000.00"),
        "three_public_reception": Decimal("13100.00"),
    }


def test_a_function_by_economic_cross_table_gives_one_line_per_function_code() -> None:
    """支出总表 with 支出功能分类科目 | 政府 … | 部门支出经济分类科目 per row: the first row is a line,
    not a label-less 合计, and a function code's pairings add up to its line."""
    rows: list[Row] = [
        [None, "支出功能分类科目", "政府支出经济分类科目", "部门支出经济分类科目", "合计", "基本支出", "项目支出"],
        ["", "2040601-行政运行", "50101-工资奖金津补贴", "30101-基本工资", "10.00", "10.00", ""],
        ["", "2040601-行政运行", "50201-办公经费", "30201-办公费", "2.00", "2.00", ""],
        ["", "2040602-一般行政管理事务", "50205-委托业务费", "30227-委托业务费", "5.00", "", "5.00"],
        ["", "合计", "", "", "17.00", "12.00", "5.00"],
    ]
    grid = _grid(rows, title="支出总表")
    facts = parse_function_table(grid, "expenditure_summary", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.func_code: _amounts(line) for line in facts.function_lines} == {
        "2040601": _wan("12.00", "12.00", None),
        "2040602": _wan("5.00", None, "5.00"),
    }
    assert [f.amount for f in facts.figures if f.name == "table_total"] == [Decimal("170000.00")]


def test_amounts_printed_beside_their_header_cells_and_a_third_spending_column() -> None:
    """合计 | | | 基本支出 | | | 项目支出 | | | 单位预留机动经费 over 37,188.34 | | | 21,968.00 …:
    each amount is under the label one column right of it; the reserve is other spending."""
    header: Row = ["", "合计", "", "", "基本支出", "", "", "项目支出", "", "", "单位预留机动经费", "", ""]
    row: Row = ["37,188.34", "", "", "21,968.00", "", "", "10,208.94", "", "", "5,011.40", "", "", ""]
    grid = _grid([header, row], title="支出预算总表")
    facts = parse_function_table(grid, "expenditure_summary", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    got = {f.name: f.amount for f in facts.figures}
    assert got["expenditure_total"] == Decimal("371883400.00")
    assert got["basic_expenditure"] == Decimal("219680000.00")
    assert got["project_expenditure"] == Decimal("102089400.00")
    assert got["other_expenditure"] == Decimal("50114000.00")


def test_a_split_amount_column_and_a_subtotal_printed_on_the_line_below_its_code() -> None:
    """Word tables: 金额 spans two grid columns (类 amounts in one, items in the other), and a 类
    row whose amount came out on a line of its own."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "金额", None],
        ["合计", "", "", "30.00"],
        ["204", "公共安全支出", "", ""],
        ["", "", "", "30.00"],
        ["20404", "检察", "30.00", ""],
        ["2040401", "行政运行", "20.00", ""],
        ["2040402", "一般行政管理事务", "10.00", ""],
    ]
    grid = _grid(rows)
    facts = parse_function_table(grid, "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.func_code: line.total for line in facts.function_lines} == {
        "2040401": Decimal("200000.00"),
        "2040402": Decimal("100000.00"),
    }
    checks = line_checks(facts.printed[0])
    assert [(c.name, c.status) for c in checks] == [("lines_add_up", "passed")]
    # Lineage names the stored row each line was read from (the joined line below its code
    # does not shift the rows after it).
    for line in facts.function_lines:
        assert grid.rows[line.lineage.row_index].cells[0] == line.func_code  # type: ignore[attr-defined]


def test_a_second_header_row_led_by_a_spaced_out_total_is_no_total_row() -> None:
    """本年政府性基金预算支出 over 合 计 | 基本支出 | 项目支出: the spaced 合 计 labels a column,
    the table's 合计 is the row below it (read as blank, the check failed with 'misread')."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "本年政府性基金预算支出", None, None],
        [None, None, "合 计", "基本支出", "项目支出"],
        ["", "合计", "27600.00", "", "27600.00"],
        ["212", "城乡社区支出", "12600.00", "", "12600.00"],
        ["21208", "国有土地使用权出让收入安排的支出", "12600.00", "", "12600.00"],
        ["2120899", "其他国有土地使用权出让收入安排的支出", "12600.00", "", "12600.00"],
        ["229", "其他支出", "15000.00", "", "15000.00"],
        ["2290402", "其他地方自行试点项目收益专项债券收入安排的支出", "15000.00", "", "15000.00"],
    ]
    grid = _grid(rows, title="政府性基金预算支出表")
    facts = parse_function_table(grid, "gov_fund_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.func_code: line.project_total for line in facts.function_lines} == {
        "2120899": Decimal("126000000.00"),
        "2290402": Decimal("150000000.00"),
    }
    assert {c.name: c.status for c in line_checks(facts.printed[0])}["lines_add_up"] == "passed"


def test_a_caption_inside_the_grid_wrapped_over_two_rows_stays_out_of_the_header() -> None:
    """部门名称：江苏省高级人民法 / 院 单位：万元 printed in the grid's first rows: a caption,
    so 金额 is the amount column's label (and its two grid columns are one)."""
    block = TableBlock(
        12,
        50,
        300,
        [
            ["部门名称：江苏省高级人民法", None, None, None],
            ["院", None, None, "单位：万元"],
            ["功能科目编码", "功能科目名称", "金额", None],
            ["合计", "", "", "3.00"],
            ["204", "公共安全支出", "", "3.00"],
            ["2040501", "行政运行", "2.00", ""],
            ["2040502", "一般行政管理事务", "1.00", ""],
        ],
    )
    (table,) = build_tables([TextLine(12, 10, "一般公共预算支出预算表（功能科目）"), block])
    assert "部门名称：江苏省高级人民法" in table.captions
    grid = to_grid(table)
    facts = parse_function_table(grid, "general_budget_expenditure", Unit.WAN_YUAN, 0)
    assert {line.func_code: line.total for line in facts.function_lines} == {
        "2040501": Decimal("20000.00"),
        "2040502": Decimal("10000.00"),
    }
    assert [c.status for c in line_checks(facts.printed[0])] == ["passed"]


def test_an_amount_column_split_in_two_on_a_body_that_sits_off_its_header() -> None:
    """Word tables: the codes in a blank column left of 科目编码, the names under 科目编码, and
    金额 spanning two grid columns, a 类 and an item (the first row of a page) in the second.
    The two 金额 columns are one before the header is moved onto the body; a name spanning two
    grid columns is never taken for an amount column."""
    rows: list[Row] = [
        ["", "科目编码", "科目编码", "科目编码", "科目名称", "科目名称", "金额", "金额"],
        ["", "", "", "", "合计", "", "35.00", ""],
        ["302", "", "", "商品和服务支出", "", "", "20.00", ""],
        ["30201", "", "", "办公费", "", "", "15.00", ""],
        ["30206", "", "", "电费", "", "", "", "5.00"],
        ["303", "", "", "对个人和家庭的补助", "", "", "", "15.00"],
        ["30301", "", "", "离休费", "", "", "10.00", ""],
        ["30302", "", "", "退休费", "", "", "5.00", ""],
    ]
    grid = _grid(rows, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: line.total for line in facts.economic_lines} == {
        "30201": Decimal("150000.00"),
        "30206": Decimal("50000.00"),
        "30301": Decimal("100000.00"),
        "30302": Decimal("50000.00"),
    }
    assert [c.status for c in line_checks(facts.printed[0])] == ["passed"]


def test_the_end_of_a_wrapped_name_in_front_of_the_next_rows_code_goes_back_to_its_row() -> None:
    """'缴费支出 2080506-机关事业单位职业年金': the first words end the name above."""
    rows: list[Row] = [
        ["支出功能分类科目", "部门支出经济分类科目", "合计", "基本支出", "项目支出"],
        ["2080505-机关事业单位基本养老保险", "30108-机关事业单位基本养老保险缴费", "3.00", "3.00", ""],
        ["缴费支出 2080506-机关事业单位职业年金", "30109-职业年金缴费", "2.00", "2.00", ""],
        ["缴费支出 2080599-其他行政事业单位养老", "30299-其他商品和服务支出", "1.00", "1.00", ""],
        ["合 计", "", "6.00", "6.00", ""],
    ]
    grid = _grid(rows, title="支出总表")
    facts = parse_function_table(grid, "expenditure_summary", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    names = {line.func_code: line.func_name for line in facts.function_lines}
    assert names == {
        "2080505": "机关事业单位基本养老保险缴费支出",
        "2080506": "机关事业单位职业年金缴费支出",
        "2080599": "其他行政事业单位养老",
    }
    assert [c.status for c in line_checks(facts.printed[0])] == ["passed"]


def test_split_codes_whose_leading_zero_a_spreadsheet_dropped() -> None:
    """类 | 款 printed as 301 | 2 (a number cell): 30102, not 3012."""
    rows: list[Row] = [
        ["部门预算经济分类科目编码", None, "经济分类科目名称", "合计", "人员经费", "公用经费"],
        ["类", "款", None, None, None, None],
        ["301", "", "工资福利支出", "30", "30", "0"],
        ["301", "01", "基本工资", "10", "10", "0"],
        ["301", "2", "津贴补贴", "20", "20", "0"],
        ["合计", "", "", "30", "30", "0"],
    ]
    grid = _grid(rows, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.YUAN, 0)  # type: ignore[arg-type]
    assert sorted(line.econ_code for line in facts.economic_lines) == ["30101", "30102"]
    assert [c.status for c in line_checks(facts.printed[0])] == ["passed", "passed"]


def test_a_name_that_ran_into_its_code_column_is_split_from_the_code() -> None:
    """Columns found from text positions can put a name printed close to its code into the code's
    cell (``03购房补贴`` under 项, the name cell blank): the row is 2210203 购房补贴, not lost."""
    rows: list[Row] = [
        ["科目编码", None, None, "科目名称", "合计", "基本支出", "项目支出"],
        ["类", "款", "项", None, None, None, None],
        ["221", "", "", "住房保障支出", "30", "10", "20"],
        ["221", "02", "", "住房改革支出", "30", "10", "20"],
        ["221", "02", "01", "住房公积金", "10", "10", ""],
        ["221", "02", "03购房补贴", "", "20", "", "20"],
        ["301", "", "", "工资福利支出", "10", "10", ""],
        ["301", "01基本", "", "工资", "10", "10", ""],
        ["合计", "", "", "", "30", "10", "20"],
    ]
    facts = parse_function_table(_grid(rows), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    names = {line.func_code: line.func_name for line in facts.function_lines}
    assert names == {"2210201": "住房公积金", "2210203": "购房补贴"}
    assert [c.status for c in line_checks(facts.printed[0])] == ["passed", "passed"]
    economic = _grid(rows[:2] + rows[6:8] + [["合计", "", "", "", "10", "10", ""]], title="一般公共预算基本支出表")
    econ = parse_economic_table(economic, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: line.econ_name for line in econ.economic_lines} == {"30101": "基本工资"}


def test_a_title_wrapped_over_two_lines_behind_a_table_number() -> None:
    blocks: list[Block] = [
        TextLine(5, 10, "表5"),
        TextLine(5, 20, "2021年部门综合预算一般公共预算支出明细表（按支出功能分类科"),
        TextLine(5, 30, "目-不含上年结转）"),
        TextLine(5, 40, "单位：万元"),
        TableBlock(5, 50, 200, [["科目编码", "科目名称", "合计"], ["2010101", "行政运行", "1.00"]]),
    ]
    (table,) = build_tables(blocks)
    assert table.title == "2021年部门综合预算一般公共预算支出明细表（按支出功能分类科目-不含上年结转）"
    assert classify_title(table.title) == "general_budget_expenditure"
    assert "单位：万元" in table.captions


def test_a_title_repeated_with_a_continuation_mark_continues_its_table() -> None:
    """``…支出表（续）`` over the next page's grid is the same table running on, not a second table
    of the same kind (whose first part would not add up to its 合计)."""
    header = ["科目编码", "科目名称", "合计"]
    blocks: list[Block] = [
        TextLine(1, 10, "一般公共预算支出表"),
        TableBlock(1, 50, 200, [header, ["合计", "", "3.00"], ["2010101", "行政运行", "1.00"]]),
        TextLine(2, 10, "一般公共预算支出表（续）"),
        TableBlock(2, 50, 200, [header, ["2010102", "一般行政管理事务", "2.00"]]),
        TextLine(3, 10, "一般公共预算基本支出表"),
        TableBlock(3, 50, 200, [header, ["30101", "基本工资", "1.00"]]),
    ]
    tables = build_tables(blocks)
    assert [t.title for t in tables] == ["一般公共预算支出表", "一般公共预算基本支出表"]
    facts = parse_function_table(to_grid(tables[0]), "general_budget_expenditure", Unit.WAN_YUAN, 0)
    assert sorted(line.func_code for line in facts.function_lines) == ["2010101", "2010102"]
    assert {c.status for c in line_checks(facts.printed[0])} == {"passed"}


# ------------------------------------------------------------------ tables without ruling lines


def _line(top: float, *cells: tuple[float, str]) -> list[dict]:
    return [{"text": t, "x0": x, "x1": x + 6 * len(t), "top": top, "bottom": top + 8} for x, t in cells]


def test_a_table_printed_without_rules_is_found_by_its_rows_and_running_text_is_not() -> None:
    words = [
        *_line(10, (40, "2026年收入预算134,133.33万元，比上年增加1,000.00万元。")),
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(56, (40, "科目编码"), (120, "科目名称"), (260, "合计"), (330, "基本支出"), (410, "项目支出")),
        *_line(68, (40, "合计"), (250, "30.00"), (330, "20.00"), (410, "10.00")),
        *_line(80, (40, "2010101"), (120, "行政运行"), (250, "20.00"), (330, "20.00")),
        *_line(92, (40, "2010102"), (120, "一般行政管理事务"), (250, "10.00"), (410, "10.00")),
        *_line(130, (40, "注：本表无政府性基金预算，故不再公开。")),
    ]
    (table,) = find_text_tables(words)
    assert [w["text"] for w in table.header[0]] == ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]
    assert [line[0]["text"] for line in table.body] == ["合计", "2010101", "2010102"]
    assert table.top == 56 and table.bottom == 100


def test_number_rows_at_the_top_of_a_page_run_on_and_a_header_at_a_page_foot_is_carried() -> None:
    foot = [
        *_line(700, (40, "项目支出表")),
        *_line(712, (40, "单位：元")),
        *_line(726, (40, "类型"), (120, "项目名称"), (300, "合计")),
    ]
    assert [w["text"] for line in trailing_header(foot) for w in line] == ["类型", "项目名称", "合计"]
    top = [
        *_line(20, (40, "合计"), (300, "1195096"), (380, "1195096")),
        *_line(32, (40, "特定目标类"), (120, "应急保障经费"), (300, "1195096"), (380, "1195096")),
    ]
    (table,) = find_text_tables(top, continuing=True)
    assert table.header == [] and len(table.body) == 2
    # The same rows on a page whose previous one ended in no such table, or under running text:
    # not a table.
    assert find_text_tables(top) == []
    assert find_text_tables([*_line(10, (40, "正文。")), *top], continuing=True) == []


def test_rows_running_on_without_a_header_keep_the_previous_pages_columns() -> None:
    """A borderless 基本支出 table whose next page holds only 公用经费 rows and no header: that
    page's rows alone print no amount under 人员经费, so their own columns would put the 公用经费
    amounts there. The previous page's columns place them."""
    first = [
        *_line(40, (40, "一般公共预算基本支出表")),
        *_line(52, (40, "单位：万元")),
        *_line(66, (40, "科目编码"), (100, "科目名称"), (220, "合计"), (290, "人员经费"), (360, "公用经费")),
        *_line(78, (40, "合计"), (220, "30.00"), (290, "25.00"), (360, "5.00")),
        *_line(90, (40, "30101"), (100, "基本工资"), (220, "25.00"), (290, "25.00")),
    ]
    tables, _, columns = borderless_grids(first, [], None)
    assert tables[0][1][-1] == ["30101", "基本工资", "25.00", "25.00", ""]
    following = [
        *_line(20, (40, "30201"), (100, "办公费"), (220, "3.00"), (360, "3.00")),
        *_line(32, (40, "30202"), (100, "印刷费"), (220, "2.00"), (360, "2.00")),
    ]
    tables, _, _ = borderless_grids(following, [], columns)
    assert tables[0][1] == [["30201", "办公费", "3.00", "", "3.00"], ["30202", "印刷费", "2.00", "", "2.00"]]
    # Columns the rows do not fit (another table's) are not taken: the page's own four are.
    tables, _, _ = borderless_grids(following, [], Continuing([(0.0, 30.0), (30.0, 90.0)], None))
    assert tables[0][1][0] == ["30201", "办公费", "3.00", "3.00"]
    # A wider amount (13.00 under 5.00) passes the previous page's right edge by a few points:
    # still within its columns.
    assert columns is not None
    right = columns.columns[-1][1]
    wider = [
        *_line(20, (40, "30201"), (100, "办公费"), (214, "13.00"), (right - 27, "13.00")),
        *_line(32, (40, "30202"), (100, "印刷费"), (220, "2.00"), (right - 21, "2.00")),
    ]
    tables, _, _ = borderless_grids(wider, [], columns)
    assert tables[0][1] == [["30201", "办公费", "13.00", "", "13.00"], ["30202", "印刷费", "2.00", "", "2.00"]]


# ------------------------------------------------------------------ tables that print no codes


def test_a_table_of_names_only_gives_its_leaves_with_their_levels() -> None:
    """科目名称 | 合计 | 基本支出 | 项目支出 with 一般公共服务支出 / 人大事务 / 行政运行 …: the nesting
    is read from the sums (a 类 with one 款 with one 项 prints the same amounts three times)."""
    rows: list[Row] = [
        ["科目名称", "合计", "基本支出", "项目支出"],
        ["合计", "60.00", "45.00", "15.00"],
        ["一般公共服务支出", "40.00", "25.00", "15.00"],
        ["人大事务", "40.00", "25.00", "15.00"],
        ["行政运行", "25.00", "25.00", ""],
        ["一般行政管理事务", "15.00", "", "15.00"],
        ["社会保障和就业支出", "20.00", "20.00", ""],
        ["行政事业单位养老支出", "20.00", "20.00", ""],
        ["机关事业单位基本养老保险缴费支出", "20.00", "20.00", ""],
    ]
    facts = parse_function_table(_grid(rows), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    got = [(line.func_code, line.func_name, line.level, _amounts(line)) for line in facts.function_lines]
    assert got == [
        ("", "行政运行", "item", _wan("25.00", "25.00", None)),
        ("", "一般行政管理事务", "item", _wan("15.00", None, "15.00")),
        ("", "机关事业单位基本养老保险缴费支出", "item", _wan("20.00", "20.00", None)),
    ]


def test_names_only_lines_take_the_code_the_documents_coded_table_gives_them_under_their_parent() -> None:
    """The same budget prints its 支出总表 with codes: 行政运行 is 2010101 under 人大事务 and
    2010301 under 政府办公厅, so each resolves by its printed parent; a name the coded table
    does not print (or prints under two codes in the same parent) keeps its empty code."""
    from yusuan.extract.code_names import with_resolved_codes

    coded: list[Row] = [
        ["科目编码", "科目名称", "合计"],
        ["合计", "", "100.00"],
        ["201", "一般公共服务支出", "100.00"],
        ["20101", "人大事务", "30.00"],
        ["2010101", "行政运行", "30.00"],
        ["20103", "政府办公厅（室）及相关机构事务", "70.00"],
        ["2010301", "行政运行", "50.00"],
        ["2010302", "一般行政管理事务", "20.00"],
    ]
    names_only: list[Row] = [
        ["科目名称", "合计"],
        ["合计", "110.00"],
        ["一般公共服务支出", "110.00"],
        ["人大事务", "30.00"],
        ["行政运行", "30.00"],
        ["政府办公厅(室)及相关机构事务", "80.00"],
        ["行政运行", "50.00"],
        ["一般行政管理事务", "20.00"],
        ["专项业务", "10.00"],
    ]
    first = parse_function_table(_grid(coded, title="支出总表"), "expenditure_summary", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    second = parse_function_table(_grid(names_only), "general_budget_expenditure", Unit.WAN_YUAN, 1)  # type: ignore[arg-type]
    lines, _ = with_resolved_codes(
        first.function_lines + second.function_lines, [], first.printed + second.printed, second.parents
    )
    got = [(line.func_code, line.func_name, line.level) for line in lines if line.lineage.table_index == 1]
    assert got == [
        ("2010101", "行政运行", "item"),
        ("2010301", "行政运行", "item"),
        ("2010302", "一般行政管理事务", "item"),
        ("", "专项业务", "item"),
    ]
    # Without the coded table nothing is resolved, and nothing is guessed.
    alone, _ = with_resolved_codes(second.function_lines, [], second.printed, second.parents)
    assert [line.func_code for line in alone] == ["", "", "", ""]


def test_rows_no_nesting_explains_are_not_guessed_and_unit_groupings_are_no_classes() -> None:
    assert nesting([(Decimal(5),), (Decimal(7),)], (Decimal(13),)) is None
    assert nesting([(Decimal(5),), (Decimal(7),)], None) == [0, 0]
    by_unit: list[Row] = [
        ["支出项目类别（资金使用单位）", "总计"],
        ["合计", "30.00"],
        ["某某局（本级）", "30.00"],
        ["工资福利支出", "20.00"],
        ["商品和服务支出", "10.00"],
    ]
    assert _economic(by_unit) == {}


def test_a_spending_summary_table_agrees_with_this_years_spending_when_the_total_adds_carry_over() -> None:
    """收支总表: 本年支出合计 514,823.34, 年终结转结余 14,437.00, 支出总计 529,260.34; the 支出总表's
    合计 is this year's spending. It agrees with the 本年支出合计, and a 合计 matching neither fails."""
    from yusuan.extract.reconcile import reconcile
    from yusuan.models import DocumentStatus, ExtractedDocument, Figure, Lineage

    def doc(summary_total: str) -> ExtractedDocument:
        d = ExtractedDocument(sha256="x", status=DocumentStatus.LOADED, extractor_version="t")
        d.figures = [
            Figure("expenditure_total", Decimal("5292603428.92"), "income_expenditure_summary", 1, Lineage(0, 1, 28)),
            Figure("expenditure_total", Decimal("5148233428.92"), "income_expenditure_summary", 3, Lineage(0, 1, 26)),
            Figure("table_total", Decimal(summary_total), "expenditure_summary", 0, Lineage(2, 5, 67)),
        ]
        return d

    def status(summary_total: str) -> str:
        return next(c.status for c in reconcile(doc(summary_total)) if c.name == "expenditure_tables_agree")

    assert status("5148233428.92") == "passed"
    assert status("5292603428.92") == "passed"
    assert status("21998000.00") == "failed"


def test_a_name_that_ran_into_a_single_economic_code_column_is_split_from_the_code() -> None:
    """One 科目编码 column per classification: a name printed close to its code lands in the code's
    cell (``30102津贴补贴`` beside a blank name cell, ``50101工资奖金津补贴`` under 政府 codes), and
    the row is still 30102 津贴补贴 with its 政府 pairing, not lost."""
    rows: list[Row] = [
        ["部门经济分类", None, "政府经济分类", None, "合计", "人员经费", "公用经费"],
        ["科目编码", "科目名称", "科目编码", "科目名称", None, None, None],
        ["合计", "", "", "", "30", "25", "5"],
        ["301", "工资福利支出", "501", "机关工资福利支出", "25", "25", ""],
        ["30101", "基本工资", "50101", "工资奖金津补贴", "15", "15", ""],
        ["30102津贴补贴", "", "50101工资奖金津补贴", "", "10", "10", ""],
        ["302", "商品和服务支出", "502", "机关商品和服务支出", "5", "", "5"],
        ["30201", "办公费", "50201", "办公经费", "5", "", "5"],
    ]
    grid = _grid(rows, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    lines = {line.econ_code: (line.econ_name, line.gov_econ_code, line.gov_econ_name) for line in facts.economic_lines}
    assert lines == {
        "30101": ("基本工资", "50101", "工资奖金津补贴"),
        "30102": ("津贴补贴", "50101", "工资奖金津补贴"),
        "30201": ("办公费", "50201", "办公经费"),
    }
    assert {c.status for c in line_checks(facts.printed[0])} == {"passed"}


# ------------------------------------------------------------------ side-by-side blocks


def _blocks_grid(rows: list[Row], *more: list[Row]) -> object:
    return unstacked_blocks(_grid(rows, *more, title="一般公共预算基本支出表"), is_economic_code)  # type: ignore[arg-type]


def test_personnel_and_public_blocks_printed_side_by_side_are_read_one_under_the_other() -> None:
    """人员经费 rows on the left, 公用经费 rows on the right of the same printed lines (科目编码 |
    科目名称 | 金额 twice): every row of both blocks is a line, its amount in the part its block is
    headed by, and the two blocks' totals make the table's 合计."""
    rows: list[Row] = [
        ["人员经费", None, None, "公用经费", None, None],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ["301", "工资福利支出", "25", "302", "商品和服务支出", "5"],
        ["30101", "基本工资", "15", "30201", "办公费", "3"],
        ["30102", "津贴补贴", "10", "30202", "印刷费", "2"],
        ["303", "对个人和家庭的补助", "1", "", "", ""],
        ["30305", "生活补助", "1", "", "", ""],
        ["人员经费合计", "", "26", "公用经费合计", "", "5"],
    ]
    grid = _blocks_grid(rows)
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("15", "15", None),
        "30102": _wan("10", "10", None),
        "30305": _wan("1", "1", None),
        "30201": _wan("3", None, "3"),
        "30202": _wan("2", None, "2"),
    }
    assert [f.amount for f in facts.figures if f.name == "table_total"] == [Decimal("310000.00")]
    assert {c.status for c in line_checks(facts.printed[0])} == {"passed"}
    # Reading order: the left block's rows, then the right block's, after the 合计.
    assert [row.cells[0] for row in grid.rows] == [  # type: ignore[attr-defined]
        "合计",
        "301",
        "30101",
        "30102",
        "303",
        "30305",
        "302",
        "30201",
        "30202",
    ]


def test_blocks_over_two_pages_keep_each_pages_reading_order() -> None:
    """On each page the left block's rows come before the right block's: a page's rows are
    never interleaved with the next page's."""
    header: list[Row] = [
        ["人员经费", None, None, "公用经费", None, None],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
    ]
    first = [*header, ["30101", "基本工资", "15", "30201", "办公费", "3"]]
    second = [["30102", "津贴补贴", "10", "30202", "印刷费", "2"], ["人员经费合计", "", "25", "公用经费合计", "", "5"]]
    grid = _blocks_grid(first, second)
    order = [(row.page_no, row.cells[0]) for row in grid.rows]  # type: ignore[attr-defined]
    assert order == [(2, "合计"), (1, "30101"), (1, "30201"), (2, "30102"), (2, "30202")]


def test_blocks_without_a_label_for_each_are_stacked_with_their_amounts_as_printed() -> None:
    """类 | 款 | 科目名称 | 金额 twice and nothing over the blocks that tells them apart: the rows
    are stacked and keep one amount column (the total); no part is guessed from the code."""
    rows: list[Row] = [
        ["科目编码", None, "科目名称", "金额", "科目编码", None, "科目名称", "金额"],
        ["类", "款", None, None, "类", "款", None, None],
        ["301", "", "工资福利支出", "25", "302", "", "商品和服务支出", "5"],
        ["301", "01", "基本工资", "25", "302", "01", "办公费", "5"],
        ["合计", "", "", "30", "", "", "", ""],
    ]
    grid = _blocks_grid(rows)
    assert [row.cells[0] for row in grid.rows] == ["合计", "301", "301", "302", "302"]  # type: ignore[attr-defined]
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("25", None, None),
        "30201": _wan("5", None, None),
    }
    assert {c.status for c in line_checks(facts.printed[0])} == {"passed"}


def test_tables_not_printed_in_blocks_are_left_as_they_are() -> None:
    """部门 and 政府 code-name columns beside each other, or one block of columns: not blocks."""
    paired: list[Row] = [
        ["部门经济分类", None, "政府经济分类", None, "合计", "人员经费", "公用经费"],
        ["科目编码", "科目名称", "科目编码", "科目名称", None, None, None],
        ["30101", "基本工资", "50101", "工资奖金津补贴", "15", "15", ""],
    ]
    plain: list[Row] = [
        ["科目编码", "科目名称", "合计", "人员经费", "公用经费"],
        ["30101", "基本工资", "15", "15", ""],
        ["30201", "办公费", "5", "", "5"],
    ]
    for rows in (paired, plain):
        grid = _grid(rows, title="一般公共预算基本支出表")
        assert unstacked_blocks(grid, is_economic_code) is grid  # type: ignore[arg-type]


def test_a_table_without_a_total_column_totals_each_row_from_its_parts() -> None:
    """基本支出 | 项目支出 (or 人员经费 | 公用经费) and no 合计 column: a row's total is its parts' sum,
    not the first part read as the whole."""
    function: list[Row] = [
        ["科目编码", "科目名称", "基本支出", "项目支出"],
        ["合计", "", "30", "20"],
        ["2010101", "行政运行", "30", ""],
        ["2010102", "一般行政管理事务", "", "20"],
    ]
    assert _function(function) == {"2010101": _wan("30", "30", None), "2010102": _wan("20", None, "20")}
    facts = parse_function_table(_grid(function), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert [f.amount for f in facts.figures if f.name == "table_total"] == [Decimal("500000.00")]
    economic: list[Row] = [
        ["科目编码", "科目名称", "人员经费", "公用经费"],
        ["合计", "", "30", "20"],
        ["30101", "基本工资", "30", ""],
        ["30201", "办公费", "", "20"],
    ]
    assert _economic(economic) == {"30101": _wan("30", "30", None), "30201": _wan("20", None, "20")}
    # A lone part column is still read as the row's amount.
    assert _function([["科目编码", "科目名称", "基本支出"], ["2010101", "行政运行", "30"]]) == {
        "2010101": _wan("30", "30", None)
    }


def test_code_parts_printed_apart_in_the_name_cell() -> None:
    """功能分类科目 cells holding 类, 款 and 项 apart in front of the name (``201 01 01 行政运行``)."""
    rows: list[Row] = [
        ["功能分类科目", "合计", "基本支出", "项目支出"],
        ["合计", "50", "30", "20"],
        ["201 一般公共服务支出", "50", "30", "20"],
        ["201 01 人大事务", "50", "30", "20"],
        ["201 01 01 行政运行", "30", "30", ""],
        ["201 01 02 一般行政管理事务", "20", "", "20"],
    ]
    assert _function(rows) == {"2010101": _wan("30", "30", None), "2010102": _wan("20", None, "20")}


def test_which_code_column_is_which_classification_is_read_from_the_codes() -> None:
    """A table read without rules can merge the group labels over its code columns (部门… and
    政府… both over the first columns, 本年… over the 政府 name): the 3… codes are the 部门
    classification and the 5… ones the 政府, whatever the labels say."""
    rows: list[Row] = [
        ["部门预算支出经济分类科目政府预算支出经济分类科目", None, None, "本年一般公共预算基本支出", None, None, None],
        ["科目编码", "科目名称", "科目编码", "科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "", "", "", "30", "25", "5"],
        ["30101", "基本工资", "50101", "工资奖金津补贴", "25", "25", "0.00"],
        ["30201", "办公费", "50201", "办公经费", "5", "0.00", "5"],
    ]
    grid = _grid(rows, title="一般公共预算基本支出表")
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    lines = {line.econ_code: (line.econ_name, line.gov_econ_code, line.gov_econ_name) for line in facts.economic_lines}
    assert lines == {"30101": ("基本工资", "50101", "工资奖金津补贴"), "30201": ("办公费", "50201", "办公经费")}
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("25", "25", "0"),
        "30201": _wan("5", "0", "5"),
    }


def test_economic_items_under_a_class_printed_once_inherit_its_part() -> None:
    """类 | 款 code columns where the 类 is printed on its own row only (a merged cell, or a
    template that prints it once): the 款 rows under it are its items, not lost."""
    rows: list[Row] = [
        ["科目编码", None, "科目名称", "合计", "人员经费", "公用经费"],
        ["类", "款", None, None, None, None],
        ["合计", "", "", "30", "25", "5"],
        ["301", "", "工资福利支出", "25", "25", ""],
        ["", "01", "基本工资", "15", "15", ""],
        ["", "02", "津贴补贴", "10", "10", ""],
        ["302", "", "商品和服务支出", "5", "", "5"],
        ["", "01", "办公费", "5", "", "5"],
    ]
    assert _economic(rows) == {
        "30101": _wan("15", "15", None),
        "30102": _wan("10", "10", None),
        "30201": _wan("5", None, "5"),
    }


def test_code_parts_under_one_spanning_label_are_read_as_parts() -> None:
    """科目编码 drawn over three grid columns with no 类 | 款 | 项 row under it, the body printing
    ``201 | 01 | 01``: the three columns are the parts. A wide code cell drawn as two grid columns
    whose body prints whole codes stays one column."""
    function: list[Row] = [
        ["科目编码", None, None, "科目名称", "合计", "基本支出", "项目支出"],
        ["合计", "", "", "", "30", "10", "20"],
        ["201", "", "", "一般公共服务支出", "30", "10", "20"],
        ["201", "01", "", "人大事务", "30", "10", "20"],
        ["201", "01", "01", "行政运行", "10", "10", ""],
        ["", "", "02", "一般行政管理事务", "20", "", "20"],
    ]
    assert _function(function) == {"2010101": _wan("10", "10", None), "2010102": _wan("20", None, "20")}
    economic: list[Row] = [
        ["科目编码", None, "科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "", "", "30", "25", "5"],
        ["301", "", "工资福利支出", "25", "25", ""],
        ["301", "01", "基本工资", "25", "25", ""],
        ["302", "01", "办公费", "5", "", "5"],
    ]
    assert _economic(economic) == {"30101": _wan("25", "25", None), "30201": _wan("5", None, "5")}
    whole: list[Row] = [
        ["科目编码", None, "科目名称", "合计"],
        ["2010101", "", "行政运行", "10"],
        ["2010102", "", "一般行政管理事务", "20"],
    ]
    assert _function(whole) == {"2010101": _wan("10", None, None), "2010102": _wan("20", None, None)}


def test_a_code_split_off_its_name_into_an_unlabelled_column_is_the_code() -> None:
    """``30101 基本工资`` printed in one cell under 科目名称, its columns found from text positions
    (a table ruled only horizontally): the code lands in a column with no label of its own."""
    rows: list[Row] = [
        [None, "科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "", "30", "25", "5"],
        ["30101", "基本工资", "25", "25", "-"],
        ["30201", "办公费", "5", "-", "5"],
    ]
    assert _economic(rows) == {"30101": _wan("25", "25", None), "30201": _wan("5", None, "5")}
    function: list[Row] = [
        [None, "科目名称", "合计", "基本支出", "项目支出"],
        ["合计", "", "30", "10", "20"],
        ["2010101", "行政运行", "10", "10", ""],
        ["2010102", "一般行政管理事务", "20", "", "20"],
    ]
    assert _function(function) == {"2010101": _wan("10", "10", None), "2010102": _wan("20", None, "20")}


def test_a_next_page_with_its_header_repeated_and_codes_in_the_name_cell_runs_the_table_on() -> None:
    """The next page repeats the header and, its columns found from text positions, keeps each
    code in its name's cell (four columns against the first page's five): the same table, the
    header dropped, the code-name cell under the names."""
    first: list[Row] = [
        ["", "科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "", "30.00", "25.00", "5.00"],
        ["30101", "基本工资", "15.00", "15.00", "-"],
        ["30102", "津贴补贴", "10.00", "10.00", "-"],
    ]
    second: list[Row] = [["科目名称", "合计", "人员经费", "公用经费"], ["30201办公费", "5.00", "-", "5.00"]]
    assert _economic_over_two_pages(first, second) == {
        "30101": _wan("15", "15", None),
        "30102": _wan("10", "10", None),
        "30201": _wan("5", None, "5"),
    }


def test_a_next_page_that_splits_the_code_off_its_name_runs_the_table_on() -> None:
    """The other way round: the first page keeps code and name in one cell (four columns), the
    next splits the code off into a column of its own (five): the two go back into one cell."""
    first: list[Row] = [["科目名称", "合计", "人员经费", "公用经费"], ["合计", "30.00", "25.00", "5.00"]]
    second: list[Row] = [
        ["", "科目名称", "合计", "人员经费", "公用经费"],
        ["30101", "基本工资", "25.00", "25.00", "-"],
        ["30201", "办公费", "5.00", "-", "5.00"],
    ]
    assert _economic_over_two_pages(first, second) == {"30101": _wan("25", "25", None), "30201": _wan("5", None, "5")}


def test_group_labels_left_at_a_page_foot_are_spread_over_the_next_pages_grid() -> None:
    """The title and the top header row (人员经费 | 公用经费) fit at the foot of a page, the rest
    of the header and the rows on the next: the group labels are kept, each over its share of the
    columns, so the side-by-side blocks still know which part they are."""
    blocks: list[Block] = [
        TextLine(1, 700, "一般公共预算基本支出表"),
        TableBlock(1, 720, 740, [["人员经费", "公用经费"]]),
        TableBlock(
            2,
            20,
            200,
            [
                ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
                ["30101", "基本工资", "25.00", "30201", "办公费", "5.00"],
                ["30102", "津贴补贴", "10.00", "", "", ""],
            ],
        ),
    ]
    assert _economic_from_blocks(blocks) == {
        "30101": _wan("25", "25", None),
        "30102": _wan("10", "10", None),
        "30201": _wan("5", None, "5"),
    }


def test_three_blocks_the_third_continuing_the_second_part() -> None:
    """人员经费 | 公用经费 | 公用经费 blocks (the third carries on the second's part): each row in
    its part, the parts' totals summed over their blocks."""
    rows: list[Row] = [
        ["人员经费", None, None, "公用经费", None, None, "公用经费", None, None],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ["30101", "基本工资", "25", "30201", "办公费", "3", "30211", "差旅费", "1"],
        ["30102", "津贴补贴", "10", "30202", "印刷费", "2", "", "", ""],
        ["人员经费合计", "", "35", "公用经费合计", "", "5", "公用经费合计", "", "1"],
    ]
    grid = _blocks_grid(rows)
    facts = parse_economic_table(grid, "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("25", "25", None),
        "30102": _wan("10", "10", None),
        "30201": _wan("3", None, "3"),
        "30202": _wan("2", None, "2"),
        "30211": _wan("1", None, "1"),
    }
    assert grid.rows[0].cells[2:] == ["41", "35", "6"]  # type: ignore[attr-defined]
    assert {c.status for c in line_checks(facts.printed[0])} == {"passed"}


def _basic_by_function(rows: list[Row]) -> tuple[dict[str, tuple[Decimal | None, ...]], list[str]]:
    """The lines of a 基本支出 table as the pipeline parses it (parse_grid by its title's kind), each
    with total, basic, project, personnel and public, and its checks' verdicts."""
    facts = parse_grid(
        _grid(rows, title="一般公共预算基本支出表"), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0
    )  # type: ignore[arg-type]
    assert facts.economic_lines == []
    lines = {
        line.func_code: (line.total, line.basic_total, line.project_total, line.personnel, line.public_funds)
        for line in facts.function_lines
    }
    assert {line.table_kind for line in facts.function_lines} == {"general_budget_basic_expenditure"}
    return lines, [c.status for table in facts.printed for c in line_checks(table)]


def test_a_basic_table_printed_by_function_class_gives_function_lines_with_their_parts() -> None:
    """功能分类科目 rows under 合计 | 人员经费 | 公用经费 (templates that print the 基本支出 table by
    function rather than economic class): function lines of that table, not unread rows."""
    rows: list[Row] = [
        ["功能分类科目编码", "功能分类科目名称", "合计", "人员经费", "公用经费"],
        ["", "合计", "13.00", "10.00", "3.00"],
        ["201", "一般公共服务支出", "11.00", "9.00", "2.00"],
        ["20101", "人大事务", "11.00", "9.00", "2.00"],
        ["2010101", "行政运行", "11.00", "9.00", "2.00"],
        ["208", "社会保障和就业支出", "2.00", "1.00", "1.00"],
        ["20805", "行政事业单位养老支出", "2.00", "1.00", "1.00"],
        ["2080505", "机关事业单位基本养老保险缴费支出", "2.00", "1.00", "1.00"],
    ]
    lines, verdicts = _basic_by_function(rows)
    assert lines == {
        "2010101": _wan("11.00", "11.00", None, "9.00", "2.00"),
        "2080505": _wan("2.00", "2.00", None, "1.00", "1.00"),
    }
    assert verdicts == ["passed", "passed"]
    # 类 | 款 | 项 apart and no 合计 column: each row's total is its two parts'.
    split: list[Row] = [
        ["类", "款", "项", "科目名称", "人员经费", "公用经费"],
        ["", "", "", "合计", "10.00", "3.00"],
        ["201", "", "", "一般公共服务支出", "9.00", "2.00"],
        ["201", "01", "01", "行政运行", "9.00", "2.00"],
        ["208", "", "", "社会保障和就业支出", "1.00", "1.00"],
        ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "1.00", "1.00"],
    ]
    lines, verdicts = _basic_by_function(split)
    assert lines == {
        "2010101": _wan("11.00", "11.00", None, "9.00", "2.00"),
        "2080505": _wan("2.00", "2.00", None, "1.00", "1.00"),
    }
    assert verdicts == ["passed", "passed"]
    # Leaves only, no 类/款 rows: its names alone would pass for an economic table without codes.
    leaves_only = [rows[0], rows[1], rows[4], rows[7]]
    assert _basic_by_function(leaves_only)[0] == lines
    # One line: an agency with one function item.
    one = [rows[0], ["", "合计", "11.00", "9.00", "2.00"], rows[4]]
    assert _basic_by_function(one) == ({"2010101": lines["2010101"]}, ["passed", "passed"])
    # A part out by one: named by the checks, as in any table.
    wrong = [row[:] for row in rows]
    wrong[4][3] = "8.00"
    assert "failed" in _basic_by_function(wrong)[1]


def test_a_spending_table_keeps_the_personnel_and_public_parts_of_its_basic_column() -> None:
    """合计 | 基本支出 (人员经费 | 公用经费) | 项目支出: the parts stay on the line beside basic."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "合计", "基本支出", None, None, "项目支出"],
        [None, None, None, "小计", "人员经费", "公用经费", None],
        ["2010101", "行政运行", "11.00", "11.00", "9.00", "2.00", ""],
        ["2010102", "一般行政管理事务", "5.00", "", "", "", "5.00"],
    ]
    facts = parse_function_table(_grid(rows), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    got = {line.func_code: (*_amounts(line), line.personnel, line.public_funds) for line in facts.function_lines}
    assert got == {
        "2010101": _wan("11.00", "11.00", None, "9.00", "2.00"),
        "2010102": _wan("5.00", None, "5.00", None, None),
    }
    # An economic 基本支出 table is still read by economic class.
    economic = parse_grid(
        _grid([["科目编码", "科目名称", "合计", "人员经费", "公用经费"], ["30101", "基本工资", "9.00", "9.00", ""]]),
        "general_budget_basic_expenditure",
        Unit.WAN_YUAN,
        0,
    )
    assert [line.econ_code for line in economic.economic_lines] == ["30101"] and economic.function_lines == []


def test_a_one_row_three_public_table_without_rules_prints_its_zeros_as_dashes() -> None:
    """Whole numbers in 元 under a 三公 header, the zeros printed as dashes: the one number row
    is data (it used to be taken for text, and the table for none)."""
    words = [
        *_line(10, (40, "一般公共预算“三公”经费支出预算表")),
        *_line(24, (40, "单位：元")),
        *_line(40, (220, "公务用车购置及运行费")),
        *_line(50, (40, "“三公”经费合计"), (130, "因公出国（境）费"), (330, "公务接待费")),
        *_line(60, (200, "小计"), (240, "购置费"), (290, "运行费")),
        *_line(74, (40, "335794"), (130, "42622"), (200, "293172"), (240, "293172"), (290, "-"), (330, "-")),
    ]
    (table,) = find_text_tables(words)
    assert [w["text"] for w in table.body[0]] == ["335794", "42622", "293172", "293172", "-", "-"]
    assert len(table.header) == 3
    # A page number under label lines is no such row.
    assert find_text_tables([*words[:-6], *_line(74, (200, "-"), (210, "21"), (224, "-"))]) == []


def test_columns_from_header_labels_are_cut_in_the_gap_between_the_labels() -> None:
    """小计 (a narrow cell) beside 公务用车购置费 (a wide one), both labels centred, the numbers at
    their cells' left edges: the purchase amount stays in its column (halfway between the labels'
    centres fell on it)."""
    header = [
        _line(40, (100, "公务用车购置及运行费")),
        _line(50, (20, "合计")),
        [{"text": t, "x0": x0, "x1": x1, "top": 60, "bottom": 68} for t, x0, x1 in (
            ("小计", 71.1, 89.1), ("公务用车购置费", 97.1, 160.1), ("公务用车运行费", 168.1, 231.1))],
    ]  # fmt: skip
    columns = leaf_label_bands(header, 10, 240)
    row = [{"text": "1.0", "x0": x0, "x1": x0 + 10.5, "top": 80, "bottom": 88} for x0 in (20, 73.1, 99.1, 170.1)]
    assert cells_by_band([row], columns) == [["1.0", "1.0", "1.0", "1.0"]]


def _ruled_table(c: object, x: float, top: float, widths: list[float], rows: list[list[str]]) -> float:
    """A table drawn with a rule under each row and a box around it (no vertical rule inside);
    returns its bottom (from the page's top)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    from yusuan.synth.render import FONT

    style = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11)
    table = Table([[Paragraph(cell, style) for cell in row] for row in rows], colWidths=widths)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, "black"), ("BOX", (0, 0), (-1, -1), 0.5, "black")]))
    _, height = table.wrapOn(c, sum(widths), 800)
    page_height = 842
    table.drawOn(c, x, page_height - top - height)
    return top + height


def test_a_row_alone_at_the_top_of_the_next_page_runs_on_a_table_ruled_only_horizontally(tmp_path) -> None:
    """The last row of a table ruled only horizontally, alone at the top of the next page (one
    cell between two rules: pdfplumber finds no table there), its long name wrapped around its
    amounts, and another table under it: the row is read into its table."""
    from reportlab.pdfgen import canvas

    from yusuan.extract.pdf_reader import read_pdf
    from yusuan.synth.render import FONT

    widths = [60.0, 100.0, 70.0, 70.0, 70.0]
    c = canvas.Canvas(str(tmp_path / "run-on.pdf"), pagesize=(595, 842))
    c.setFont(FONT, 14)
    c.drawString(150, 842 - 60, "2026年一般公共预算基本支出表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - 80, "单位：万元")
    rows = [
        ["科目编码", "科目名称", "合计", "人员经费", "公用经费"],
        ["", "合计", "13.00", "10.00", "3.00"],
        ["2010101", "行政运行", "11.00", "9.00", "2.00"],
    ]
    _ruled_table(c, 60, 90, widths, rows)
    c.showPage()
    bottom = _ruled_table(c, 60, 40, widths, [["2080505", "机关事业单位基本养老保险缴费支出", "2.00", "1.00", "1.00"]])
    c.setFont(FONT, 14)
    c.drawString(150, 842 - bottom - 40, "2026年部门支出经济分类汇总表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - bottom - 60, "单位：万元")
    _ruled_table(
        c,
        60,
        bottom + 70,
        [60.0, 100.0, 70.0, 70.0, 70.0],
        [
            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
            ["", "合计", "13.00", "13.00", ""],
            ["30101", "基本工资", "9.00", "9.00", ""],
            ["30201", "办公费", "4.00", "4.00", ""],
        ],
    )
    c.showPage()
    c.save()
    basic, summary = build_tables(read_pdf(tmp_path / "run-on.pdf").blocks)
    facts = parse_grid(to_grid(basic), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)
    lines = {line.func_code: (line.func_name, *_amounts(line), line.personnel) for line in facts.function_lines}
    assert lines == {
        "2010101": ("行政运行", *_wan("11.00", "11.00", None, "9.00")),
        "2080505": ("机关事业单位基本养老保险缴费支出", *_wan("2.00", "2.00", None, "1.00")),
    }
    # The table under it is still its own.
    assert summary.title == "2026年部门支出经济分类汇总表" and len(to_grid(summary).rows) == 3


def test_a_header_repeated_on_the_next_page_is_dropped_when_a_label_lost_its_first_character() -> None:
    """A next page repeats the header, rebuilt from words with a label's first character cut off
    (能分类科目编码): still the header, not body rows (their text took the amount columns below the
    share that makes a column an amount column, and 公用经费 was lost)."""
    header: list[Row] = [
        ["功能分类科目编码", "功能分类科目编码", "功能分类科目名称", "基本支出", "基本支出", "基本支出"],
        ["类", "款", "功能分类科目名称", "合计", "人员经费", "公用经费"],
    ]
    first: list[Row] = [
        *header,
        ["", "", "合计", "5.00", "3.00", "2.00"],
        ["201", "01", "人大事务", "3.00", "2.00", "1.00"],
    ]
    repeated: list[Row] = [
        ["能分类科目编码", "能分类科目编码", "", "基本支出", "基本支出", "基本支出"],
        ["类", "款", "", "合计", "人员经费", "公用经费"],
        ["208", "05", "行政事业单位养老支出", "2.00", "1.00", "1.00"],
    ]
    grid = _grid(first, repeated, title="一般公共预算基本支出表")
    assert [row.cells[0] for row in grid.rows] == ["", "201", "208"]  # type: ignore[attr-defined]
    # A short piece is not taken for a label: it may be the end of a wrapped name.
    short = _grid(first, [["", "", "经费", "", "", ""], *repeated[2:]], title="一般公共预算基本支出表")
    assert [row.cells[2] for row in short.rows] == ["合计", "人大事务", "经费", "行政事业单位养老支出"]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ other layouts without rules


def test_full_width_amounts_without_rules_are_number_rows_and_their_commas_no_sentence() -> None:
    """Amounts typed full-width (４，８５７．０) in a table without rules: number rows, not text, and
    a comma between two digits does not end the table as a sentence's comma does."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(56, (40, "科目编码"), (120, "科目名称"), (260, "合计"), (330, "基本支出"), (410, "项目支出")),
        *_line(68, (40, "合计"), (250, "３２，０９５．３"), (330, "１，９５６．４"), (410, "３０，１３８．９")),
        *_line(
            80,
            (40, "２０１０３０１"),
            (120, "行政运行"),
            (250, "４，８５７．０"),
            (330, "１，９５６．４"),
            (410, "２，９００．６"),
        ),
        *_line(92, (40, "２０１０３５０"), (120, "事业运行"), (250, "２７，２３８．３"), (410, "２７，２３８．３")),
        *_line(130, (40, "注：本表金额单位为万元，合计数由四舍五入所致。")),
    ]
    (table,) = find_text_tables(words)
    assert [line[0]["text"] for line in table.body] == ["合计", "２０１０３０１", "２０１０３５０"]


def test_a_header_opening_with_unit_code_is_a_header_not_a_caption() -> None:
    """单位代码 | 单位名称 | 总计 … opens with 单位 as a caption (单位：万元) does; made of column
    labels alone it is the header of the table below it."""
    words = [
        *_line(30, (40, "部门收入总体情况表")),
        *_line(42, (40, "单位：元")),
        *_line(56, (40, "单位代码"), (100, "单位名称"), (220, "总计"), (290, "一般公共预算"), (380, "其他收入")),
        *_line(68, (100, "合计"), (220, "291,289,214"), (290, "291,289,214")),
        *_line(80, (40, "101"), (100, "周口市文化广电旅游局"), (220, "291,289,214"), (290, "291,289,214")),
    ]
    (table,) = find_text_tables(words)
    assert [w["text"] for w in table.header[0]][:2] == ["单位代码", "单位名称"] and len(table.body) == 2


def test_yuan_rows_with_one_number_and_amounts_of_a_wrapped_name_stay_in_their_table() -> None:
    """A 元 table prints whole numbers: a code and its name before one number is a row (201
    一般公共服务支出 23018695, or with a dash for nothing beside it), and a line of amounts alone
    between the two halves of a wrapped name is that name's row; the table does not end there."""
    words = [
        *_line(30, (40, "部门支出总体情况表")),
        *_line(42, (40, "单位：元")),
        *_line(56, (40, "科目编码"), (100, "科目名称"), (250, "项目支出"), (330, "基本支出")),
        *_line(68, (40, "合计"), (250, "132403670"), (330, "158885544")),
        *_line(80, (40, "201"), (100, "一般公共服务支出"), (330, "23018695")),
        *_line(92, (40, "20103"), (100, "政府办公厅（室）及")),
        *_line(104, (250, "23018695"), (330, "23018695")),
        *_line(116, (100, "相关机构事务")),
        *_line(128, (40, "2010301"), (100, "行政运行"), (330, "23018695"), (400, "-")),
        *_line(140, (40, "2050201"), (100, "学前教育"), (250, "42994042")),
    ]
    (table,) = find_text_tables(words)
    assert [line[0]["text"] for line in table.body] == [
        "合计",
        "201",
        "20103",
        "23018695",
        "相关机构事务",
        "2010301",
        "2050201",
    ]
    # One number after running text is no row: a contents line, a heading's year.
    assert find_text_tables([*words[:4], *_line(80, (40, "第二部分"), (100, "部门预算表"), (330, "5"))]) == []


def test_amounts_alone_at_the_top_of_a_page_run_the_table_on() -> None:
    """A row whose code and name wrap around its amounts opens the next page (code, amounts,
    name on three lines): the page's table runs on from its first line, no header."""
    top = [
        *_line(20, (40, "20899")),
        *_line(26, (250, "25073721"), (330, "25073721")),
        *_line(32, (40, "其他社会保障和就业支出")),
        *_line(46, (40, "210"), (100, "卫生健康支出"), (250, "39528182"), (330, "39528182")),
    ]
    (table,) = find_text_tables(top, continuing=True)
    assert table.header == [] and [line[0]["text"] for line in table.body][:2] == ["20899", "25073721"]
    # Not on a page that continues nothing.
    assert all(t.header for t in find_text_tables(top))


def test_a_header_left_at_a_page_foot_tops_the_header_the_next_page_opens_with() -> None:
    """人员经费 | 公用经费 left at a page's foot, 科目编码 | 科目名称 | 金额 twice opening the next
    page: the two lines are one header, and the blocks are told apart by it."""
    foot = [
        *_line(700, (40, "一般公共预算基本支出表")),
        *_line(712, (40, "单位：元")),
        *_line(726, (100, "人员经费"), (310, "公用经费")),
    ]
    carried = trailing_header(foot)
    page = [
        *_line(
            20, (40, "科目编码"), (100, "科目名称"), (180, "金额"), (250, "科目编码"), (310, "科目名称"), (390, "金额")
        ),
        *_line(
            32,
            (40, "30101"),
            (100, "基本工资"),
            (180, "3,304,585"),
            (250, "30202"),
            (310, "印刷费"),
            (390, "2,447,206"),
        ),
        *_line(
            44, (40, "30103"), (100, "奖金"), (180, "7,014,482"), (250, "30207"), (310, "邮电费"), (390, "2,087,191")
        ),
    ]
    ((table, grid, boxes),), _, _ = borderless_grids(page, carried, None)
    assert len(table.header) == 2 and grid[0][1] == "人员经费" and grid[0][4] == "公用经费"
    assert boxes[0] is None and boxes[1] is not None  # the carried line is printed on the page before
    # Below running text, the page's own header stands alone.
    ((table, _, _),), _, _ = borderless_grids([*_line(8, (40, "续表。")), *page], carried, None)
    assert len(table.header) == 1


def test_a_group_label_spread_one_column_too_far_still_tells_the_blocks_apart() -> None:
    """Without vertical rules 公用经费 can spread over the left block's 金额 too (人员经费 |
    人员经费 | 公用经费 | 公用经费 …): each block is the part over most of its columns."""
    rows: list[Row] = [
        ["人员经费", "人员经费", "公用经费", "公用经费", "公用经费", "公用经费"],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ["30101", "基本工资", "15", "30201", "办公费", "3"],
        ["30102", "津贴补贴", "10", "30202", "印刷费", "2"],
        ["人员经费合计", "", "25", "公用经费合计", "", "5"],
    ]
    facts = parse_economic_table(_blocks_grid(rows), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("15", "15", None),
        "30102": _wan("10", "10", None),
        "30201": _wan("3", None, "3"),
        "30202": _wan("2", None, "2"),
    }
    # Both blocks mostly under one label: nothing tells them apart, the amounts stay in no part.
    same = [["人员经费", "人员经费", "人员经费", "人员经费", "人员经费", "公用经费"], *rows[1:]]
    facts = parse_economic_table(_blocks_grid(same), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert facts.economic_lines[0].personnel is None and facts.economic_lines[0].public_funds is None


def test_a_next_page_of_one_row_with_a_blank_column_keeps_its_amounts_in_their_columns() -> None:
    """The last 公用经费 row alone on the next page, under the header repeated, codes in the name
    cell: its 人员经费 column holds nothing, and its 公用经费 amount stays under 公用经费 (the
    amounts were paired from the left, or the page was lost)."""
    first: list[Row] = [
        ["", "科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "", "30.00", "25.00", "5.00"],
        ["30101", "基本工资", "25.00", "25.00", "-"],
        ["30201", "办公费", "3.00", "-", "3.00"],
    ]
    second: list[Row] = [["科目名称", "合计", "人员经费", "公用经费"], ["31002办公设备购置", "2.00", "", "2.00"]]
    assert _economic_over_two_pages(first, second)["31002"] == _wan("2", None, "2")


def test_a_code_on_its_own_line_above_its_amounts_and_a_dash_joins_them() -> None:
    """A code printed a little above its row's amounts (its name below them): the amounts' line,
    a dash for nothing beside them, is the coded row's."""
    economic = _economic(
        [
            ["科目编码", "科目名称", "合计", "人员经费", "公用经费"],
            ["30109", "职业年金缴费", "15.00", "15.00", "-"],
            ["30110", "", "", "", ""],
            ["", "", "13.00", "13.00", "-"],
            ["", "职工基本医疗保险缴费", "", "", ""],
        ]
    )
    assert economic["30110"] == _wan("13", "13", None)


def test_a_coded_row_without_amounts_takes_the_next_lines_not_the_row_above() -> None:
    """Whole numbers in 元 such as 1069756 read as codes too (seven digits, a leading 1): the row
    above, whose amounts they are, is not a coded row without amounts, and the coded row under
    it keeps its own code and takes its amounts from the line below."""
    lines = _function(
        [
            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
            ["2070101", "行政运行", "1069756", "1069756", ""],
            ["2089999", "", "", "", ""],
            ["", "", "22202873", "22202873", ""],
            ["", "其他社会保障和就业支出", "", "", ""],
        ]
    )
    assert lines == {"2070101": _wan("1069756", "1069756", None), "2089999": _wan("22202873", "22202873", None)}


def test_a_name_wrapped_around_the_first_rows_amounts_is_no_header() -> None:
    """Rebuilt from words, a long name prints its first line above its code and amounts and its
    end below them: under the header, that first line is the row's (it made the left block's
    name column a label of its own, and the blocks were not read as blocks)."""
    rows: list[Row] = [
        ["人员经费", "人员经费", "人员经费", "公用经费", "公用经费", "公用经费"],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ["", "机关事业单位基本养老保险缴", "", "", "", ""],
        ["30108", "", "440.44", "30202", "印刷费", "9.44"],
        ["", "费", "", "", "", ""],
        ["30109", "职业年金缴费", "1,196.51", "30207", "邮电费", "57.34"],
        ["人员经费合计", "", "1,636.95", "公用经费合计", "", "66.78"],
    ]
    facts = parse_economic_table(_blocks_grid(rows), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    lines = {line.econ_code: _amounts(line) for line in facts.economic_lines}
    assert lines["30108"] == _wan("440.44", "440.44", None) and lines["30202"] == _wan("9.44", None, "9.44")
    # A label line under the header is still header: 合计 | 小计 (column words), no tail below.
    header_like = [rows[1], ["", "", "小计", "", "", "小计"], *rows[3:4], *rows[5:]]
    assert split_header(header_like) == 2


def test_a_name_wrapped_around_a_borderless_tables_first_row_starts_its_body() -> None:
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(56, (40, "类"), (60, "款"), (80, "项"), (120, "科目名称"), (260, "合计")),
        *_line(68, (120, "机关事业单位职业年金")),
        *_line(74, (80, "06"), (250, "3,477.50")),
        *_line(80, (120, "缴费支出")),
        *_line(92, (40, "210"), (120, "卫生健康支出"), (250, "6,230.00")),
    ]
    (table,) = find_text_tables(words)
    assert len(table.header) == 1 and _text_of(table.body[0]) == "机关事业单位职业年金"


def _text_of(line: list[dict]) -> str:
    return "".join(w["text"] for w in line)


def test_a_long_name_past_the_middle_between_two_labels_still_leaves_the_blank_column() -> None:
    """A page of 公用经费 rows only (人员经费 blank), its long names left-aligned in a wide cell and
    running past the middle of the gap between 科目名称 and 人员经费: the 人员经费 column is still
    cut, after the longest name and before its label."""
    header = [_line(50, (40, "科目编码"), (140, "科目名称"), (220, "人员经费"), (420, "公用经费"))]
    data = [
        _line(62, (40, "30201"), (100, "办公费"), (420, "100407")),
        _line(74, (40, "30231"), (100, "公务用车运行维护费产生的其他支出"), (420, "4185605")),
    ]
    columns = column_bands(data, 30, 480)
    assert len(columns) == 3
    split = split_bands(columns, header, data)
    assert [cells_by_band([line], split)[0] for line in data][1] == [
        "30231",
        "公务用车运行维护费产生的其他支出",
        "",
        "4185605",
    ]


def test_a_next_page_whose_yuan_amounts_look_like_codes_still_runs_the_table_on() -> None:
    """元 amounts such as 3759554 or 2261775 read as codes by their digits alone: a column of them
    (with 13533681 among them, which no code could be) is an amount column, and a next page that
    splits its codes off its names still runs on the table its first page began."""
    first: list[Row] = [["科目名称", "合计", "人员经费", "公用经费"], ["合计", "19555010", "17293408", "2261602"]]
    second: list[Row] = [
        ["", "科目名称", "合计", "人员经费", "公用经费"],
        ["30101", "基本工资", "3759554", "3759554", "0.00"],
        ["30108", "机关事业单位基本养老保险缴费", "13533854", "13533854", "0.00"],
        ["30201", "办公费", "2261602", "0.00", "2261602"],
    ]
    lines = _economic_over_two_pages(first, second)
    assert lines["30101"] == (Decimal("37595540000"), Decimal("37595540000"), Decimal(0))
    assert set(lines) == {"30101", "30108", "30201"}


def test_a_row_in_a_box_of_its_own_under_a_header_left_at_the_previous_page_foot(tmp_path) -> None:
    """A 三公 table's header printed without rules at a page's foot, its one row in a box at the
    top of the next page (one cell: pdfplumber finds no table), another table under it: the row
    is read under that header, and the next table does not take the header as its own."""
    from reportlab.pdfgen import canvas

    from yusuan.extract.pdf_reader import read_pdf
    from yusuan.synth.render import FONT

    c = canvas.Canvas(str(tmp_path / "three-public.pdf"), pagesize=(595, 842))
    c.setFont(FONT, 14)
    c.drawString(150, 842 - 700, "2026年一般公共预算“三公”经费支出预算表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - 720, "单位：元")
    labels = [("“三公”经费合计", 70), ("因公出国（境）费", 160), ("公务用车运行费", 260), ("公务接待费", 360)]
    for text, x in labels:
        c.drawString(x, 842 - 760, text)
    c.showPage()
    c.setFont(FONT, 9)
    c.line(60, 842 - 40, 440, 842 - 40)
    c.line(60, 842 - 56, 440, 842 - 56)
    for text, x in [("423,195", 80), ("0", 185), ("208,557", 270), ("214,638", 370)]:
        c.drawString(x, 842 - 52, text)
    c.setFont(FONT, 14)
    c.drawString(150, 842 - 100, "2026年政府性基金预算支出预算表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - 120, "单位：元")
    _ruled_table(
        c,
        60,
        130,
        [60.0, 100.0, 70.0, 70.0, 70.0],
        [["科目编码", "科目名称", "合计", "基本支出", "项目支出"], ["", "合计", "", "", ""]],
    )
    c.showPage()
    c.save()
    three_public, fund = build_tables(read_pdf(tmp_path / "three-public.pdf").blocks)
    assert three_public.title.endswith("“三公”经费支出预算表")
    assert to_grid(three_public).rows[0].cells == ["423,195", "0", "208,557", "214,638"]
    assert fund.segments[0].rows[0] == ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]


def test_an_indicator_list_without_rules_is_rebuilt_and_one_with_wrapped_lines_is_not() -> None:
    """A 绩效目标表 printed without rules has no amounts to be found by: its header of indicator
    labels and one line per indicator under it are a table; a list whose indicator wraps over
    two lines is left alone (its fragments would be stored as indicators)."""
    header = _line(60, (40, "一级指标"), (120, "二级指标"), (200, "三级指标"), (330, "指标值"))
    words = [
        *_line(30, (40, "2026年部门整体绩效目标表")),
        *_line(44, (40, "单位：万元")),
        *header,
        *_line(72, (40, "产出指标"), (120, "数量指标"), (200, "保障在职人员数"), (330, "≥95%")),
        *_line(84, (40, "效益指标"), (120, "社会效益指标"), (200, "服务对象满意度"), (330, "≥90%")),
    ]
    ((_, grid, _),), _, _ = borderless_grids(words, [], None)
    assert grid == [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "保障在职人员数", "≥95%"],
        ["效益指标", "社会效益指标", "服务对象满意度", "≥90%"],
    ]
    wrapped = [*words[:-4], *_line(84, (200, "（含编外人员）"))]
    assert borderless_grids(wrapped, [], None)[0] == []
    # The last indicator alone at the top of the next page runs the list on.
    _, _, continuing = borderless_grids(words[:-4], [], None)
    following = [*_line(20, (40, "效益指标"), (120, "社会效益指标"), (200, "服务对象满意度"), (330, "≥90%"))]
    ((table, grid, _),), _, _ = borderless_grids(following, [], continuing)
    following_row = ["效益指标", "社会效益指标", "服务对象满意度", "≥90%"]
    assert table.header == [] and grid == [following_row]
    assert borderless_grids(following, [], None)[0] == []
    # A header alone at a page's foot leads the rows that start the next page.
    _, _, continuing = borderless_grids(words[:-8], [], None)
    ((table, grid, boxes),), _, _ = borderless_grids(following, [], continuing)
    assert grid == [["一级指标", "二级指标", "三级指标", "指标值"], following_row]
    assert boxes[0] is None and boxes[1] is not None


def test_blocks_whose_public_block_prints_only_its_total_are_still_blocks() -> None:
    """No 公用经费 line this year: the right block prints only 公用经费合计 0.00. The left block's
    rows are still 人员经费 (they were read as lines of no part)."""
    rows: list[Row] = [
        ["人员经费", None, None, "公用经费", None, None],
        ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ["30101", "基本工资", "111.44", "", "", ""],
        ["30107", "绩效工资", "700.27", "", "", ""],
        ["人员经费合计", "", "811.71", "公用经费合计", "", "0.00"],
    ]
    facts = parse_economic_table(_blocks_grid(rows), "general_budget_basic_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    assert {line.econ_code: _amounts(line) for line in facts.economic_lines} == {
        "30101": _wan("111.44", "111.44", None),
        "30107": _wan("700.27", "700.27", None),
    }
    # Neither block coded: no blocks (a 收支-like grid of two halves stays as printed).
    uncoded = [*rows[:2], ["", "基本工资", "111.44", "", "办公费", "3.00"]]
    assert len(_blocks_grid(uncoded).paths) == 6  # type: ignore[attr-defined]


def test_a_second_header_row_that_labels_the_change_beside_this_years_columns_is_header() -> None:
    """2026年预算数 over 合计 | 基本支出 | 项目支出 beside 比上年增减 over 增减额 | 增减率: the lower
    row's change labels are column labels too (the row was read as a line of data, and the
    columns kept only their year)."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "2025年预算数", "2026年预算数", None, None, "比上年增减", None],
        [None, None, None, "合计", "基本支出", "项目支出", "增减额", "增减率"],
        [None, "合计", "27.00", "30.00", "20.00", "10.00", "3.00", "11.11%"],
        ["2010101", "行政运行", "18.00", "20.00", "20.00", None, "2.00", "11.11%"],
        ["2010102", "一般行政管理事务", "9.00", "10.00", None, "10.00", "1.00", "11.11%"],
    ]
    assert split_header(rows) == 2
    assert _function(rows) == {
        "2010101": _wan("20.00", "20.00", None),
        "2010102": _wan("10.00", None, "10.00"),
    }


def test_without_rules_this_years_label_keeps_the_columns_it_is_centred_over() -> None:
    """Without any rule: 2026年预算数 centred over 合计 | 基本支出 | 项目支出, 比上年增减 over 增减额 |
    增减率, and the labels spanning both header lines printed on a line between them. 项目支出's
    column is as near by count to 比上年增减 (it landed over 增减额) as to 2026年预算数: the
    label it sits under centred is the one it belongs to."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(56, (306, "2026年预算数"), (465, "比上年增减")),
        *_line(62, (40, "科目编码"), (100, "科目名称"), (190, "2025年预算数")),
        *_line(68, (262, "合计"), (316, "基本支出"), (376, "项目支出"), (440, "增减额"), (510, "增减率")),
        *_line(
            80,
            (100, "合计"),
            (205, "27.00"),
            (255, "30.00"),
            (315, "20.00"),
            (375, "10.00"),
            (446, "3.00"),
            (505, "11.11%"),
        ),
        *_line(
            92,
            (40, "2010101"),
            (100, "行政运行"),
            (205, "18.00"),
            (255, "20.00"),
            (315, "20.00"),
            (446, "2.00"),
            (505, "11.11%"),
        ),
        *_line(
            104,
            (40, "2010102"),
            (100, "一般行政管理事务"),
            (211, "9.00"),
            (255, "10.00"),
            (375, "10.00"),
            (446, "1.00"),
            (505, "11.11%"),
        ),
    ]
    ((table, grid, _),), _, _ = borderless_grids(words, [], None)
    assert len(table.header) == 3
    assert grid[0][3:] == ["2026年预算数"] * 3 + ["比上年增减"] * 2
    assert _function(grid) == {
        "2010101": _wan("20.00", "20.00", None),
        "2010102": _wan("10.00", None, "10.00"),
    }


def test_an_indicator_header_left_at_a_page_foot_heads_the_indicators_ruled_only_horizontally(tmp_path) -> None:
    """A 绩效目标表 ruled only horizontally: its header line 一级指标 … 指标值 at one page's foot (one
    row: no table there), its indicators at the next page's top. The header is carried over (its
    labels were no header words, and the indicators became a table of header rows, no target)."""
    from reportlab.pdfgen import canvas

    from yusuan.extract.pdf_reader import read_pdf
    from yusuan.extract.performance import indicator_header_end, parse_performance_table
    from yusuan.synth.render import FONT

    widths = [80.0, 90.0, 130.0, 70.0]
    c = canvas.Canvas(str(tmp_path / "targets.pdf"), pagesize=(595, 842))
    c.setFont(FONT, 14)
    c.drawString(150, 842 - 700, "2026年部门整体绩效目标表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - 730, "单位：万元")
    _ruled_table(c, 60, 760, widths, [["一级指标", "二级指标", "三级指标", "指标值"]])
    c.showPage()
    rows = [
        ["产出指标", "数量指标", "保障在职人员数", "≥95%"],
        ["产出指标", "时效指标", "资金支付及时率", "100%"],
        ["效益指标", "社会效益指标", "服务对象满意度", "≥90%"],
    ]
    _ruled_table(c, 60, 40, widths, rows)
    c.showPage()
    c.save()
    (table,) = build_tables(read_pdf(tmp_path / "targets.pdf").blocks)
    # As document.py reads a 绩效目标表: the header ends at its indicator labels.
    end = indicator_header_end(table.segments[0].rows)
    assert end == 1
    targets = parse_performance_table(to_grid(table, header_rows=end), 0)
    assert [[t.level1, t.level2, t.indicator, t.target_value] for t in targets] == rows


def test_a_table_without_rules_that_numbers_its_lines_in_a_first_column() -> None:
    """序号 | 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 without any rule: 序号 is a column label
    (the header was no header, and the table was not found)."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(
            56, (40, "序号"), (70, "科目编码"), (150, "科目名称"), (270, "合计"), (330, "基本支出"), (410, "项目支出")
        ),
        *_line(68, (150, "合计"), (255, "30.00"), (325, "20.00"), (405, "10.00")),
        *_line(80, (40, "1"), (70, "2010101"), (150, "行政运行"), (255, "20.00"), (325, "20.00")),
        *_line(92, (40, "2"), (70, "2010102"), (150, "一般行政管理事务"), (255, "10.00"), (405, "10.00")),
    ]
    ((_, grid, _),), _, _ = borderless_grids(words, [], None)
    assert grid[0] == ["序号", "科目编码", "科目名称", "合计", "基本支出", "项目支出"]
    assert _function(grid) == {
        "2010101": _wan("20.00", "20.00", None),
        "2010102": _wan("10.00", None, "10.00"),
    }


def test_labels_broken_over_two_lines_in_a_table_without_rules_are_whole_labels() -> None:
    """Narrow columns break 科目编码 into 科目 / 编码 (a leading apart), and 合计, one line, sits
    centred between those lines: one header line of whole labels, not three of pieces (基本 is
    no label: the header was lost)."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(42, (40, "单位：万元")),
        *_line(56, (40, "科目"), (110, "科目"), (330, "基本"), (410, "项目")),
        *_line(60.5, (264, "合计")),
        *_line(65, (40, "编码"), (110, "名称"), (330, "支出"), (410, "支出")),
        *_line(80, (110, "合计"), (255, "30.00"), (325, "20.00"), (405, "10.00")),
        *_line(92, (40, "2010101"), (110, "行政运行"), (255, "20.00"), (325, "20.00")),
        *_line(104, (40, "2010102"), (110, "一般行政管理事务"), (255, "10.00"), (405, "10.00")),
    ]
    ((table, grid, _),), _, _ = borderless_grids(words, [], None)
    assert grid[0] == ["科目编码", "科目名称", "合计", "基本支出", "项目支出"] and len(table.header) == 1
    assert _function(grid) == {
        "2010101": _wan("20.00", "20.00", None),
        "2010102": _wan("10.00", None, "10.00"),
    }


def test_broken_labels_of_a_two_row_header_keep_their_rows() -> None:
    """基本 / 支出 over 小计 | 人员 / 经费 | 公用 / 经费, and 科目 / 编码, 合计, 项目 / 支出 centred over
    both rows: pieces of one cell join (a leading apart), a group label and its sub-labels stay
    rows apart, and each one-line label goes with the labels centred as it is."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(50, (356, "基本")),
        *_line(59, (356, "支出")),
        *_line(61, (40, "科目"), (110, "科目"), (464, "项目")),
        *_line(65.5, (254, "合计")),
        *_line(70, (40, "编码"), (110, "名称"), (464, "支出")),
        *_line(72.5, (340, "人员"), (400, "公用")),
        *_line(77, (300, "小计")),
        *_line(81.5, (340, "经费"), (400, "经费")),
        *_line(100, (110, "合计"), (245, "30.00"), (295, "20.00"), (335, "15.00"), (395, "5.00"), (455, "10.00")),
        *_line(112, (40, "2010101"), (110, "行政运行"), (245, "20.00"), (295, "20.00"), (335, "15.00"), (395, "5.00")),
        *_line(124, (40, "2010102"), (110, "一般行政管理事务"), (245, "10.00"), (455, "10.00")),
    ]
    ((table, grid, _),), _, _ = borderless_grids(words, [], None)
    assert len(table.header) == 3
    # (A sub-label fills the blank over it up to its group label: one cell over both lines.)
    assert grid[1] == ["科目编码", "科目名称", "合计", "小计", "人员经费", "公用经费", "项目支出"]
    assert grid[2][3:6] == ["小计", "人员经费", "公用经费"] and grid[0][3:6] == ["基本支出"] * 3
    facts = parse_function_table(_grid(grid), "general_budget_expenditure", Unit.WAN_YUAN, 0)  # type: ignore[arg-type]
    lines = {line.func_code: (*_amounts(line), line.personnel, line.public_funds) for line in facts.function_lines}
    assert lines == {
        "2010101": _wan("20.00", "20.00", None, "15.00", "5.00"),
        "2010102": _wan("10.00", None, "10.00", None, None),
    }


def test_a_unit_printed_on_the_titles_line_leaves_the_title_a_title() -> None:
    """``2026年一般公共预算支出表单位：万元`` on one line (the unit at the title line's right end):
    the title and its caption (the line was a caption, the table had no title and no kind)."""
    rows: list[Row] = [
        ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
        ["2010101", "行政运行", "20.00", "20.00", ""],
    ]
    blocks: list[Block] = [
        TextLine(1, 10, "2026年一般公共预算支出表单位：万元"),
        TextLine(1, 20, "部门名称：某某局"),
        TableBlock(1, 50, 200, rows),
    ]
    (table,) = build_tables(blocks)
    assert table.title == "2026年一般公共预算支出表"
    assert table.captions == ["单位：万元", "部门名称：某某局"]
    assert classify_title(table.title) == "general_budget_expenditure"


def test_a_label_broken_over_more_lines_than_its_rows_others_stays_on_that_row() -> None:
    """公 / 用 / 经 / 费 in a narrow column, 人员 / 经费 beside it, 类 款 项 科目名称 合计 小计 on one
    line, all centred alike in one header row: one line of whole labels (公用经费 and 人员经费
    stayed on lines of their own, under labels of their own)."""
    words = [
        *_line(30, (40, "一般公共预算支出表")),
        *_line(44, (400, "公")),
        *_line(53, (400, "用"), (340, "人员")),
        *_line(57.5, (40, "类"), (60, "款"), (80, "项"), (110, "科目名称"), (250, "合计"), (300, "小计")),
        *_line(62, (400, "经"), (340, "经费")),
        *_line(71, (400, "费")),
        *_line(
            90,
            (40, "201"),
            (60, "01"),
            (80, "01"),
            (110, "行政运行"),
            (245, "20.00"),
            (295, "20.00"),
            (335, "15.00"),
            (395, "5.00"),
        ),
        *_line(
            102,
            (40, "201"),
            (60, "01"),
            (80, "02"),
            (110, "一般行政管理事务"),
            (245, "10.00"),
            (295, "10.00"),
            (335, "10.00"),
        ),
    ]
    ((table, grid, _),), _, _ = borderless_grids(words, [], None)
    assert len(table.header) == 1
    assert grid[0] == ["类", "款", "项", "科目名称", "合计", "小计", "人员经费", "公用经费"]


def test_an_indicator_alone_at_the_next_pages_top_runs_its_list_on(tmp_path) -> None:
    """A 绩效目标表 ruled only horizontally whose last indicator is alone at the next page's top,
    boxed by two rules (one cell: no table to pdfplumber) and printing no amount: the row runs
    the list on (it was lost, as only rows with amounts ran a table on)."""
    from reportlab.pdfgen import canvas

    from yusuan.extract.pdf_reader import read_pdf
    from yusuan.extract.performance import indicator_header_end, parse_performance_table
    from yusuan.synth.render import FONT

    widths = [80.0, 90.0, 130.0, 70.0]
    rows = [
        ["产出指标", "数量指标", "保障在职人员数", "≥95%"],
        ["产出指标", "时效指标", "资金支付及时率", "100%"],
        ["效益指标", "社会效益指标", "服务对象满意度", "≥90%"],
    ]
    c = canvas.Canvas(str(tmp_path / "targets.pdf"), pagesize=(595, 842))
    c.setFont(FONT, 14)
    c.drawString(150, 842 - 640, "2026年部门整体绩效目标表")
    c.setFont(FONT, 9)
    c.drawString(60, 842 - 670, "单位：万元")
    _ruled_table(c, 60, 690, widths, [["一级指标", "二级指标", "三级指标", "指标值"], *rows[:2]])
    c.showPage()
    _ruled_table(c, 60, 40, widths, rows[2:])
    c.showPage()
    c.save()
    (table,) = build_tables(read_pdf(tmp_path / "targets.pdf").blocks)
    end = indicator_header_end(table.segments[0].rows)
    targets = parse_performance_table(to_grid(table, header_rows=end), 0)
    assert [[t.level1, t.level2, t.indicator, t.target_value] for t in targets] == rows


def test_a_column_of_yuan_amounts_right_of_the_amounts_is_no_code_column() -> None:
    """A next page splits the code off its name (the first page keeps them in one cell) and its
    公用经费 column holds 元 amounts whose digits look like codes (2725368, 3954457): a column right
    of the amounts is no code column (the page had two code columns and was lost)."""
    first: list[Row] = [
        ["科目名称", "合计", "人员经费", "公用经费"],
        ["合计", "65000000", "50000000", "15000000"],
        ["30102津贴补贴", "50000000", "50000000", ""],
    ]
    second: list[Row] = [
        ["", "科目名称", "合计", "人员经费", "公用经费"],
        ["30207", "邮电费", "2725368", "", "2725368"],
        ["30228", "工会经费", "3269062", "", "3269062"],
        ["30299", "其他商品和服务支出", "407743", "", "407743"],
        ["31002", "办公设备购置", "3954457", "", "3954457"],
        ["30239", "其他交通费用", "4643370", "", "4643370"],
    ]
    lines = _economic_over_two_pages(first, second)
    assert lines["30207"] == _wan("2725368", None, "2725368")
    assert lines["31002"] == _wan("3954457", None, "3954457") and len(lines) == 6


def test_a_yuan_row_led_by_its_code_part_with_its_name_wrapped_around_it_opens_a_body() -> None:
    """类 | 款 | 项 apart, 元 amounts, the 类 printed once: a page's first row is ``03 36348100
    36348100`` with its long name wrapped above and below. A 款 part before whole numbers makes
    a row (the header found no row right under it, and the page's table was lost)."""
    words = [
        *_line(20, (40, "类"), (60, "款"), (80, "项"), (110, "科目名称"), (250, "合计"), (330, "项目支出")),
        *_line(32, (110, "政府办公厅（室）及相")),
        *_line(40, (60, "03"), (245, "36348100"), (325, "36348100")),
        *_line(48, (110, "关机构事务")),
        *_line(60, (80, "50"), (110, "事业运行"), (245, "36348100"), (325, "36348100")),
        *_line(72, (40, "204"), (110, "公共安全支出"), (245, "25120475"), (325, "25120475")),
    ]
    (table,) = find_text_tables(words)
    assert len(table.header) == 1
    assert [line_text(line) for line in table.body[:3]] == [
        "政府办公厅（室）及相",
        "033634810036348100",
        "关机构事务",
    ]


def test_a_yuan_row_led_by_a_row_number_and_its_code_parts_opens_a_body() -> None:
    """The same with a 序号 column: ``2 201 03 36348100 36348100``, the name wrapped around it;
    a code before one small 元 amount (``201 350``) is still a row."""
    words = [
        *_line(
            20, (20, "序号"), (40, "类"), (60, "款"), (80, "项"), (110, "科目名称"), (250, "合计"), (330, "项目支出")
        ),
        *_line(32, (110, "政府办公厅（室）及相")),
        *_line(40, (20, "2"), (40, "201"), (60, "03"), (245, "36348100"), (325, "36348100")),
        *_line(48, (110, "关机构事务")),
        *_line(
            60, (20, "3"), (40, "201"), (60, "03"), (80, "50"), (110, "事业运行"), (245, "36348100"), (325, "36348100")
        ),
        *_line(72, (20, "4"), (40, "204"), (110, "公共安全支出"), (245, "25120475"), (325, "25120475")),
    ]
    (table,) = find_text_tables(words)
    assert len(table.header) == 1 and line_text(table.body[0]) == "政府办公厅（室）及相"
    small = find_text_tables([*words[:7], *_line(32, (40, "201"), (245, "350"))])
    assert [line_text(line) for line in small[0].body] == ["201350"]
