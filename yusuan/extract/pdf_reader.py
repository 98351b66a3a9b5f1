"""Read a PDF into an ordered stream of text lines and ruled tables per page (pdfplumber).

Everything downstream (titles, captions, stitching) works on this stream, so the pdfplumber
specifics stay in this module and in ``lean_page`` (its pages, with cheaper character dicts and
cell texts that are pdfplumber's own).
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from yusuan.errors import error_chain
from yusuan.extract.borderless import borderless_grids
from yusuan.extract.lean_page import lean_pages, table_text
from yusuan.extract.word_grid import (
    Bands,
    box_union,
    cells_by_band,
    column_bands,
    fill_up,
    leaf_label_bands,
    split_bands,
    spread_group_labels,
    text_lines,
    words_box,
)
from yusuan.models import Box

# Characters that come out of fonts without a ToUnicode map.
_CID_MARK = "(cid:"


class UnreadablePdf(Exception):
    """The bytes are not a PDF pdfplumber can open."""


@dataclass(frozen=True, slots=True)
class TextLine:
    page_no: int
    top: float
    text: str


@dataclass(frozen=True, slots=True)
class TableBlock:
    page_no: int
    top: float
    bottom: float
    rows: list[list[str | None]]
    # Where each row is printed on the page, in step with ``rows`` (None where unknown: a header
    # carried over from the previous page). Empty when nothing is known.
    boxes: list[Box | None] = field(default_factory=list)


Block = TextLine | TableBlock


@dataclass(slots=True)
class PdfContent:
    page_count: int
    char_count: int
    cid_char_count: int
    blocks: list[Block] = field(default_factory=list)
    first_page_text: str = ""
    pages_without_text: int = 0

    @property
    def text_lines(self) -> list[TextLine]:
        return [b for b in self.blocks if isinstance(b, TextLine)]


def _inside(top: float, bottom: float, boxes: list[tuple[float, float, float, float]]) -> bool:
    middle = (top + bottom) / 2
    return any(b[1] - 1 <= middle <= b[3] + 1 for b in boxes)


def _looks_underruled(rows: list[list[str | None]]) -> bool:
    """A grid with too few columns for its text: vertical rules missing, cells run together."""
    if not rows or len(rows[0]) > 2:
        return False
    crowded = sum(1 for row in rows if any(c and len(c.split()) >= 3 for c in row))
    return crowded >= max(1, len(rows) // 3)


_HEADER_WORDS = ("合计", "科目", "编码", "项目", "金额", "小计", "名称", "类", "款", "支出", "经费", "预算数")


def _header_lines_above(page: pdfplumber.page.Page, bbox: tuple[float, float, float, float]) -> list[list[dict]]:
    """Header lines printed just above the ruled area (no rule drawn over the header band).

    Walks up from the table's top over lines made of column labels; stops at a caption
    (单位：万元), a title, or a gap."""
    x0, top, x1, _bottom = bbox
    if top < 2:
        return []
    area = page.crop((x0, max(page.bbox[1], top - 60), x1, top), strict=False)
    lines = text_lines(area.extract_words(x_tolerance=1.5))
    taken: list[list[dict]] = []
    edge = top
    for line in reversed(lines):
        text = "".join(w["text"] for w in line)
        if edge - line[0]["bottom"] > 12 or "：" in text or ":" in text or text.endswith("表"):
            break
        if not any(word in text for word in _HEADER_WORDS) or any(ch.isdigit() for ch in text):
            break
        taken.insert(0, line)
        edge = line[0]["top"]
    return taken


def trailing_header_lines(page: pdfplumber.page.Page, below: float) -> list[list[dict]]:
    """Header-like lines at the foot of a page, below its last table: a header orphaned there
    belongs to the table that starts on the next page."""
    top = max(below, page.bbox[1])
    if not any(char["bottom"] >= top for char in page.chars):
        # No character reaches the area (a crop keeps what touches it): no words to read there,
        # and cropping clips every object of the page, the rules included.
        return []
    area = page.crop((page.bbox[0], top, page.bbox[2], page.bbox[3]), strict=False)
    lines = [line for line in text_lines(area.extract_words(x_tolerance=1.5))]
    out: list[list[dict]] = []
    for line in reversed(lines):
        text = "".join(w["text"] for w in line)
        if text.strip("-— ").isdigit():
            continue  # page number
        if "：" in text or ":" in text or text.endswith("表") or not any(w in text for w in _HEADER_WORDS):
            break
        out.insert(0, line)
    return out


def data_lines_above(
    page: pdfplumber.page.Page, table: object, rows: list[list[str | None]]
) -> tuple[list[list[str | None]], list[Box | None], float]:
    """Data rows printed just above a ruled table that continues from the previous page.

    A row cut by the page break loses its top rule, and pdfplumber finds no cell there: the
    first line of the page (2210201 住房公积金 1,029.15) would be dropped. Only when the table
    itself opens with data (a continuation, no header) are the lines right above it, inside its
    width, with an amount, cut into its columns. Returns the rows, their boxes and the top they
    start at."""
    from yusuan.normalise.amounts import is_amount

    x0, top, x1, _bottom = table.bbox  # type: ignore[attr-defined]
    if top < 2 or not rows or not any(c and is_amount(c.strip()) for c in rows[0]):
        return [], [], top
    area = page.crop((page.bbox[0], page.bbox[1], page.bbox[2], top), strict=False)
    lines = text_lines(area.extract_words(x_tolerance=1.5))
    taken: list[list[dict]] = []
    edge = top
    for line in reversed(lines):
        if edge - max(w["bottom"] for w in line) > 12 or any(w["x0"] < x0 - 1 or w["x1"] > x1 + 1 for w in line):
            break
        if not any(is_amount(w["text"]) for w in line):
            break
        taken.insert(0, line)
        edge = min(w["top"] for w in line)
    if not taken:
        return [], [], top
    # The cut row is cut as the first row below it is: merged cells span several grid columns.
    first = table.rows[0].cells  # type: ignore[attr-defined]
    bands = [(cell[0], cell[2]) if cell else (-1.0, -1.0) for cell in first]
    return cells_by_band(taken, bands), [words_box(line) for line in taken], edge


def ruled_rows_running_on(
    page: pdfplumber.page.Page, below: float, columns: Bands
) -> tuple[list[list[str | None]], list[Box | None], float, float] | None:
    """Rows at the very top of a page that run on the previous page's table ruled only
    horizontally (its columns ``columns`` rebuilt from words), above ``below`` (this page's first
    table, if any).

    One row alone on its page is one cell between two rules, which pdfplumber does not count as a
    table: the row (a long name wrapped over three lines around its amounts) was dropped. Each band
    between two rules across the columns' width is a row while it holds an amount; nothing may be
    printed above the first rule. Returns the rows, their boxes, and the top and bottom they span."""
    from yusuan.normalise.amounts import is_amount, is_blank_amount

    left, right = columns[0][0], columns[-1][1]
    rules = sorted(
        {
            round(e["top"], 1)
            for e in page.horizontal_edges
            if e["top"] < below and e["x0"] <= left + 3 and e["x1"] >= right - 3
        }
    )
    if len(rules) < 2:
        return None
    words = [w for w in page.extract_words(x_tolerance=1.5) if w["bottom"] <= below]
    if any(w["bottom"] <= rules[0] + 0.5 for w in words):
        return None
    rows: list[list[dict]] = []
    for top, bottom in itertools.pairwise(rules):
        band = [w for w in words if top <= (w["top"] + w["bottom"]) / 2 <= bottom]
        if not band:
            continue  # a rule drawn twice a hair apart
        amounts = [w for w in band if is_amount(w["text"]) and not is_blank_amount(w["text"])]
        labels = [w for w in band if not is_amount(w["text"]) and not is_blank_amount(w["text"])]
        # A row prints two amounts, or an amount and its label: "- 21 -" is a page number.
        if len(amounts) < 2 and not (amounts and labels):
            break
        if any(w["x0"] < left - 2 or w["x1"] > right + 2 for w in band):
            break
        rows.append(band)
    if not rows:
        return None
    boxes = [words_box(row) for row in rows]
    return cells_by_band(rows, columns), boxes, rules[0], max(w["bottom"] for w in rows[-1])


@dataclass(frozen=True, slots=True)
class _RunOn:
    top: float
    bottom: float
    rows: tuple[list[list[str | None]], list[Box | None]]


def ruled_rows_under_carried_header(
    page: pdfplumber.page.Page, below: float, carried: list[list[dict]]
) -> _RunOn | None:
    """Rows at the very top of a page, between rules, under header lines left at the foot of the
    previous page (a 三公 table's one row in a box of its own, its header printed without rules
    on the page before): too few cells for pdfplumber to count as a table. Columns come from the
    header's labels across the width of the first rule; the header rows lead the table."""
    edges = [e for e in page.horizontal_edges if e["top"] < below]
    if not edges:
        return None
    top_rule = min(e["top"] for e in edges)
    widest = max((e for e in edges if abs(e["top"] - top_rule) < 1), key=lambda e: e["x1"] - e["x0"])
    columns = leaf_label_bands(carried, widest["x0"], widest["x1"])
    if not columns:
        return None
    running_on = ruled_rows_running_on(page, below, columns)
    if running_on is None:
        return None
    rows, row_boxes, top, bottom = running_on
    header = cells_by_band(carried, columns)
    spread_group_labels(header, len(header))
    fill_up(header, len(header))
    return _RunOn(top, bottom, ([*header, *rows], [*([None] * len(header)), *row_boxes]))


