"""A table running on over pages drawn with grids of their own.

Word-made tables give every page its own cell boundaries: a next page can print one column fewer
(a blank column of the first page left out), keep each code in its name's cell where the first
page split it off (or the other way round), repeat the header or not. Such a page is moved into
the table's columns by what its columns hold (codes, names, amounts), never by position alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from yusuan.extract.header_rows import DATA_LABEL, is_data_row, norm, split_header
from yusuan.normalise.amounts import is_amount, is_blank_amount
from yusuan.normalise.codes import is_economic_code, is_function_code, split_code_and_name

if TYPE_CHECKING:
    from yusuan.extract.tables import RawTable, Segment


def _is_code(text: str) -> bool:
    return is_function_code(text) or is_economic_code(text)


_TOTAL = re.compile(r"^(合计|总计)$")


def _plainly_amount(text: str) -> bool:
    """An amount no code could be: a decimal point or separator, or more than seven digits. (A
    column of 元 amounts such as 3759554 reads as codes by their digits alone.)"""
    compact = text.replace(" ", "")
    return is_amount(compact) and not _is_code(compact) and (len(compact) > 7 or not compact.isdigit())


def _mostly_coded(rows: list[list[str | None]], column: int) -> bool:
    """Whether at least half of ``rows`` print a code in front of the name in ``column``."""
    return sum(1 for row in rows if _is_code(split_code_and_name(row[column] or "")[0])) * 2 >= len(rows)


def _column_roles(rows: list[list[str | None]], ncols: int) -> list[str]:
    """ "code", "amount", "text" or "empty" for every column, from what its cells hold."""
    roles = []
    # A 合计 row prints no code: its 元 amounts (2261602) say nothing for a code column.
    totals = [any(_TOTAL.match(norm(cell)) for cell in row if cell) for row in rows]
    for c in range(ncols):
        values = [(row[c] or "").strip() for row in rows if c < len(row) and (row[c] or "").strip()]
        coded = [
            (row[c] or "").strip()
            for row, total in zip(rows, totals, strict=True)
            if not total and c < len(row) and (row[c] or "").strip()
        ]
        amounts = sum(1 for v in values if is_amount(v) or is_blank_amount(v))
        if not values:
            roles.append("empty")
        elif (
            coded
            and sum(1 for v in coded if _is_code(v)) * 2 >= len(coded)
            and not any(_plainly_amount(v) for v in values)
        ):
            roles.append("code")
        elif amounts and amounts >= 0.8 * len(values):
            roles.append("amount")
        else:
            roles.append("text")
    # Codes print left of their names and of the amounts: a column right of the last names or of
    # an amount column that reads as codes holds 元 amounts whose digits look like codes (2725368).
    last_text = max((c for c, role in enumerate(roles) if role == "text"), default=ncols)
    first_amount = next((c for c, role in enumerate(roles) if role == "amount"), ncols)
    past = min(last_text, first_amount)
    return ["amount" if role == "code" and c > past else role for c, role in enumerate(roles)]


def _compatible(target: str, source: str) -> bool:
    return source == "empty" or target == source or {target, source} <= {"code", "text"}


def _in_order(target: list[str], source: list[str]) -> dict[int, int] | None:
    """Source columns onto the target's non-empty ones, left to right, when there are as many and
    each pair agrees in role: a page drawn without the blank column its first page carries."""
    filled = [c for c, role in enumerate(target) if role != "empty"]
    if len(filled) != len(source) or len(filled) == len(target):
        return None
    if not all(_compatible(target[t], role) for t, role in zip(filled, source, strict=True)):
        return None
    return dict(enumerate(filled))


def _moved(row: list[str | None], mapping: dict[int, int], ncols: int) -> list[str | None]:
    cells: list[str | None] = [None] * ncols
    for c, value in enumerate(row):
        if c in mapping:
            cells[mapping[c]] = value
    return cells


def spread_over(segments: list[Segment], rows: list[list[str | None]]) -> list[list[str | None]]:
    """The header rows of ``segments`` (a page foot that printed only a table's top header row)
    that label groups of the columns of ``rows`` and that ``rows`` do not repeat: ``人员经费 |
    公用经费`` over six columns is each over three. Only rows whose labels divide the columns
    evenly: where they would fall otherwise is not known."""
    ncols = len(rows[0])
    own = {norm(c) for row in rows[: split_header(rows)] for c in row if c}
    out: list[list[str | None]] = []
    for row in (r for seg in segments for r in seg.rows):
        labels = [c for c in row if c and norm(c)]
        if not (2 <= len(labels) < ncols and ncols % len(labels) == 0) or any(norm(c) in own for c in labels):
            continue
        width = ncols // len(labels)
        out.append([labels[c // width] if c % width == 0 else None for c in range(ncols)])
    return out


def without_repeated_header(parent: RawTable, rows: list[list[str | None]]) -> list[list[str | None]]:
    """``rows`` less the header rows at their top that repeat labels of ``parent``'s header."""
    first = parent.segments[0].rows
    labels = {norm(c) for row in first[: split_header(first)] for c in row if c}
    start = 0
    while (
        start < len(rows)
        and not is_data_row(rows[start])
        and any(rows[start])
        and all(norm(c) in labels for c in rows[start] if c)
    ):
        start += 1
    return rows[start:]


def remap_continuation(parent: RawTable, rows: list[list[str | None]]) -> list[list[str | None]] | None:
    """``rows`` of a page that continues ``parent`` on a grid with other columns (Word tables
    whose every page has its own cell boundaries), moved into the parent's columns by role: the
    code column onto the parent's code column, the name onto its name column, the amount columns
    onto its amount columns in order. None unless every non-empty column finds its place."""
    ncols = parent.ncols
    body = [r for seg in parent.segments for r in seg.rows if is_data_row(r)]
    target, source = _column_roles(body, ncols), _column_roles(rows, len(rows[0]))

    in_order = _in_order(target, source)
    if in_order is not None:
        return [_moved(row, in_order, ncols) for row in rows]

    def of(roles: list[str], role: str) -> list[int]:
        return [c for c, r in enumerate(roles) if r == role]

    def fullest(cols: list[int], table: list[list[str | None]]) -> int:
        return max(cols, key=lambda c: sum(1 for row in table if c < len(row) and row[c]))

    t_code, s_code, t_amounts, s_amounts = (
        of(target, "code"),
        of(source, "code"),
        of(target, "amount"),
        of(source, "amount"),
    )
    t_text, s_text = of(target, "text"), of(source, "text")
    if len(s_text) == 1 and len(s_amounts) != len(t_amounts):
        # A page of a row or two leaves a column blank (公用经费 only): its columns, found from
        # the header's labels, still stand right of the names one for each amount column.
        slots = [c for c in range(s_text[0] + 1, len(source)) if source[c] in ("amount", "empty")]
        if len(slots) == len(t_amounts) and len(slots) == len(source) - s_text[0] - 1:
            s_amounts = slots
    if not s_code and len(t_code) == 1 and len(s_text) == 1 and t_text and len(s_amounts) == len(t_amounts):
        # The page prints each code in front of its name in one cell (its columns found from
        # text positions): that cell goes to the name column, where the code is read from it.
        if not _mostly_coded(rows, s_text[0]):
            return None
        mapping = {s_text[0]: fullest(t_text, body), **dict(zip(s_amounts, t_amounts, strict=True))}
        return [_moved(row, mapping, ncols) for row in rows]
    if not t_code and len(s_code) == 1 and len(s_text) == 1 and t_text and len(s_amounts) == len(t_amounts):
        # The other way round: the table's first pages keep each code in its name's cell, this
        # page split the code off. The two go back into one cell, under the names.
        names = fullest(t_text, body)
        # (A first page that printed only the 合计 row says nothing against it.)
        if not _mostly_coded([row for row in body if not DATA_LABEL.match(norm(row[names]))], names):
            return None
        joined = [list(row) for row in rows]
        for row in joined:
            code, name = (row[s_code[0]] or "").strip(), row[s_text[0]] or ""
            row[s_text[0]] = f"{code} {name}" if code else name
        mapping = {s_text[0]: names, **dict(zip(s_amounts, t_amounts, strict=True))}
        return [_moved(row, mapping, ncols) for row in joined]
    if len(t_code) != 1 or len(s_code) != 1 or not s_amounts or not t_amounts or len(s_text) != 1 or not t_text:
        return None
    # Amount columns pair up from the left. A subtotal (类) amount printed one column further
    # right may have no row on the parent's pages: the blank columns after its last amount take it.
    spare = t_amounts[-1] + 1
    while len(t_amounts) < len(s_amounts) and spare < ncols and target[spare] == "empty":
        t_amounts, spare = [*t_amounts, spare], spare + 1
    if len(s_amounts) > len(t_amounts):
        return None
    mapping = {s_code[0]: t_code[0], s_text[0]: fullest(t_text, body), **dict(zip(s_amounts, t_amounts, strict=False))}
    return [_moved(row, mapping, ncols) for row in rows]
