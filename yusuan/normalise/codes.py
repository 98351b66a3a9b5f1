"""Classification codes: 功能分类 (类/款/项) and 经济分类 (类/款)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"^\d+$")
# A code printed in front of its name in one cell: "2010101 行政运行", "30101基本工资",
# "[2060503]科技条件专项", "【301】工资福利支出", "30101-基本工资", or its 类/款/项 parts apart
# ("201 01 01 行政运行", "301-01 基本工资"). The code must not run on into more digits or a
# decimal point: "123.45" is an amount, not code 123 (nor 12345: a part is never after a ".").
_CODE_PREFIX = re.compile(
    r"^[\[【（(]?\s*(\d{3}(?:[ \u3000\-－]\d{2}){1,2}|\d{3,7})(?![\d.,])\s*[\]】）)]?\s*[-－—_:：、.．]?\s*(.*)$", re.S
)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def digits_only(text: str) -> str:
    """A code cell without spaces, full-width digits (typed in a Chinese input method) as ASCII."""
    compact = re.sub(r"\s+", "", text)
    return compact if compact.isascii() else compact.translate(_FULL_WIDTH_DIGITS)


def join_code_parts(parts: list[str]) -> str:
    """类/款/项 printed in separate columns → one code (``208``, ``05``, ``05`` → ``2080505``).

    Empty trailing parts mean a row at a higher level (类 or 款), which yields a shorter code.
    A spreadsheet cell formatted as a number drops a 款's or 项's leading zero (``2`` for ``02``):
    those parts are two digits wide by definition.
    """
    code = ""
    for n, part in enumerate(parts):
        part = digits_only(part)
        if not part:
            break
        if not _DIGITS.match(part):
            return ""
        if n > 0 and len(part) == len(code) + 2 and part.startswith(code):
            code = part  # each part printed whole (201 | 20101 | 2010101)
            continue
        code += part.zfill(2) if n > 0 and len(part) == 1 else part
    return code


def with_inherited_parts(parts: list[str], inherited: list[str]) -> list[str]:
    """类/款/项 parts with the blank leading ones taken from the last row that printed them: a
    child row may print only its 款 (or 项) and leave its parents' parts blank (a merged cell, or
    a template that prints the 类 once)."""
    first = next((n for n, part in enumerate(parts) if part.strip()), None)
    if not first or len(inherited) < first or not all(p.strip() for p in inherited[:first]):
        return parts
    return [*inherited[:first], *parts[first:]]


# A code column's cell that took the start of the row's name as well (``03购房补贴``): where the
# columns are found from text positions, a name printed close to its code lands in the code's cell.
# A 类 part is three digits, a 款 or 项 part one or two; the name starts with a letter or a CJK
# character (not ``、`` or ``.``: ``1、基本支出`` is a numbered label, not a code).
_CLASS_AND_NAME = re.compile(r"^(\d{3})\s*([^\W\d_].*)$", re.S)
_PART_AND_NAME = re.compile(r"^(\d{1,2})\s*([^\W\d_].*)$", re.S)


def code_parts_and_spilled_name(parts: list[str]) -> tuple[list[str], str]:
    """类/款/项 cells with any name text one of them holds taken out: (``221``, ``02``,
    ``03购房补贴``) → ([``221``, ``02``, ``03``], ``购房补贴``). Parts without such text come back as
    they are, with an empty name. One code column holds the whole code (``20101人大事务``)."""
    if len(parts) == 1:
        code, name = split_code_and_name(parts[0])
        return ([code], name) if code and name else (parts, "")
    for n, part in enumerate(parts):
        match = (_PART_AND_NAME if n else _CLASS_AND_NAME).match(part.strip())
        if match and not any(later.strip() for later in parts[n + 1 :]):
            return [*parts[:n], match.group(1), *parts[n + 1 :]], match.group(2).strip()
    return parts, ""


def split_code_and_name(text: str) -> tuple[str, str]:
    """Split "2010101 行政运行" into its code and name; a cell without a code gives ("", text)."""
    match = _CODE_PREFIX.match(text.strip())
    if not match:
        return "", text.strip()
    return re.sub(r"\D", "", digits_only(match.group(1))), match.group(2).strip()


_FUNCTION_CODE = re.compile(r"^[12]\d{2}(?:\d{2}){0,2}$")
# 类 (301), 款 (30101) and, where a province splits an item further, 3010201.
_ECONOMIC_CODE = re.compile(r"^[35]\d{2}(?:\d{2}){0,2}$")


def is_function_code(code: str) -> bool:
    """Function codes are 3 (类), 5 (款) or 7 (项) digits starting with 2 (expenditure) or 1.

    The leading digit matters: a unit code such as 099 in a code column is not a 类."""
    return bool(_FUNCTION_CODE.match(code))


def is_economic_code(code: str) -> bool:
    """Economic codes: 部门预算 301/30101 (sub-items 3010201) or 政府预算 501/50101."""
    return bool(_ECONOMIC_CODE.match(code))


def leaf_codes(codes: list[str]) -> set[str]:
    """Codes that no other code in the list extends: the lines, not the 类/款 subtotals."""
    unique = set(codes)
    return {c for c in unique if not any(o != c and o.startswith(c) for o in unique)}


_FUNCTION_LEVELS = {3: "class", 5: "section", 7: "item"}
_ECONOMIC_LEVELS = {3: "class", 5: "item", 7: "subitem"}


def function_level(code: str) -> str:
    """类 (3 digits) → class, 款 (5) → section, 项 (7) → item."""
    return _FUNCTION_LEVELS.get(len(code), "")


def economic_level(code: str) -> str:
    """301 → class, 30101 → item, 3010201 → subitem."""
    return _ECONOMIC_LEVELS.get(len(code), "")
