"""Columns and cells from word positions: the geometry shared by the readers of tables whose
rules are missing (ruled_rows.rows_from_words: horizontal rules only; borderless.py: none).

Plain functions on pdfplumber word dicts (text, x0, x1, top, bottom), no page object.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from yusuan.models import Box
from yusuan.normalise.amounts import is_amount

Bands = list[tuple[float, float]]
Word = dict  # a pdfplumber word: text, x0, x1, top, bottom


@dataclass(frozen=True, slots=True)
class TextTable:
    """One table rebuilt from words: its printed lines split into header and body, and its
    vertical extent."""

    top: float
    bottom: float
    header: list[list[Word]]
    body: list[list[Word]]


# A caption line (单位：万元, 部门名称：…): it ends a table rebuilt from words, as a title does.
CAPTION = re.compile(r"[:：]|^单位")


def line_text(line: list[Word]) -> str:
    return "".join(w["text"] for w in line)


def line_height(line: list[Word]) -> float:
    return max(w["bottom"] for w in line) - min(w["top"] for w in line)


def is_page_number(line: list[Word]) -> bool:
    """A page number (``- 21 -``, ``21``) on a line of its own."""
    return line_text(line).strip("-— ").isdigit()


def merge_spans(spans: list[tuple[float, float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if merged and x0 <= merged[-1][1] + 1.0:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return merged


def column_bands(data_words: list[list[dict]], left: float, right: float) -> list[tuple[float, float]]:
    """Column bands from the words of number rows: columns are separated by the gaps no data word
    crosses. Where the gap falls depends on alignment: a text column (codes, names) is printed
    left-aligned, so its cell runs right up to the next column; an amount column is right-aligned,
    so its cell starts right after the previous column. Header labels, centred in their cells,
    then land in the right band."""
    words = [w for row in data_words for w in row]
    merged = merge_spans([(w["x0"], w["x1"]) for w in words])
    if not merged:
        return [(left, right)]

    def right_aligned(span: list[float]) -> bool:
        inside = [w for w in words if span[0] - 0.1 <= w["x0"] and w["x1"] <= span[1] + 0.1]
        lefts, rights = [w["x0"] for w in inside], [w["x1"] for w in inside]
        if len(inside) < 2:
            return bool(inside) and is_amount(inside[0]["text"]) and "." in inside[0]["text"]
        return max(rights) - min(rights) < max(lefts) - min(lefts)

    numeric = right_aligned

    cuts = []
    for a, b in itertools.pairwise(merged):
        if numeric(b) and not numeric(a):
            cuts.append((a[1] + b[0]) / 2)
        elif numeric(b):
            cuts.append(a[1] + 1.0)  # right-aligned column starts right after the previous one
        else:
            cuts.append(b[0] - 1.0)  # left-aligned column: the previous one runs up to it
    edges = [left, *cuts, right]
    return list(itertools.pairwise(edges))


def _leaf_labels(header_lines: list[list[dict]]) -> list[dict]:
    """Header words with no header word beneath them: the labels of single columns (a group
    label such as 基本支出 has its sub-labels below it; a wrapped label's last line is its leaf)."""
    words = [(i, w) for i, line in enumerate(header_lines) for w in line]
    return [w for i, w in words if not any(j > i and v["x0"] < w["x1"] and v["x1"] > w["x0"] for j, v in words)]


def split_bands(
    bands: list[tuple[float, float]], header_lines: list[list[dict]], data_rows: list[list[dict]]
) -> list[tuple[float, float]]:
    """Split a band that holds two column labels: a column blank in every data row leaves no
    gap of its own, but its leaf label still stands apart from its neighbour's."""
    data_spans = [(w["x0"], w["x1"]) for row in data_rows for w in row]
    leaves = _leaf_labels(header_lines)

    def crossed(cut: float) -> bool:
        return any(x0 < cut < x1 for x0, x1 in data_spans)

    out: list[tuple[float, float]] = []
    for a, b in bands:
        inside = sorted((w["x0"], w["x1"]) for w in leaves if a <= (w["x0"] + w["x1"]) / 2 <= b)
        cuts = []
        for g, h in itertools.pairwise(merge_spans(inside)):
            cut = (g[1] + h[0]) / 2
            if crossed(cut):
                # A long name left-aligned in a wide cell runs past the middle of the gap between
                # the labels (科目名称 | 人员经费 with no 人员经费 amount on the page); it still
                # ends before the next label, where its cell does.
                cut = max(x1 for x0, x1 in data_spans if x0 < cut < x1) + 0.5
            if cut < h[0] and not crossed(cut):
                cuts.append(cut)
        out += list(itertools.pairwise([a, *cuts, b]))
    return out


def leaf_label_bands(header_lines: list[list[dict]], left: float, right: float) -> list[tuple[float, float]]:
    """Columns around the header's leaf labels, cut in the middle of the gap between two labels.

    Labels are centred in their cells and numbers often sit at a cell's left edge: a cut halfway
    between two labels' centres falls inside the wider cell, onto a number printed at its left
    (小计 | 公务用车购置费: the purchase amount read as part of the subtotal's). The gap between the
    labels holds the cells' border."""
    labels = sorted(_leaf_labels(header_lines), key=lambda w: (w["x0"] + w["x1"]) / 2)
    if len(labels) < 2:
        return []
    cuts = [
        (a["x1"] + b["x0"]) / 2 if a["x1"] <= b["x0"] else (a["x0"] + a["x1"] + b["x0"] + b["x1"]) / 4
        for a, b in itertools.pairwise(labels)
    ]
    return list(itertools.pairwise([left, *cuts, right]))


def box_union(boxes: Iterable[Box | None]) -> Box | None:
    """The box around ``boxes`` (unknown ones skipped), to the hundredth of a point; None for none."""
    known = [b for b in boxes if b is not None]
    if not known:
        return None
    return (
        round(min(b[0] for b in known), 2),
        round(min(b[1] for b in known), 2),
        round(max(b[2] for b in known), 2),
        round(max(b[3] for b in known), 2),
    )


def words_box(words: list[dict]) -> Box | None:
    """The box around ``words`` (a printed row over one or several lines); None for no word."""
    return box_union((w["x0"], w["top"], w["x1"], w["bottom"]) for w in words)


def text_lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into printed lines by their vertical position, each line left to right."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= 2.0:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _stacked(upper: Word, lower: Word) -> bool:
    """``lower`` is the next line of ``upper``'s cell: centred or starting alike, no gap between the
    lines beyond a leading's (the next header row's label sits below its cell's padding)."""
    if not (_label_piece(upper) and _label_piece(lower)):
        return False
    centred = abs((upper["x0"] + upper["x1"]) - (lower["x0"] + lower["x1"])) / 2 <= 3.0
    gap = lower["top"] - upper["bottom"]
    return (centred or abs(upper["x0"] - lower["x0"]) <= 2.0) and -1.0 <= gap <= 0.5 * (upper["bottom"] - upper["top"])


def _no_digit(line: list[Word]) -> bool:
    return not any(ch.isdigit() for w in line for ch in w["text"])


def _label_piece(word: Word) -> bool:
    """Short, no punctuation: a column label or a line of one (never a title, a caption or prose)."""
    return len(word["text"]) <= 8 and not any(ch in "：:，,。；、（）()" for ch in word["text"])


def joined_wrapped_labels(lines: list[list[Word]]) -> list[list[Word]]:
    """Column labels broken over lines in their cells (科目 / 编码, 基本 / 支出, 人员 / 经费) made
    whole, each on the line of its first part, and the labels of the same header row (合计 on
    one line, centred in its cell between those lines; 公用经费 broken over four) put on that line.

    Only lines without a digit (a data row has its code or amounts): a word goes on with the
    word right under it in the same cell, a leading apart; a group label over its sub-labels
    (基本支出 over 人员经费) is a row apart, its cell's padding between them. Labels of one row
    are centred alike."""
    rows = [[dict(w) for w in line] for line in lines]
    joined: set[int] = set()
    for i, line in enumerate(rows):
        if not _no_digit(line):
            continue
        for u in line:
            while below := next(
                (
                    (j, v)
                    for j in range(i + 1, len(rows))
                    # Lines of other cells may lie between two lines of this one.
                    if rows[j] and rows[j][0]["top"] <= 2 * u["bottom"] - u["top"] and _no_digit(rows[j])
                    for v in rows[j]
                    if _stacked(u, v)
                ),
                None,
            ):
                j, v = below
                rows[j].remove(v)
                u.update(text=u["text"] + v["text"], x0=min(u["x0"], v["x0"]), x1=max(u["x1"], v["x1"]))
                u["bottom"] = v["bottom"]
                joined.add(id(u))
    for i, line in enumerate(rows):
        centres = [(w["top"] + w["bottom"]) / 2 for w in line if id(w) in joined]
        if not centres:
            continue
        for later in rows[i + 1 :]:
            for m in [m for m in later if _no_digit([m])]:
                centred_alike = any(abs((m["top"] + m["bottom"]) / 2 - c) <= 2.0 for c in centres)
                if centred_alike and all(m["x1"] <= w["x0"] or m["x0"] >= w["x1"] for w in line):
                    later.remove(m)
                    line.append(m)
        line.sort(key=lambda w: w["x0"])
    return [line for line in rows if line]


def band_of(x: float, columns: Bands, default: int) -> int:
    """The column whose band holds ``x``; ``default`` when none does."""
    return next((i for i, (a, b) in enumerate(columns) if a <= x <= b), default)


def cells_by_band(rows: list[list[dict]], columns: Bands) -> list[list[str | None]]:
    """Each row's words into the column whose band holds the word's centre."""
    grid: list[list[str | None]] = []
    for ws in rows:
        cells = ["" for _ in columns]
        for w in sorted(ws, key=lambda w: (w["top"], w["x0"])):
            index = band_of((w["x0"] + w["x1"]) / 2, columns, len(columns) - 1)
            cells[index] = (cells[index] + w["text"]) if cells[index] else w["text"]
        grid.append(list(cells))
    return grid


def fill_up(grid: list[list[str | None]], header_rows: int) -> None:
    """A label printed on a lower header line with nothing above it (科目名称 centred between
    the lines of a three-line header) is a cell spanning the lines above: it fills them, so that
    the top line's blank does not read as part of its left neighbour's merged cell."""
    for c in range(len(grid[0]) if grid else 0):
        for r in range(header_rows - 2, -1, -1):
            if not grid[r][c] and grid[r + 1][c]:
                grid[r][c] = grid[r + 1][c]


def _label_centres(rows: list[list[dict]], columns: Bands, header_rows: int) -> list[dict[int, float]]:
    """For each header row, the horizontal centre of the words each column holds."""
    centres: list[dict[int, float]] = []
    for ws in rows[:header_rows]:
        spans: dict[int, list[float]] = {}
        for w in ws:
            index = band_of((w["x0"] + w["x1"]) / 2, columns, len(columns) - 1)
            span = spans.setdefault(index, [w["x0"], w["x1"]])
            span[0], span[1] = min(span[0], w["x0"]), max(span[1], w["x1"])
        centres.append({c: (a + b) / 2 for c, (a, b) in spans.items()})
    return centres


def _centred_with(columns: Bands, leaf_centres: dict[int, float], first: int, column: int, centre: float) -> bool:
    """A label centred at ``centre`` over columns ``first``… is nearer its columns' middle with
    ``column`` than without it. A column's middle is its own label's (the bands run unevenly over
    the gaps between columns), else its band's."""

    def middle(c: int) -> float:
        return leaf_centres.get(c, (columns[c][0] + columns[c][1]) / 2)

    without = abs((middle(first) + middle(column - 1)) / 2 - centre)
    return abs((middle(first) + middle(column)) / 2 - centre) < without


def spread_group_labels(
    grid: list[list[str | None]],
    header_rows: int,
    columns: Bands | None = None,
    lines: list[list[dict]] | None = None,
) -> None:
    """Give a centred group label (基本支出 over 小计/人员经费/公用经费) to every column it spans.

    Without vertical rules the label lands in one column only. It spans its empty neighbours
    whose sub-labels start on the same lower header row as its own. A column between two such
    labels goes, where the ``columns``' bands and the printed ``lines`` the grid was cut from are
    known, to the left
    label while taking it keeps that label centred over its columns (2026年预算数 over 合计 |
    基本支出 | 项目支出 beside 比上年增减 over two columns: the column nearer by count may be the
    right label's); otherwise to the nearer label, on a tie the one on its right.
    """
    width = len(grid[0]) if grid else 0
    centres = _label_centres(lines, columns, header_rows) if columns is not None and lines is not None else None

    def first_label_below(r: int, c: int) -> int | None:
        return next((k for k in range(r + 1, header_rows) if grid[k][c]), None)

    for r in range(header_rows - 1):
        labels = [c for c in range(width) if grid[r][c]]
        owner: dict[int, int] = {}
        for j in range(width):
            if grid[r][j]:
                continue
            below = first_label_below(r, j)
            candidates = sorted(
                (abs(c - j), -c) for c in labels if below is not None and first_label_below(r, c) == below
            )
            reachable = [
                -neg for dist, neg in candidates if all(not grid[r][k] for k in range(min(j, -neg) + 1, max(j, -neg)))
            ]
            if not reachable:
                continue
            left = [c for c in reachable if c < j]
            right = [c for c in reachable if c > j]
            if columns is not None and centres is not None and left and right and left[0] in centres[r]:
                label = left[0]
                taken = [label, *(k for k, o in owner.items() if o == label)]
                keeps_centred = j - 1 in taken and _centred_with(
                    columns, centres[below] if below is not None else {}, min(taken), j, centres[r][label]
                )
                owner[j] = label if keeps_centred else right[0]
                continue
            owner[j] = reachable[0]
        for j, label in owner.items():
            grid[r][j] = grid[r][label] or ""
