"""Rewrites of a line table's grid into the layouts other templates print (layout invariance).

Each takes a stored table's grid (cells and column label paths) and gives the same table as
another template prints it, no number or code changed, or None where the layout does not apply
(the columns it moves are not told apart by their labels beyond doubt).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from yusuan.extract.parse import ECONOMIC_KINDS
from yusuan.extract.tables import Grid, GridRow
from yusuan.normalise.amounts import is_amount, parse_amount
from yusuan.normalise.codes import is_economic_code, is_function_code, join_code_parts

_TOTAL = re.compile(r"^(合计|总计)$")
_FULL_WIDTH = str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")


# ------------------------------------------------------------------ the columns a rewrite moves


def _leaf(path: list[str]) -> str:
    return re.sub(r"\s+", "", path[-1]) if path else ""


@dataclass(frozen=True, slots=True)
class _Columns:
    code: list[int]  # one whole-code column, or 类 | 款 (| 项)
    name: int
    is_code: Callable[[str], bool]


def _columns(grid: Grid, kind: str) -> _Columns | None:
    """The code and name columns, where the labels leave no doubt (else no rewrite is made)."""
    if any("政府" in x or "单位" in x or "部门" in x for p in grid.paths for x in p):
        return None  # two classifications, or unit columns: a rewrite could pair the wrong ones
    leaves = [_leaf(p) for p in grid.paths]
    is_code = is_economic_code if kind in ECONOMIC_KINDS else is_function_code
    split = [leaves.index(part) for part in ("类", "款", "项") if part in leaves]
    whole = [c for c, leaf in enumerate(leaves) if ("编码" in leaf or "代码" in leaf) and c not in split]
    names = [c for c, leaf in enumerate(leaves) if "名称" in leaf]
    code = split if len(split) >= 2 else whole if len(whole) == 1 and not split else []
    if not code or len(names) != 1:
        return None
    coded = sum(1 for row in grid.rows if is_code(_code_of(row.cells, code)))
    return _Columns(code, names[0], is_code) if coded >= 2 else None


def _code_of(cells: list[str], code: list[int]) -> str:
    return join_code_parts([cells[c] for c in code]) if len(code) > 1 else re.sub(r"\s+", "", cells[code[0]])


def _without(grid: Grid, drop: set[int], rows: list[list[str]] | None = None) -> Grid:
    keep = [c for c in range(len(grid.paths)) if c not in drop]
    cells = rows if rows is not None else [r.cells for r in grid.rows]
    return replace(
        grid,
        paths=[grid.paths[c] for c in keep],
        rows=[GridRow(r.page_no, [row[c] for c in keep], r.box) for r, row in zip(grid.rows, cells, strict=True)],
    )


def _amount_columns(grid: Grid, taken: set[int]) -> list[int]:
    """Columns of amounts: a code column's 301 reads as a number too, its label says otherwise."""
    return [
        c
        for c in range(len(grid.paths))
        if c not in taken
        and not any(word in "".join(grid.paths[c]) for word in ("编码", "代码", "名称", "科目"))
        and _leaf(grid.paths[c]) not in ("类", "款", "项")
        and any(is_amount(r.cells[c]) for r in grid.rows)
    ]


# ------------------------------------------------------------------ rewrites


def codes_in_the_name_cell(grid: Grid, kind: str, form: str = "{code} {name}") -> Grid | None:
    """``2010101 行政运行`` in the name cell, no code column."""
    cols = _columns(grid, kind)
    if cols is None:
        return None
    rows = []
    for row in grid.rows:
        cells = list(row.cells)
        code = _code_of(cells, cols.code)
        if cols.is_code(code):
            cells[cols.name] = form.format(code=code, name=cells[cols.name])
        rows.append(cells)
    return _without(grid, set(cols.code), rows)


def bracketed_codes_in_the_name_cell(grid: Grid, kind: str) -> Grid | None:
    """``[2010101]行政运行`` in the name cell."""
    return codes_in_the_name_cell(grid, kind, "[{code}]{name}")


def dashed_codes_in_the_name_cell(grid: Grid, kind: str) -> Grid | None:
    """``2010101-行政运行`` in the name cell."""
    return codes_in_the_name_cell(grid, kind, "{code}-{name}")


