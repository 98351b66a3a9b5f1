"""Tables printed without any ruling line, rebuilt from the positions of their words.

Some publishers lay tables out with tab stops or invisible cell borders: pdfplumber finds no
table on the page, only text. A table still shows itself by its rows: lines that carry amounts
(``15782.14``), stacked closely under a few lines of column labels (合计 / 基本支出 / 人员经费 …).
Columns are the gaps no word of the number rows crosses (the same reading as a grid whose
vertical rules are missing, ``ruled_rows.rows_from_words``); rows are the printed lines.

Running text is never taken for a table: a block ends at a sentence (。，), a title, a caption
(单位：万元) or a wide vertical gap, and a block needs a header and two number rows.

A 绩效目标表's indicator list prints no amount: it is found by its header of indicator labels
(三级指标, 指标值), one line per indicator under it (``indicator_lists.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from yusuan.extract.classify import looks_like_title
from yusuan.extract.header_rows import COMPARISON_WORDS
from yusuan.extract.indicator_lists import IndicatorColumns, find_indicator_tables, indicator_header_at_foot
from yusuan.extract.word_grid import (
    CAPTION,
    Bands,
    TextTable,
    Word,
    band_of,
    cells_by_band,
    column_bands,
    fill_up,
    is_page_number,
    joined_wrapped_labels,
    leaf_label_bands,
    line_height,
    line_text,
    split_bands,
    spread_group_labels,
    text_lines,
    words_box,
)
from yusuan.models import Box
from yusuan.normalise.amounts import is_amount, is_blank_amount
from yusuan.normalise.codes import digits_only, is_economic_code, is_function_code

_HEADER_WORDS = re.compile(
    r"合计|小计|总计|科目|编码|代码|名称|项目|金额|预算|支出|收入|经费|费|类|款|项|单位|级次|序号|" + COMPARISON_WORDS
)
# A comma ends a clause, except between digits: ４，８５７．０ is an amount typed full-width.
_SENTENCE = re.compile(r"[。；]|(?<![0-9０-９])，|，(?![0-9０-９])")
_MAX_HEADER_LINES = 4
_CODE_PART = re.compile(r"\d{2}")
_ROW_NUMBER = re.compile(r"\d{1,3}")


def _number(word: Word) -> bool:
    """An amount as tables print them (15782.14, 1,234, typed full-width ４，８５７．０): not a bare
    code such as 201 or 01."""
    text = word["text"]
    return is_amount(text) and any(mark in text for mark in ".,．，")


def _is_data(line: list[Word]) -> bool:
    """A row with amounts: one printed as amounts are (decimals, separators), or whole numbers
    right of a label or a code (元 tables print 109398135), never a row of bare codes."""
    if _stops_a_table(line):
        return False
    if any(_number(w) for w in line):
        return True
    # Whole numbers only: two of them right of a label (a contents line or a heading prints one,
    # its page or its year). A code leading the row labels it as a name would, and a code before
    # one number is a line of a 元 table (201 一般公共服务支出 23018695; 20103 23018695 with its
    # long name wrapped above and below).
    coded = _leading_code(line)
    labelled, whole = False, 0
    for n, w in enumerate(line):
        if labelled and n >= coded and is_amount(w["text"]):
            whole += 1
        labelled = labelled or n < coded or not is_amount(w["text"])
    if whole != 1 or not coded:
        return whole >= 2
    # The code's one number, with nothing but blanks (dashes for nothing) right of it.
    after = next(n for n, w in enumerate(line) if n >= coded and is_amount(w["text"]))
    return all(is_blank_amount(w["text"]) for w in line[after + 1 :])


def _leading_code(line: list[Word]) -> int:
    """How many words lead ``line`` as its code: a code or a 款/项 part (03) where the table
    prints its code apart (类 | 款 | 项), the parts after it, and a 序号 before it."""
    texts = [w["text"] for w in line]

    def code_like(n: int) -> bool:
        return n < len(texts) and (_is_code(texts[n]) or bool(_CODE_PART.fullmatch(texts[n])))

    n = 1 if _ROW_NUMBER.fullmatch(texts[0]) and not code_like(0) and code_like(1) else 0
    if not code_like(n):
        return 0
    n += 1
    while n < len(texts) and _CODE_PART.fullmatch(texts[n]):
        n += 1
    return n


def _amounts_only(line: list[Word]) -> bool:
    """Whole numbers alone on a line (23018695 23018695): inside a table, the amounts of a row
    whose name wraps onto the lines above and below them; alone, they could be anything."""
    amounts = [w for w in line if is_amount(w["text"])]
    return len(amounts) >= 2 and all(is_amount(w["text"]) or is_blank_amount(w["text"]) for w in line)


def _ends_in_an_amount(line: list[Word]) -> bool:
    """Labels and one whole number (四、事业收入 四、社会保障和就业支出 22202873): inside a table,
    a row of a 元 table printing one amount; alone, a contents line or a heading."""
    return len(line) >= 2 and is_amount(line[-1]["text"]) and not is_amount(line[0]["text"])


def _is_code(text: str) -> bool:
    code = digits_only(text)
    return is_function_code(code) or is_economic_code(code)


def _stops_a_table(line: list[Word]) -> bool:
    text = line_text(line)
    return bool(_SENTENCE.search(text)) or looks_like_title(text) or (bool(CAPTION.search(text)) and not _labels(line))


def _labels(line: list[Word]) -> bool:
    """Three or more column labels and nothing else: ``单位代码 单位名称 总计 …`` opens with 单位
    as a caption (单位：万元) does, but is a header."""
    return (
        len(line) >= 3
        and ":" not in line_text(line)
        and "：" not in line_text(line)
        and all(_HEADER_WORDS.search(w["text"]) for w in line)
    )


# 一、收入预算情况说明 / 第二部分 …: headings and contents entries, never column labels.
_ORDINAL = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+部分)"
)


def _is_header(line: list[Word]) -> bool:
    return (
        not _stops_a_table(line)
        and not _ORDINAL.match(line_text(line))
        and not _is_data(line)
        and all(_HEADER_WORDS.search(w["text"]) for w in line)
    )


def _wraps_around(above: list[Word], row: list[Word], below: list[Word]) -> bool:
    """``above`` and ``below`` are one cell's two lines (a name wrapped around ``row``'s amounts):
    one word each, starting at the same place, where ``row`` prints nothing."""
    if len(above) != 1 or len(below) != 1 or abs(above[0]["x0"] - below[0]["x0"]) > 2:
        return False
    left, right = above[0]["x0"], max(above[0]["x1"], below[0]["x1"])
    return not any(w["x0"] < right and w["x1"] > left for w in row)


def find_text_tables(words: list[Word], continuing: bool = False) -> list[TextTable]:
    """Every borderless table on a page, top to bottom. ``continuing``: the previous page ended
    with such a table (or its header), so number rows at the top of this one may run it on."""
    lines = joined_wrapped_labels(text_lines(words))
    tables: list[TextTable] = []
    i = 0
    while i < len(lines):
        # A row of bare whole numbers right under a header (a 三公 table in 元) is data too, its
        # zeros printed as dashes or not; at least two numbers ("- 21 -" is a page number).
        under_header = i > 0 and _is_header(lines[i - 1]) and len(lines[i]) >= 2
        numbers = [w["text"] for w in lines[i] if not is_blank_amount(w["text"])]
        # At the top of a page that runs a table on, a line of amounts alone is that table's (a
        # row whose code and name wrap around them).
        top_amounts = continuing and not tables and i <= 2 and _amounts_only(lines[i])
        if not (
            _is_data(lines[i])
            or top_amounts
            or (under_header and len(numbers) >= 2 and all(is_amount(t) for t in numbers))
        ):
            i += 1
            continue
        # Header: the label lines right above the first number row, over at most two lines of a
        # wrapped name (a unit name printed above its row's amounts).
        first = i
        while first > 0 and i - first < 2 and not _stops_a_table(lines[first - 1]) and not _is_header(lines[first - 1]):
            first -= 1
        if first > 0 and not _is_header(lines[first - 1]):
            first = i
        if first == i and 1 < i < len(lines) - 1 and _wraps_around(lines[i - 1], lines[i], lines[i + 1]):
            # A name wrapped around the first row's amounts, its first line reading like labels
            # (机关事业单位… holds 单位): the row's, not the header's.
            first = i - 1
        start = first
        while start > 0 and first - start < _MAX_HEADER_LINES and _is_header(lines[start - 1]):
            gap = lines[start][0]["top"] - lines[start - 1][0]["bottom"]
            if gap > 2.5 * line_height(lines[start - 1]):
                break
            start -= 1
        # Body: number rows and the label-only rows between them (a 收支总表's blank lines).
        end = i + 1
        last_data = i
        while end < len(lines) and not _stops_a_table(lines[end]):
            gap = lines[end][0]["top"] - lines[end - 1][0]["bottom"]
            if gap > 2.5 * max(line_height(lines[end - 1]), 1.0):
                break
            if _is_data(lines[end]) or _amounts_only(lines[end]) or _ends_in_an_amount(lines[end]):
                last_data = end
            elif end - last_data > 2:
                break
            end += 1
        header = lines[start:first]
        # Number rows with no header at all only at the very top of a page, where a table runs
        # on (after at most a wrapped name's first line or two).
        runs_on = continuing and not header and i <= 2 and not any(_stops_a_table(line) for line in lines[:i])
        body = lines[0 if runs_on else first : last_data + 1]
        # One number row is a table only under a header of several labels (a 三公 table).
        rows = max(1, sum(1 for line in body if _is_data(line)))
        if runs_on or (header and (rows >= 2 or sum(len(line) for line in header) >= 3)):
            top = min(w["top"] for line in (header or body) for w in line)
            bottom = max(w["bottom"] for w in body[-1])
            tables.append(TextTable(top, bottom, header, body))
        i = last_data + 1
    return tables


def _opens_page(words: list[Word], top: float) -> bool:
    """Nothing but a page number is printed above ``top``."""
    return not any(line[0]["bottom"] <= top for line in text_lines(words) if not is_page_number(line))


def trailing_header(words: list[Word]) -> list[list[Word]]:
    """Label lines at the foot of a page, under a title or caption and over no number row: a
    header whose table starts on the next page."""
    lines = [line for line in joined_wrapped_labels(text_lines(words)) if not is_page_number(line)]
    out: list[list[Word]] = []
    for line in reversed(lines):
        if not _is_header(line) or len(out) == _MAX_HEADER_LINES:
            break
        out.insert(0, line)
    before = len(lines) - len(out) - 1
    return out if out and before >= 0 and _stops_a_table(lines[before]) else []


def _within(lines: list[list[Word]], columns: Bands) -> bool:
    """Every word of ``lines`` inside the span of ``columns``, no two amounts of a line in one.

    The span's edges were the previous page's words': a wider amount (15666149 under 7-digit
    ones) may pass them by half a character."""
    for line in lines:
        slack = max(2.0, line_height(line) / 2)
        if any(w["x0"] < columns[0][0] - slack or w["x1"] > columns[-1][1] + slack for w in line):
            return False
        centres = [(w["x0"] + w["x1"]) / 2 for w in line if _number(w)]
        bands = [band_of(c, columns, -1) for c in centres]
        if len(set(bands)) < len(bands):
            return False
    return True


@dataclass(frozen=True, slots=True)
class Continuing:
    """The columns of a page's last borderless table, which rows at the next page's top run on:
    a table of amounts' (``columns``) or an indicator list's (``indicators``)."""

    columns: Bands | None
    indicators: IndicatorColumns | None


def borderless_grids(
    words: list[Word], carried: list[list[Word]], continuing: Continuing | None
) -> tuple[list[tuple[TextTable, list[list[str | None]], list[Box | None]]], list[list[Word]], Continuing | None]:
    """The page's borderless tables with their grids (cells by column), the header lines left at
    its foot for the next page, and the columns of its last table. ``carried``: the previous
    page's such lines, the header of a table whose rows start this page; ``continuing``: the
    columns of the previous page's last borderless table, which rows at this page's top run on."""
    out = []
    columns: Bands | None = None
    running = continuing.columns if continuing is not None else None
    for n, table in enumerate(find_text_tables(words, running is not None or bool(carried))):
        carried_rows = 0
        if n == 0 and carried and (not table.header or _opens_page(words, table.top)):
            # The page opens with this table: header lines left at the previous page's foot are
            # its header, or the top of it (人员经费 | 公用经费 over 科目编码 科目名称 金额 …).
            table, carried_rows = replace(table, header=[*carried, *table.header]), len(carried)
        lines = [*table.header, *table.body]
        left = min(w["x0"] for line in lines for w in line) - 1
        right = max(w["x1"] for line in lines for w in line) + 1
        data = [line for line in table.body if any(is_amount(w["text"]) for w in line)]
        if n == 0 and not table.header and running is not None and _within(lines, running):
            # Rows running on from the previous page, printed with no header: its columns, not
            # the ones this page's rows alone would give (a page of 公用经费 rows prints no amount
            # under 人员经费, and its amounts would shift into that column).
            columns = running
        elif len(data) <= 2:
            # One or two number rows say little about columns; the header's lowest labels say more.
            columns = leaf_label_bands(table.header, left, right) or column_bands(data, left, right)
        else:
            columns = split_bands(column_bands(data, left, right), table.header, data)
        grid = cells_by_band(lines, columns)
        spread_group_labels(grid, len(table.header), columns, lines)
        fill_up(grid, len(table.header))
        # Each row is a printed line; a header carried from the previous page has no box here.
        boxes = [None if i < carried_rows else words_box(line) for i, line in enumerate(lines)]
        out.append((table, grid, boxes))
    indicators = find_indicator_tables(words, [t for t, _, _ in out], continuing.indicators if continuing else None)
    for table, indicator_columns, carried_rows in indicators:
        lines = [*table.header, *table.body]
        # A header carried from the previous page's foot has no box here.
        boxes = [None if i < carried_rows else words_box(line) for i, line in enumerate(lines)]
        out.append((table, indicator_columns.grid(lines), boxes))
    out.sort(key=lambda found: found[0].top)
    # The page's last table may run on over the next page: its columns go with it; so does an
    # indicator header printed alone at the page's foot.
    last_indicators = indicators[-1] if indicators else None
    if last_indicators is not None and out and last_indicators[0] is out[-1][0]:
        return out, trailing_header(words), Continuing(None, last_indicators[1])
    if (at_foot := indicator_header_at_foot(words)) is not None:
        return out, trailing_header(words), Continuing(None, at_foot)
    return out, trailing_header(words), Continuing(columns, None) if columns is not None else None