def rows_from_words(
    page: pdfplumber.page.Page,
    table: object,
    previous: Bands | None = None,
    carried_header: list[list[dict]] | None = None,
) -> tuple[list[list[str | None]], Bands, list[Box | None]]:
    """Rebuild a table whose vertical rules are missing.

    Rows come from its horizontal rules; a band without numbers (the header) is split into its
    printed lines, because merged header cells leave no rule between header rows. Columns come
    from the gaps that no word of the number rows, nor of the lowest header line, crosses.
    """
    from yusuan.normalise.amounts import is_amount

    bands = [row.bbox for row in table.rows]  # type: ignore[attr-defined]
    x0, _top, x1, _bottom = table.bbox  # type: ignore[attr-defined]
    words = page.crop(table.bbox, strict=False).extract_words(x_tolerance=1.5, keep_blank_chars=False)  # type: ignore[attr-defined]
    # Header lines may sit above the rules, or at the foot of the previous page (carried over).
    above = _header_lines_above(page, table.bbox)  # type: ignore[attr-defined]
    rows: list[list[dict]] = above or list(carried_header or [])
    carried_rows = 0 if above else len(rows)  # printed on the previous page: no box here
    for band in bands:
        ws = [w for w in words if band[1] - 0.5 <= (w["top"] + w["bottom"]) / 2 <= band[3] + 0.5]
        if any(is_amount(w["text"]) for w in ws):
            rows.append(ws)
        else:
            rows += text_lines(ws) or [[]]
    data = [ws for ws in rows if any(is_amount(w["text"]) for w in ws)]
    first_data = next((i for i, ws in enumerate(rows) if ws in data), len(rows))
    x_matches = previous is not None and abs(previous[0][0] - x0) < 2 and abs(previous[-1][1] - x1) < 2
    if first_data == 0 and previous is not None and x_matches:
        # A page continuing a table without repeating its header: its own data gives the best
        # columns, unless a column blank on this page left no gap; then the previous page's
        # columns are kept.
        own = column_bands(data, x0, x1) if len(data) > 2 else []
        columns = own if len(own) == len(previous) else previous
    elif len(data) <= 2:
        # One or two number rows say little about columns; the header's lowest labels say more.
        columns = leaf_label_bands(rows[:first_data], x0, x1) or column_bands(data, x0, x1)
    else:
        columns = split_bands(column_bands(data, x0, x1), rows[:first_data], data)
    grid = cells_by_band(rows, columns)
    spread_group_labels(grid, first_data)
    boxes = [None if i < carried_rows else words_box(ws) for i, ws in enumerate(rows)]
    return grid, columns, boxes