def total_row_last(grid: Grid, kind: str) -> Grid | None:
    """The 合计 row printed under the lines instead of over them."""
    totals = [r for r in grid.rows if any(_TOTAL.match(re.sub(r"\s+", "", c)) for c in r.cells if c)]
    if len(totals) != 1:
        return None
    return replace(grid, rows=[r for r in grid.rows if r is not totals[0]] + totals)


def blank_column_after_the_name(grid: Grid, kind: str) -> Grid | None:
    """An empty grid column between the names and the amounts (a Word table's spacer)."""
    cols = _columns(grid, kind)
    if cols is None:
        return None
    at = cols.name + 1
    return replace(
        grid,
        paths=[*grid.paths[:at], [], *grid.paths[at:]],
        rows=[GridRow(r.page_no, [*r.cells[:at], "", *r.cells[at:]], r.box) for r in grid.rows],
    )


def names_wrapped_onto_a_row_of_their_own(grid: Grid, kind: str) -> Grid | None:
    """A long name's end printed on the line below, in a row of its own (no code, no amount)."""
    cols = _columns(grid, kind)
    if cols is None:
        return None
    rows: list[GridRow] = []
    wrapped = False
    for row in grid.rows:
        name = row.cells[cols.name]
        if len(name) >= 6 and cols.is_code(_code_of(row.cells, cols.code)):
            head = [*row.cells[: cols.name], name[:4], *row.cells[cols.name + 1 :]]
            tail = ["" if c != cols.name else name[4:] for c in range(len(row.cells))]
            rows += [GridRow(row.page_no, head, row.box), GridRow(row.page_no, tail, row.box)]
            wrapped = True
        else:
            rows.append(row)
    return replace(grid, rows=rows) if wrapped else None


def parents_printed_once(grid: Grid, kind: str) -> Grid | None:
    """类 | 款 (| 项) apart, each parent part printed only on the row that opens it: the 款 rows
    leave their 类 blank, the 项 rows their 类 and 款 (merged cells)."""
    cols = _columns(grid, kind)
    if cols is None or len(cols.code) < 2:
        return None
    rows = []
    previous: list[str] = []
    changed = False
    for row in grid.rows:
        cells = list(row.cells)
        parts = [cells[c].strip() for c in cols.code]
        if cols.is_code(_code_of(cells, cols.code)):
            for n in range(len(parts) - 1):
                if parts[n + 1] and parts[: n + 1] == previous[: n + 1]:
                    cells[cols.code[n]] = ""
                    changed = True
            previous = parts
        rows.append(GridRow(row.page_no, cells, row.box))
    return replace(grid, rows=rows) if changed else None


def parts_printed_whole(grid: Grid, kind: str) -> Grid | None:
    """类 | 款 | 项 columns each holding the code down to its level (201 | 20101 | 2010101)."""
    cols = _columns(grid, kind)
    if cols is None or len(cols.code) < 2:
        return None
    rows = []
    for row in grid.rows:
        cells = list(row.cells)
        if cols.is_code(_code_of(cells, cols.code)):
            so_far = ""
            for c in cols.code:
                part = re.sub(r"\s+", "", cells[c])
                if not part:
                    break
                so_far += part.zfill(2) if so_far and len(part) == 1 else part
                cells[c] = so_far
        rows.append(GridRow(row.page_no, cells, row.box))
    return replace(grid, rows=rows)


def parts_under_one_label(grid: Grid, kind: str) -> Grid | None:
    """类 | 款 | 项 columns under one spanning 科目编码 label, no row naming the parts."""
    cols = _columns(grid, kind)
    if cols is None or len(cols.code) < 2 or cols.code != list(range(cols.code[0], cols.code[-1] + 1)):
        return None
    paths = [["科目编码"] if c in cols.code else p for c, p in enumerate(grid.paths)]
    return replace(grid, paths=paths)


def leaves_only(grid: Grid, kind: str) -> Grid | None:
    """No 类 or 款 subtotal rows: only the rows no other code extends."""
    cols = _columns(grid, kind)
    if cols is None:
        return None
    codes = [_code_of(r.cells, cols.code) for r in grid.rows]
    parents = {c for c in codes if cols.is_code(c) and any(o != c and o.startswith(c) for o in codes)}
    if not parents:
        return None
    return replace(grid, rows=[r for r, code in zip(grid.rows, codes, strict=True) if code not in parents])


