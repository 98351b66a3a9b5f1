"""Read a PDF into an ordered stream of text lines and ruled tables per page (pdfplumber).

Everything downstream (titles, captions, stitching) works on this stream, so the pdfplumber
specifics stay in this module and in ``lean_page`` (its pages, with cheaper character dicts and
cell texts that are pdfplumber's own).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from yusuan.errors import error_chain
from yusuan.extract.borderless import Continuing, borderless_grids
from yusuan.extract.lean_page import lean_pages, table_text
from yusuan.extract.ruled_rows import (
    data_lines_above,
    looks_underruled,
    rows_from_words,
    ruled_rows_running_on,
    ruled_rows_under_carried_header,
    trailing_header_lines,
)
from yusuan.extract.word_grid import Bands, box_union
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
        continuing: Continuing | None = None
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
                if carried:
                    run_on = ruled_rows_under_carried_header(page, first_top, carried)
                elif ruled_continuing is not None:
                    run_on = ruled_rows_running_on(page, first_top, ruled_continuing)
                else:
                    run_on = None
                if run_on is not None and all(b.top >= run_on.bottom for b in page_blocks):
                    page_blocks.append(TableBlock(page_no, run_on.top, run_on.bottom, run_on.rows, run_on.boxes))
                    boxes.append((page.bbox[0], run_on.top, page.bbox[2], run_on.bottom))
                    carried = []  # the header, if any, went with these rows
                ruled_continuing = None
                for n, t in enumerate(tables):
                    rows = table_text(t)
                    row_boxes: list[Box | None] = [box_union([row.bbox]) for row in t.rows]
                    top = t.bbox[1]
                    if n == 0:
                        above, above_boxes, top = data_lines_above(page, t, rows)
                        rows, row_boxes = above + rows, above_boxes + row_boxes
                        boxes[n] = (t.bbox[0], top, t.bbox[2], t.bbox[3])
                    if looks_underruled(rows):
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