def _why(exc: BaseException) -> str:
    """pdfplumber wraps pdfminer's errors with an empty message: name what is inside."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__context__
    if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError) or isinstance(exc, PDFPasswordIncorrect):
        return "encrypted PDF: a password is needed to open it"
    if inner is not None and not str(exc):
        return f"{type(exc).__name__}: {type(inner).__name__}: {inner}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def _out_of_memory(exc: BaseException) -> bool:
    """zlib and pdfminer report a refused allocation as their own error ("Unable to allocate
    output buffer"): under a memory bound that is the bound, not a broken file."""
    return any(
        isinstance(error, MemoryError) or "allocate" in str(error) or "insufficient memory" in str(error)
        for error in error_chain(exc)
    )


def _unreadable(exc: BaseException, where: str = "") -> Exception:
    if _out_of_memory(exc):
        return MemoryError(f"{where}{_why(exc)}")
    return UnreadablePdf(f"{where}{_why(exc)}")


# Some PDF writers map common characters to Kangxi radicals or CJK compatibility ideographs
# (``⼀般公共预算⽀出表`` for 一般公共预算支出表): the same glyphs, other code points, and no title,
# label or name would match. Each is the ideograph its compatibility decomposition names.
_IDEOGRAPHS = {
    cp: unified
    for cp in (*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00))
    if len(unified := unicodedata.normalize("NFKC", chr(cp))) == 1 and unified != chr(cp)
}


def unify_ideographs(chars: list[dict]) -> None:
    """Radicals and compatibility ideographs in the page's characters as the unified ideographs."""
    for char in chars:
        text = char["text"]
        if len(text) == 1 and ord(text) in _IDEOGRAPHS:
            char["text"] = _IDEOGRAPHS[ord(text)]
        elif len(text) > 1 and not text.isascii():
            char["text"] = text.translate(_IDEOGRAPHS)


