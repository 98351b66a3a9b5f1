"""绩效目标表 indicator lists printed without any ruling line, rebuilt from word positions.

An indicator list prints no amount, so the borderless reader's number rows never find it. Its
header names the indicator columns (一级指标 / 二级指标 / 三级指标 / 指标值, as ``performance.py``
reads them); under it, one line per indicator. Only a list whose every line fills 三级指标 and
指标值 is rebuilt: an indicator wrapped over lines would come out in fragments, each stored as an
indicator of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from yusuan.extract.classify import looks_like_title
from yusuan.extract.word_grid import (
    CAPTION,
    Bands,
    TextTable,
    Word,
    cells_by_band,
    is_page_number,
    leaf_label_bands,
    line_height,
    line_text,
    text_lines,
)

_INDICATOR_LABELS = ("一级指标", "二级指标", "三级指标", "指标值")


@dataclass(frozen=True, slots=True)
class IndicatorColumns:
    """An indicator list's columns, and which of them hold 三级指标 and 指标值."""

    bands: Bands
    indicator: int
    value: int
    # The header line, when the previous page printed it alone at its foot: it leads the rows.
    header: tuple[Word, ...] = ()

    def grid(self, lines: list[list[Word]]) -> list[list[str | None]]:
        return cells_by_band(lines, self.bands)

    def fills(self, cells: list[str | None]) -> bool:
        return bool(cells[self.indicator] and cells[self.value])


def find_indicator_tables(
    words: list[Word], taken: list[TextTable], continuing: IndicatorColumns | None = None
) -> list[tuple[TextTable, IndicatorColumns, int]]:
    """绩效目标表 indicator lists printed without rules: no amounts, so ``find_text_tables`` does not
    see them. A header line of indicator labels (三级指标 and 指标值 among them) and, under it, one
    line per indicator with text under both; ``continuing``: the previous page ended in such a
    list, or in its header alone, whose lines at this page's top run on (led by that header). A
    list whose lines do not all fill both columns (a long indicator wrapped over lines) is not
    rebuilt: fragments of wrapped text would be stored as indicators of their own."""
    lines = [line for line in text_lines(words) if not any(t.top <= line[0]["top"] <= t.bottom for t in taken)]
    lines = [line for line in lines if not is_page_number(line)]
    found: list[tuple[TextTable, IndicatorColumns, int]] = []
    if continuing is not None:
        body = _indicator_rows(lines, None)
        if body and all(continuing.fills(cells) for cells in continuing.grid(body)):
            header = [list(continuing.header)] if continuing.header else []
            top, bottom = body[0][0]["top"], max(w["bottom"] for w in body[-1])
            found.append((TextTable(top, bottom, header, body), replace(continuing, header=()), len(header)))
    for i, line in enumerate(lines):
        if not _indicator_header(line):
            continue
        body = _indicator_rows(lines[i + 1 :], line)
        if not body:
            continue
        columns = _indicator_columns(line, body)
        if all(columns.fills(cells) for cells in columns.grid(body)):
            found.append((TextTable(line[0]["top"], max(w["bottom"] for w in body[-1]), [line], body), columns, 0))
    return found


def _indicator_columns(header: list[Word], body: list[list[Word]]) -> IndicatorColumns:
    everything = [header, *body]
    left = min(w["x0"] for row in everything for w in row) - 1
    right = max(w["x1"] for row in everything for w in row) + 1
    labels = [w["text"] for w in header]
    return IndicatorColumns(leaf_label_bands([header], left, right), labels.index("三级指标"), labels.index("指标值"))


def indicator_header_at_foot(words: list[Word]) -> IndicatorColumns | None:
    """An indicator list's header printed alone at a page's foot (its rows start the next page):
    its columns, spanning the page, and the header line to lead the rows."""
    lines = [line for line in text_lines(words) if not is_page_number(line)]
    if not lines or not _indicator_header(lines[-1]):
        return None
    header = lines[-1]
    labels = [w["text"] for w in header]
    bands = leaf_label_bands([header], 0.0, 10_000.0)
    return IndicatorColumns(bands, labels.index("三级指标"), labels.index("指标值"), tuple(header))


def _indicator_header(line: list[Word]) -> bool:
    labels = {w["text"] for w in line}
    return {"三级指标", "指标值"} <= labels and labels <= set(_INDICATOR_LABELS)


def _indicator_rows(lines: list[list[Word]], header: list[Word] | None) -> list[list[Word]]:
    """The lines under ``header`` (or from the page's top) up to a title, a caption, a gap or
    the header repeated."""
    body: list[list[Word]] = []
    for row in lines:
        above = body[-1] if body else header
        gap = row[0]["top"] - above[0]["bottom"] if above is not None else 0.0
        if looks_like_title(line_text(row)) or CAPTION.search(line_text(row)) or gap > 2.5 * line_height(row):
            break
        if _indicator_header(row):
            break
        body.append(row)
    return body