_SYNONYMS = {
    "合计": "总计",
    "项目支出": "项目经费",
    "人员经费": "人员支出",
    "公用经费": "公用支出",
    "科目编码": "科目代码",
}


def other_words_for_the_labels(grid: Grid, kind: str) -> Grid | None:
    """总计 for 合计, 项目经费 for 项目支出, 人员支出 / 公用支出, 科目代码: the words other templates use."""
    paths = [[_SYNONYMS.get(re.sub(r"\s+", "", x), x) for x in path] for path in grid.paths]
    return None if paths == grid.paths else replace(grid, paths=paths)


def codes_apart(grid: Grid, kind: str) -> Grid | None:
    """One whole-code column printed as 类 | 款 | 项."""
    cols = _columns(grid, kind)
    if cols is None or len(cols.code) != 1:
        return None
    c = cols.code[0]
    head = grid.paths[c][:-1] or ["科目编码"]
    paths = grid.paths[:c] + [[*head, part] for part in ("类", "款", "项")] + grid.paths[c + 1 :]
    rows = []
    for row in grid.rows:
        code = re.sub(r"\s+", "", row.cells[c])
        parts = [code[:3], code[3:5], code[5:7]] if cols.is_code(code) else [row.cells[c], "", ""]
        rows.append(GridRow(row.page_no, row.cells[:c] + parts + row.cells[c + 1 :], row.box))
    return replace(grid, paths=paths, rows=rows)


def codes_joined(grid: Grid, kind: str) -> Grid | None:
    """类 | 款 | 项 printed as one whole-code column."""
    cols = _columns(grid, kind)
    if cols is None or len(cols.code) < 2:
        return None
    first = cols.code[0]
    rows = []
    for row in grid.rows:
        cells = list(row.cells)
        code = _code_of(cells, cols.code)
        cells[first] = code if cols.is_code(code) else "".join(cells[c] for c in cols.code)
        rows.append(cells)
    out = _without(grid, set(cols.code[1:]), rows)
    out.paths[first] = [*grid.paths[first][:-1], "科目编码"] if len(grid.paths[first]) > 1 else ["科目编码"]
    return out


def name_before_code(grid: Grid, kind: str) -> Grid | None:
    """The name column printed in front of the code columns."""
    cols = _columns(grid, kind)
    if cols is None:
        return None
    order = [cols.name] + [c for c in range(len(grid.paths)) if c != cols.name]
    return replace(
        grid,
        paths=[grid.paths[c] for c in order],
        rows=[GridRow(r.page_no, [r.cells[c] for c in order], r.box) for r in grid.rows],
    )


def full_width_amounts(grid: Grid, kind: str) -> Grid | None:
    """Every number typed with full-width digits, commas and points (codes as well)."""
    rows = [
        GridRow(r.page_no, [c.translate(_FULL_WIDTH) if is_amount(c) else c for c in r.cells], r.box) for r in grid.rows
    ]
    return replace(grid, rows=rows)


_PARTS = {"function": ("基本支出", "项目支出"), "economic": ("人员", "公用")}


def _part_columns(grid: Grid, kind: str) -> tuple[int, int, int] | None:
    """(total, first part, second part) where each is one column whose label says so."""
    heads = _PARTS["economic" if kind in ECONOMIC_KINDS else "function"]
    labels = ["".join(re.sub(r"\s+", "", x) for x in p) for p in grid.paths]
    amounts = _amount_columns(grid, set())
    parts = []
    for head in heads:
        found = [c for c in amounts if head in labels[c] and _leaf(grid.paths[c]) not in ("其中",)]
        # 基本支出 over 小计 | 人员经费 | 公用经费: the part is its 小计/合计 (or its only column).
        whole = [c for c in found if _leaf(grid.paths[c]).startswith(head) or _leaf(grid.paths[c]) in ("小计", "合计")]
        if len(whole) != 1 or (len(found) > 1 and len(whole) != 1):
            return None
        parts.append(whole[0])
    totals = [
        c
        for c in amounts
        if c not in parts
        and _leaf(grid.paths[c]) in ("合计", "总计", "小计", "金额")
        and not any(head in labels[c] for head in heads)
    ]
    if len(totals) != 1:
        return None
    return totals[0], parts[0], parts[1]