def read_pdf(path: Path) -> PdfContent:
    try:
        pdf = pdfplumber.open(path)
    except (PdfminerException, PDFSyntaxError, ValueError, TypeError, KeyError) as exc:
        raise _unreadable(exc) from exc
    with pdf:
        content = PdfContent(page_count=len(pdf.pages), char_count=0, cid_char_count=0)
        last_bands: Bands | None = None
        carried: list[list[dict]] = []
        carried_text: list[list[dict]] = []
        # The columns of the previous page's last borderless table: this page's top may run it on.
        continuing: Bands | None = None
        # The columns of the previous page's last table when they were rebuilt from words (ruled
        # only horizontally): rows at this page's top may run it on.
        ruled_continuing: Bands | None = None
        for page_no, page in enumerate(lean_pages(pdf), start=1):
            try:
                unify_ideographs(page.chars)
                content.char_count += len(page.chars)
                if not page.chars:
                    content.pages_without_text += 1
                    ruled_continuing = None
                    continue
                tables = page.find_tables()
                boxes = [t.bbox for t in tables]
                page_blocks: list[Block] = []
                if not tables:
                    # No ruled table: the page may still print one with no rule at all.
                    words = page.extract_words(x_tolerance=1.5)
                    grids, carried_text, continuing = borderless_grids(words, carried_text, continuing)
                    text_blocks = [TableBlock(page_no, t.top, t.bottom, grid, boxes) for t, grid, boxes in grids]
                    page_blocks += text_blocks
                    boxes = [(page.bbox[0], b.top, page.bbox[2], b.bottom) for b in text_blocks]
                    boxes += [(0, line[0]["top"], 0, line[0]["bottom"]) for line in carried_text]
                else:
                    carried_text, continuing = [], None
                first_top = min((t.bbox[1] for t in tables), default=page.bbox[3])
                # Header lines left at the previous page's foot open a table: rows at this page's
                # top are that table's, not the previous one's.
                under_header = ruled_rows_under_carried_header(page, first_top, carried) if carried else None
                if under_header is not None and all(b.top >= under_header.bottom for b in page_blocks):
                    page_blocks.append(TableBlock(page_no, under_header.top, under_header.bottom, *under_header.rows))
                    boxes.append((page.bbox[0], under_header.top, page.bbox[2], under_header.bottom))
                    carried = []
                elif ruled_continuing is not None and not carried:
                    running_on = ruled_rows_running_on(page, first_top, ruled_continuing)
                    if running_on is not None and all(b.top >= running_on[3] for b in page_blocks):
                        rows, row_boxes, top, bottom = running_on
                        page_blocks.append(TableBlock(page_no, top, bottom, rows, row_boxes))
                        boxes.append((page.bbox[0], top, page.bbox[2], bottom))
                ruled_continuing = None
                for n, t in enumerate(tables):
                    rows = table_text(t)
                    row_boxes: list[Box | None] = [box_union([row.bbox]) for row in t.rows]
                    top = t.bbox[1]
                    if n == 0:
                        above, above_boxes, top = data_lines_above(page, t, rows)
                        rows, row_boxes = above + rows, above_boxes + row_boxes
                        boxes[n] = (t.bbox[0], top, t.bbox[2], t.bbox[3])
                    if _looks_underruled(rows):
                        try:
                            carry = carried if n == 0 else None
                            rows, last_bands, row_boxes = rows_from_words(page, t, last_bands, carry)
                            # Only the page's last table may run on over the next page.
                            ruled_continuing = last_bands if n == len(tables) - 1 else None
                        except (ValueError, IndexError, KeyError):
                            pass  # the rebuild is a heuristic: keep pdfplumber's grid rather than lose the page
                    page_blocks.append(TableBlock(page_no, top, t.bbox[3], rows, row_boxes))
                carried = trailing_header_lines(page, max((t.bbox[3] for t in tables), default=0.0))
                for line in page.extract_text_lines(return_chars=False):
                    text = line["text"].strip()
                    if not text:
                        continue
                    content.cid_char_count += text.count(_CID_MARK)
                    if not _inside(line["top"], line["bottom"], boxes):
                        page_blocks.append(TextLine(page_no, line["top"], text))
                if page_no == 1:
                    content.first_page_text = page.extract_text() or ""
            except (PdfminerException, PDFSyntaxError, ValueError, KeyError) as exc:
                raise _unreadable(exc, f"page {page_no}: ") from exc
            finally:
                # pdfplumber keeps every page's objects until the file is closed: a 177-page
                # budget held 470 MB. What the page gave is in page_blocks now.
                page.close()
            page_blocks.sort(key=lambda b: b.top)
            content.blocks.extend(page_blocks)
        return content
