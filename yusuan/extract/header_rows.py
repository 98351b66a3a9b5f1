"""Which rows of a table are header, data or column numbers, and each column's label path.

A table's header is the rows above its first data row; the label path of a column is the
header cells over it, top to bottom (a cell spanning several columns labels each of them).
"""

from __future__ import annotations

import re

from yusuan.normalise.amounts import is_amount

DATA_LABEL = re.compile(
    r"^(合\s*计|总\s*计|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．]|其中)"
)
# Labels of the columns that compare with another period, beside this year's amounts (比上年增减
# over 增减额 | 增减率, 上年执行数, 增长%): header words too, in ruled and borderless tables alike.
COMPARISON_WORDS = r"增减|增长|变动|执行|决算|[%％]"
# Words of column labels: a row made of these and no amount is a header row, even when its
# first label is 合计 (the second header row of 预算数 over 合计 | 人员经费 | 公用经费).
_COLUMN_WORD = re.compile(r"合计|小计|总计|经费|支出|预算|金额|收入|拨款|资金|科目|类|款|项|" + COMPARISON_WORDS)
# 一、一般公共预算拨款收入 | 一、基本支出 with blank amounts is a data row of a 收支总表.
_ORDINAL_LABEL = re.compile(r"^([一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．])")
_COLUMN_NUMBER_LABEL = re.compile(r"^(栏次|序号|行次|\*+|[A-Za-z]|甲|乙|丙)?$")


def is_column_number_row(cells: list[str | None]) -> bool:
    """The 栏次 row under a header (** | ** | 1 | 2 | 3 …): it numbers the columns, it is no data."""
    texts = [(c or "").strip() for c in cells]
    numbers = [t for t in texts if t.isdigit()]
    if len(numbers) < 2 or any(not (t.isdigit() or _COLUMN_NUMBER_LABEL.match(t)) for t in texts):
        return False
    values = [int(t) for t in numbers]
    return values == list(range(values[0], values[0] + len(values))) and values[0] <= 2


def is_header_row(cells: list[str | None]) -> bool:
    """A row of column labels only, whatever its first label."""
    # Publishers space out short labels (合 计): the words are matched without their spaces.
    texts = [norm(c) for c in cells if c and c.strip()]
    return (
        len(texts) >= 2
        and not any(is_amount(t) for t in texts)
        and all(_COLUMN_WORD.search(t) and not _ORDINAL_LABEL.match(t) for t in texts)
    )


def is_data_row(cells: list[str | None]) -> bool:
    texts = [c for c in cells if c]
    if not texts:
        return False
    if texts[0].startswith("栏次") or is_column_number_row(cells) or is_header_row(cells):
        return False
    return any(is_amount(t) for t in texts) or bool(DATA_LABEL.match(texts[0]))


def split_header(rows: list[list[str | None]]) -> int:
    """Number of header rows: the leading rows before the first data row, less the first line of
    a name wrapped around that row's amounts (rebuilt from words, the name's two lines print
    above and below the line of its code and amounts)."""
    for i, row in enumerate(rows):
        if is_data_row(row):
            return i - 1 if 0 < i < len(rows) - 1 and _wraps_around(rows[i - 1], row, rows[i + 1]) else i
    return len(rows)


def _wraps_around(above: list[str | None], row: list[str | None], below: list[str | None]) -> bool:
    """``above`` and ``below`` hold text, no column label, only in columns ``row`` leaves blank."""
    columns = [c for c, cell in enumerate(above) if norm(cell)]
    if not columns or any(_COLUMN_WORD.search(norm(above[c])) for c in columns):
        return False
    blank_in_row = all(c < len(row) and not norm(row[c]) for c in columns)
    tail = [c for c, cell in enumerate(below) if norm(cell)]
    ends_below = bool(tail) and set(tail) <= set(columns) and not any(is_amount(norm(below[c])) for c in tail)
    return blank_in_row and ends_below


def norm(text: str | None) -> str:
    """A cell as compared: no whitespace."""
    return re.sub(r"\s+", "", text or "")


def column_paths(header: list[list[str | None]], ncols: int) -> list[list[str]]:
    """The label path of every column, top header row first (e.g. ["基本支出", "小计"]).

    A blank header cell is part of the merged cell to its left only when both sit under the
    same (non-blank) parent: that tells a spanning 基本支出 (whose pieces are blank) from a blank
    cell that merely follows 资本性支出 under another parent, or sits under no label at all.
    """
    filled: list[list[str]] = []
    for r, row in enumerate(header):
        cells = [norm(row[c]) if c < len(row) else "" for c in range(ncols)]
        out = list(cells)
        for c in range(1, ncols):
            if out[c]:
                continue
            same_parent = r == 0 or (filled[r - 1][c] != "" and filled[r - 1][c] == filled[r - 1][c - 1])
            if same_parent and out[c - 1]:
                out[c] = out[c - 1]
        filled.append(out)
    paths: list[list[str]] = []
    for c in range(ncols):
        path: list[str] = []
        for r in range(len(filled)):
            label = filled[r][c]
            if label and (not path or path[-1] != label):
                path.append(label)
        paths.append(path)
    return paths