def without_the_total_column(grid: Grid, kind: str) -> Grid | None:
    """The parts printed, no 合计 column: the totals are the parts' sums."""
    found = _part_columns(grid, kind)
    if found is None:
        return None
    # Only where the two parts are all the table prints beside its 合计 (with their own parts):
    # a 支出总表 that adds 经营支出 or 上缴上级支出 columns has no total without its 合计.
    heads = _PARTS["economic" if kind in ECONOMIC_KINDS else "function"] + ("人员", "公用")
    labels = ["".join(p) for p in grid.paths]
    others = [c for c in _amount_columns(grid, {found[0]}) if not any(h in labels[c] for h in heads)]
    return None if others else _without(grid, {found[0]})


def parts_swapped(grid: Grid, kind: str) -> Grid | None:
    """项目支出 printed before 基本支出 (公用经费 before 人员经费)."""
    found = _part_columns(grid, kind)
    if found is None:
        return None
    _, a, b = found
    order = list(range(len(grid.paths)))
    order[a], order[b] = b, a
    return replace(
        grid,
        paths=[grid.paths[c] for c in order],
        rows=[GridRow(r.page_no, [r.cells[c] for c in order], r.box) for r in grid.rows],
    )


def side_by_side_blocks(grid: Grid, kind: str) -> Grid | None:
    """人员经费 rows on the left, 公用经费 rows on the right of the same lines (code | name | amount)."""
    if kind not in ECONOMIC_KINDS:
        return None
    cols = _columns(grid, kind)
    found = _part_columns(grid, kind)
    if cols is None or found is None:
        return None
    total, personnel, public = found
    left: list[GridRow] = []
    right: list[GridRow] = []
    totals = ["", ""]
    for row in grid.rows:
        code = _code_of(row.cells, cols.code)
        a, b = (parse_amount(row.cells[c]) if is_amount(row.cells[c]) else None for c in (personnel, public))
        if not cols.is_code(code):
            if is_amount(row.cells[total]):
                totals = [row.cells[personnel], row.cells[public]]
            continue
        if a and b:
            return None  # a row of both parts has no block
        side, amount = (right, row.cells[public]) if b else (left, row.cells[personnel] or row.cells[total])
        side.append(GridRow(row.page_no, [code, row.cells[cols.name], amount], row.box))
    rows = []
    for i in range(max(len(left), len(right))):
        pair = [left[i] if i < len(left) else None, right[i] if i < len(right) else None]
        page = next(r.page_no for r in pair if r is not None)
        cells = [c for r in pair for c in (r.cells if r is not None else ["", "", ""])]
        rows.append(GridRow(page, cells, None))
    rows.append(GridRow(grid.page_last, ["人员经费合计", "", totals[0], "公用经费合计", "", totals[1]], None))
    paths = [[head, leaf] for head in ("人员经费", "公用经费") for leaf in ("科目编码", "科目名称", "金额")]
    return replace(grid, paths=paths, rows=rows)


REWRITES: dict[str, Callable[[Grid, str], Grid | None]] = {
    "codes in the name cell": codes_in_the_name_cell,
    "[codes] in the name cell": bracketed_codes_in_the_name_cell,
    "code-name in the name cell": dashed_codes_in_the_name_cell,
    "类/款/项 apart": codes_apart,
    "类/款/项 joined": codes_joined,
    "name before code": name_before_code,
    "full-width amounts": full_width_amounts,
    "no 合计 column": without_the_total_column,
    "parts swapped": parts_swapped,
    "side-by-side blocks": side_by_side_blocks,
    "合计 row last": total_row_last,
    "blank column after the name": blank_column_after_the_name,
    "other words for the labels": other_words_for_the_labels,
    "names wrapped onto a row of their own": names_wrapped_onto_a_row_of_their_own,
    "leaves only": leaves_only,
    "parent parts printed once": parents_printed_once,
    "parts printed whole": parts_printed_whole,
    "parts under one label": parts_under_one_label,
}
