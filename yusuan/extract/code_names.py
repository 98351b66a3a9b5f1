"""Codes for the lines of a table that prints names only, from the same document's coded tables.

A budget that prints its 一般公共预算支出表 by name (行政运行, 一般行政管理事务 …) usually prints
the same classification with codes elsewhere (its 支出总表, its 基本支出表). A name resolves to a
code only when the document is unambiguous about it: the name maps to one code under the code of
its printed parent (行政运行 is 2010101 under 人大事务 and 2010301 under 政府办公厅), or, for a
line with no printed parent, the name maps to one code in the whole document. Anything else keeps
its empty code: a wrong code is worse than none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from yusuan.extract.line_checks import PrintedTable
from yusuan.models import EconomicLine, FunctionLine, Lineage
from yusuan.normalise.codes import economic_level, function_level, is_economic_code, is_function_code

_PARENS = str.maketrans("（）", "()")
Line = TypeVar("Line", FunctionLine, EconomicLine)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name).translate(_PARENS)


def codes_by_name(printed: list[PrintedTable], is_code: Callable[[str], bool]) -> dict[str, set[str]]:
    """Every name the document prints beside a code of this classification, with its codes."""
    names: dict[str, set[str]] = defaultdict(set)
    for table in printed:
        for row in table.rows:
            if row.name and is_code(row.code):
                names[_key(row.name)].add(row.code)
    return names


def resolve(name: str, parents: tuple[str, ...], names: dict[str, set[str]]) -> str:
    """The one code the document gives ``name`` under ``parents`` (outermost first), or ""."""
    candidates = names.get(_key(name), set())
    if parents:
        parent = resolve(parents[-1], parents[:-1], names)
        under = {parent} if parent else names.get(_key(parents[-1]), set())
        candidates = {c for c in candidates if any(c.startswith(p) and len(c) > len(p) for p in under)}
    return next(iter(candidates)) if len(candidates) == 1 else ""


def _resolved(
    lines: list[Line],
    name_of: str,
    code_of: str,
    names: dict[str, set[str]],
    parents: dict[Lineage, tuple[str, ...]],
    level_of: Callable[[str], str],
) -> list[Line]:
    out = []
    for line in lines:
        code = resolve(getattr(line, name_of), parents[line.lineage], names) if line.lineage in parents else ""
        # A level read from the sums must agree with the code's (an item is a 7-digit code).
        if code and not getattr(line, code_of) and line.level in ("", level_of(code)):
            line = replace(line, **{code_of: code, "level": level_of(code)})
        out.append(line)
    return out


def with_resolved_codes(
    function_lines: list[FunctionLine],
    economic_lines: list[EconomicLine],
    printed: list[PrintedTable],
    parents: dict[Lineage, tuple[str, ...]],
) -> tuple[list[FunctionLine], list[EconomicLine]]:
    """The lines, code-less ones given the code their name resolves to (their level with it)."""
    if not parents:
        return function_lines, economic_lines
    function_names = codes_by_name(printed, is_function_code)
    economic_names = codes_by_name(printed, is_economic_code)
    return (
        _resolved(function_lines, "func_name", "func_code", function_names, parents, function_level),
        _resolved(economic_lines, "econ_name", "econ_code", economic_names, parents, economic_level),
    )
