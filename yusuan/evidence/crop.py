"""A PNG of where a row is printed: its page cropped to the table's header and the row, the row
outlined. Rendered with what pdfplumber ships (pypdfium2), no other dependency."""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from yusuan.evidence.render import page_image
from yusuan.evidence.rows import RowEvidence
from yusuan.models import Box

_MARGIN = 6.0
_RESOLUTION = 144  # twice the PDF's 72 points per inch: CJK strokes stay legible
_OUTLINE = (220, 30, 30)
_FILL = (255, 220, 0, 60)


def crop_box(row: RowEvidence, page_bbox: tuple[float, float, float, float]) -> Box:
    """The region to show: from the table's header (on its first page) or its first row on this
    page, down to the row, the width of the row and header, a margin around, within the page."""
    assert row.box is not None
    x0, top, x1, bottom = row.box
    upper = top
    if row.header_box is not None and row.header_page == row.page_no:
        upper = min(upper, row.header_box[1])
        x0, x1 = min(x0, row.header_box[0]), max(x1, row.header_box[2])
    elif row.table_top is not None:
        upper = min(upper, row.table_top)
    px0, ptop, px1, pbottom = page_bbox
    return (
        max(px0, x0 - _MARGIN),
        max(ptop, upper - _MARGIN),
        min(px1, x1 + _MARGIN),
        min(pbottom, bottom + _MARGIN),
    )


def write_row_png(pdf_path: Path, row: RowEvidence, out: Path, resolution: int = _RESOLUTION) -> Path:
    """Write the crop of ``row``'s page to ``out`` (a PNG) with the row outlined; returns ``out``."""
    if row.box is None:
        raise ValueError(f"{row.label} has no box: re-extract the document (yusuan backfill --force)")
    with pdfplumber.open(pdf_path) as pdf:
        if not 1 <= row.page_no <= len(pdf.pages):
            raise ValueError(f"{row.label}: the file has {len(pdf.pages)} pages")
        page = pdf.pages[row.page_no - 1]
        region = page.crop(crop_box(row, page.bbox), strict=False)
        image = page_image(region, resolution)
        if row.header_box is not None and row.header_page == row.page_no:
            image.draw_rect(row.header_box, fill=(0, 0, 0, 0), stroke=(90, 90, 90), stroke_width=1)
        image.draw_rect(row.box, fill=_FILL, stroke=_OUTLINE, stroke_width=3)
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(out, format="PNG")
    return out
