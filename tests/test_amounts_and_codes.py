from decimal import Decimal

import pytest

from yusuan.normalise.amounts import Unit, clean_cell, find_unit, is_amount, parse_amount, parse_yuan
from yusuan.normalise.codes import (
    code_parts_and_spilled_name,
    join_code_parts,
    leaf_codes,
    split_code_and_name,
    with_inherited_parts,
)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("9,187.2", Unit.WAN_YUAN, Decimal("91872000.00")),
        ("0.7", Unit.WAN_YUAN, Decimal("7000.00")),
        ("193,018,000", Unit.YUAN, Decimal("193018000.00")),
        ("705,443.00", Unit.YUAN, Decimal("705443.00")),
        ("1，376.5", Unit.WAN_YUAN, Decimal("13765000.00")),
        ("-12.5", Unit.WAN_YUAN, Decimal("-125000.00")),
        ("0.00", Unit.WAN_YUAN, Decimal("0.00")),
        ("120258,600", Unit.YUAN, Decimal("120258600.00")),
    ],
)
def test_amounts_become_exact_yuan(text: str, unit: Unit, expected: Decimal) -> None:
    value = parse_yuan(text, unit)
    assert value == expected
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize("text", ["", "-", "—", "－", None, "  "])
def test_blank_marks_are_no_amount(text: str | None) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", ["行政运行", "12a", "1,23,4", "12,34"])
def test_text_is_not_silently_zero(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)
    assert not is_amount(text)


@pytest.mark.parametrize(
    ("caption", "unit"),
    [
        ("单位：万元", Unit.WAN_YUAN),
        ("单位: 元", Unit.YUAN),
        ("编制单位：上海市审计局 单位：元", Unit.YUAN),
        ("金额单位：万元", Unit.WAN_YUAN),
    ],
)
def test_unit_from_caption(caption: str, unit: Unit) -> None:
    assert find_unit(caption) is unit


def test_no_unit_in_plain_text() -> None:
    assert find_unit("部门名称：郑州市医疗保障局") is None


def test_wrapped_cell_text_joins_without_spaces() -> None:
    assert clean_cell("机关事业单位基本养老保\n险缴费") == "机关事业单位基本养老保险缴费"
    assert clean_cell("DRG 付费方式\n改革") == "DRG 付费方式改革"


def test_function_code_parts_join() -> None:
    assert join_code_parts(["208", "05", "05"]) == "2080505"
    assert join_code_parts(["210", "", ""]) == "210"
    assert join_code_parts(["301", "2"]) == "30102"  # a number cell drops the 款's leading zero
    assert join_code_parts(["", "", ""]) == ""
    assert join_code_parts(["合计", "", ""]) == ""
    # Each part printed whole, as some templates fill 类 | 款 | 项.
    assert join_code_parts(["201", "20101", "2010101"]) == "2010101"
    assert join_code_parts(["301", "30101"]) == "30101"


def test_full_width_amounts_are_amounts() -> None:
    """Word tables typed with a Chinese input method print full-width digits, commas, points and
    minus signs; a full-width dash alone is still a blank."""
    assert parse_amount("１，２３４．００") == Decimal("1234.00")
    assert parse_amount("－１２") == Decimal("-12")
    assert parse_amount("1，234.5") == Decimal("1234.5")
    assert is_amount("１２３４") and not is_amount("－") and parse_amount("－") is None


def test_code_in_front_of_name() -> None:
    assert split_code_and_name("2010101 行政运行") == ("2010101", "行政运行")
    assert split_code_and_name("30101基本工资") == ("30101", "基本工资")
    assert split_code_and_name("行政运行") == ("", "行政运行")


def test_code_parts_apart_in_front_of_name() -> None:
    """类/款/项 printed apart in one cell are one code; a decimal amount or an amount after a code
    is never read as code parts."""
    assert split_code_and_name("201 01 01 行政运行") == ("2010101", "行政运行")
    assert split_code_and_name("208 05 05 机关事业单位基本养老保险缴费支出") == (
        "2080505",
        "机关事业单位基本养老保险缴费支出",
    )
    assert split_code_and_name("301-01 基本工资") == ("30101", "基本工资")
    assert split_code_and_name("[301-01]基本工资") == ("30101", "基本工资")
    assert split_code_and_name("123.45") == ("", "123.45")
    assert split_code_and_name("201 12.50") == ("201", "12.50")
    assert split_code_and_name("201 一般公共服务支出") == ("201", "一般公共服务支出")


def test_leaves_exclude_class_and_section_subtotals() -> None:
    codes = ["208", "20805", "2080501", "2080505", "210", "21011", "2101101", "221"]
    assert leaf_codes(codes) == {"2080501", "2080505", "2101101", "221"}


def test_code_kinds() -> None:
    from yusuan.normalise.codes import is_economic_code, is_function_code

    assert all(is_function_code(c) for c in ("208", "20805", "2080505", "101"))
    assert not any(is_function_code(c) for c in ("099", "048001", "30101", "2080", ""))
    assert all(is_economic_code(c) for c in ("301", "30101", "50201"))
    assert not any(is_economic_code(c) for c in ("2080505", "401", "3010", ""))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["221", "02", "03购房补贴"], (["221", "02", "03"], "购房补贴")),
        (["221", "02 住房改革支出", ""], (["221", "02", ""], "住房改革支出")),
        (["221一般公共服务支出", "", ""], (["221", "", ""], "一般公共服务支出")),
        (["301", "1基本工资"], (["301", "1"], "基本工资")),
        (["20101人大事务"], (["20101"], "人大事务")),
        (["221", "02", "03"], (["221", "02", "03"], "")),
        # A part with text, then a part after it: not a name that ran in.
        (["221", "02购房", "03"], (["221", "02购房", "03"], "")),
        # Numbered labels and years are no code parts.
        (["1、基本支出", "", ""], (["1、基本支出", "", ""], "")),
        (["2025年", "", ""], (["2025年", "", ""], "")),
        (["201", "1.5"], (["201", "1.5"], "")),
        (["合计"], (["合计"], "")),
    ],
)
def test_a_name_that_ran_into_a_code_column_is_taken_out(parts: list[str], expected: tuple[list[str], str]) -> None:
    assert code_parts_and_spilled_name(parts) == expected


def test_blank_parent_parts_are_inherited_from_the_last_row_that_printed_them() -> None:
    assert with_inherited_parts(["", "01"], ["301", ""]) == ["301", "01"]
    assert with_inherited_parts(["", "", "03"], ["208", "05", ""]) == ["208", "05", "03"]
    assert with_inherited_parts(["", "", "03"], ["208", "", ""]) == ["", "", "03"]  # no 款 to take
    assert with_inherited_parts(["302", "01"], ["301", "02"]) == ["302", "01"]
    assert with_inherited_parts(["", ""], ["301", "02"]) == ["", ""]
