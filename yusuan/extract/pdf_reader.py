"""Read a PDF into an ordered stream of text lines and ruled tables per page (pdfplumber).

Everything downstream (titles, captions, stitching) works on this stream, so the pdfplumber
specifics stay in this one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

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


def read_pdf(path: Path) -> PdfContent:
    try:
        pdf = pdfplumber.open(path)
    except (PdfminerException, PDFSyntaxError, ValueError, TypeError, KeyError) as exc:
        raise UnreadablePdf(f"{type(exc).__name__}: {exc}") from exc
    with pdf:
        content = PdfContent(page_count=len(pdf.pages), char_count=0, cid_char_count=0)
        for page_no, page in enumerate(pdf.pages, start=1):
            try:
                content.char_count += len(page.chars)
                if not page.chars:
                    content.pages_without_text += 1
                    continue
                tables = page.find_tables()
                boxes = [t.bbox for t in tables]
                page_blocks: list[Block] = [TableBlock(page_no, t.bbox[1], t.bbox[3], t.extract()) for t in tables]
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
                raise UnreadablePdf(f"page {page_no}: {type(exc).__name__}: {exc}") from exc
            page_blocks.sort(key=lambda b: b.top)
            content.blocks.extend(page_blocks)
        return content
