"""One file in, one ``ExtractedDocument`` out: the extraction stage as a plain function."""

from __future__ import annotations

import re
from pathlib import Path

from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.classify import classify_title
from yusuan.extract.code_names import with_resolved_codes
from yusuan.extract.content import classify_content, title_lines
from yusuan.extract.line_checks import PrintedTable, line_checks
from yusuan.extract.metadata import (
    agency_from_captions,
    agency_from_label_cells,
    choose_agency,
    default_unit,
    document_kind,
    fiscal_year,
    normalise_agency,
)
from yusuan.extract.narrative import TOTAL_NAMES, narrative_figures
from yusuan.extract.parse import ECONOMIC_KINDS, FUNCTION_KINDS, parse_grid
from yusuan.extract.pdf_reader import PdfContent, UnreadablePdf, read_pdf
from yusuan.extract.performance import indicator_header_end
from yusuan.extract.reconcile import reconcile
from yusuan.extract.side_by_side import unstacked_blocks
from yusuan.extract.tables import build_tables, to_grid
from yusuan.models import (
    ContentKind,
    DocumentStatus,
    ExtractedDocument,
    ExtractedTable,
    Lineage,
    QuarantineReason,
    TableKind,
    TableRow,
)
from yusuan.normalise.amounts import find_unit
from yusuan.normalise.codes import is_economic_code, is_function_code

# A page with fewer characters than this is treated as having no text layer.
_MIN_CHARS_PER_PAGE = 20
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def sniff_not_pdf(head: bytes) -> str | None:
    """Why these bytes are not a PDF, or None if they start like one."""
    if b"%PDF-" in head[:1024]:
        return None
    lowered = head[:2048].lower()
    if b"<html" in lowered or b"<!doctype html" in lowered:
        match = _HTML_TITLE.search(head)
        title = match.group(1).decode("utf-8", "replace").strip() if match else ""
        return f"an HTML page, not a PDF (title: {title!r})" if title else "an HTML page, not a PDF"
    if head[:4] == b"PK\x03\x04":
        return "a ZIP/Office file, not a PDF"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "an old Office (.doc/.xls) file, not a PDF"
    return "no %PDF header"


def _title(first_page_text: str) -> str:
    lines = [line.strip() for line in first_page_text.splitlines() if line.strip()]
    for line in lines[:10]:
        if "预算" in line or "决算" in line:
            return line
    return lines[0] if lines else ""


_IMAGE = re.compile(rb"/Subtype\s*/Image")
_FONT = re.compile(rb"/Type\s*/Font|/FontDescriptor")


def _images_without_fonts(path: Path) -> bool:
    """Whether a PDF that pdfplumber cannot open still shows what it is: image XObjects, no font."""
    data = path.read_bytes()
    return bool(_IMAGE.search(data)) and not _FONT.search(data)


def _opening(content: PdfContent) -> str:
    """Page 1's text; when page 1 carries no words (an image cover, a lone page number), the
    document's first lines instead, so the title block is read where the words start."""
    if len(title_lines(content.first_page_text, 3)) >= 3:
        return content.first_page_text
    first_lines = [line.text for line in content.text_lines[:40]]
    return "\n".join([content.first_page_text, *first_lines])


def _texts(rows: list[list[str | None]]) -> list[tuple[str, ...]]:
    return [tuple(c or "" for c in row) for row in rows]


def _without_facts(doc: ExtractedDocument) -> ExtractedDocument:
    """A file that is not a budget keeps its tables as printed (lineage) but yields no facts."""
    doc.function_lines, doc.economic_lines, doc.projects, doc.targets, doc.figures = [], [], [], [], []
    return doc


def _side_kind(doc: ExtractedDocument) -> str:
    """A budget's side tables published alone are their own filing: they must never stand in
    for (or be replaced by) the budget of the same agency and year."""
    return "绩效目标" if any(t.kind == "performance_targets" for t in doc.tables) else "三公经费"


def extract_document(path: Path, sha256: str, hint: str = "") -> ExtractedDocument:
    """Extract one file. ``hint`` is the link text and page title it was found under: used only
    for what the document itself does not say (its year, its agency)."""
    doc = ExtractedDocument(sha256=sha256, status=DocumentStatus.QUARANTINED, extractor_version=EXTRACTOR_VERSION)
    with path.open("rb") as handle:
        head = handle.read(4096)
    not_pdf = sniff_not_pdf(head)
    if not_pdf:
        doc.reason, doc.error = QuarantineReason.NOT_PDF, not_pdf
        return doc
    try:
        content = read_pdf(path)
    except UnreadablePdf as exc:
        if _images_without_fonts(path):
            # Phone scanners often write truncated files: the pages are there, as images only.
            doc.reason, doc.content_kind = QuarantineReason.NEEDS_OCR, ContentKind.NEEDS_OCR
            doc.error = f"unreadable PDF ({exc}) holding page images and no fonts: scanned document, needs OCR"
        else:
            doc.reason, doc.error = QuarantineReason.BROKEN_PDF, f"unreadable PDF: {exc}"
        return doc
    doc.page_count = content.page_count
    if (
        content.page_count == 0
        or content.char_count < _MIN_CHARS_PER_PAGE * content.page_count * 0.2
        or (content.pages_without_text > content.page_count / 2)
    ):
        doc.reason, doc.content_kind = QuarantineReason.NEEDS_OCR, ContentKind.NEEDS_OCR
        doc.error = (
            f"no usable text layer ({content.pages_without_text} of {content.page_count} pages without text): "
            "scanned document, needs OCR"
        )
        return doc
    if content.cid_char_count > 50:
        doc.warnings.append(f"{content.cid_char_count} characters without a Unicode mapping (cid:NN)")

    raw_tables = build_tables(content.blocks)
    grids = [to_grid(t) for t in raw_tables]
    all_captions = [c for g in grids for c in g.captions]
    opening = _opening(content)
    doc.title = _title(opening)
    doc.doc_kind = document_kind(opening)
    body_text = "\n".join(line.text for line in content.text_lines)
    printed_cells = [cells for t in raw_tables for seg in t.segments for cells in _texts(seg.rows)]
    cell_text = "\n".join(c for cells in printed_cells for c in cells if c)
    doc.fiscal_year = fiscal_year(opening, [g.title for g in grids], hint, f"{body_text}\n{cell_text}")
    page_one_captions = [line for line in opening.splitlines() if "：" in line or ":" in line][:6]
    cell_names = agency_from_label_cells(printed_cells)
    doc.agency_name_raw = choose_agency(
        agency_from_captions(all_captions + page_one_captions), opening, hint, cell_names, body_text
    )
    doc.agency_name = normalise_agency(doc.agency_name_raw)
    fallback_unit = default_unit(all_captions)
    printed: list[PrintedTable] = []
    parents: dict[Lineage, tuple[str, ...]] = {}

    for index, grid in enumerate(grids):
        kind = classify_title(grid.title) if grid.title else TableKind.OTHER
        if kind == "performance_targets":
            # No amounts in it: its first rows looked like header. The header ends at 三级指标 / 指标值.
            end = indicator_header_end(raw_tables[index].segments[0].rows)
            if end is not None and end < len(grid.header):
                grid = to_grid(raw_tables[index], header_rows=end)
        if kind in FUNCTION_KINDS or kind in ECONOMIC_KINDS:
            # Before the table is stored: its rows' lineage is the stacked rows'.
            grid = unstacked_blocks(grid, is_economic_code if kind in ECONOMIC_KINDS else is_function_code)
        # Joined, because a caption can break between 单位： and 万元.
        unit = find_unit(" ".join(grid.captions)) or fallback_unit
        doc.tables.append(
            ExtractedTable(
                index=index,
                kind=kind,
                title=grid.title,
                unit=unit.value,
                page_first=grid.page_first,
                page_last=grid.page_last,
                captions=grid.captions,
                column_labels=["/".join(p) for p in grid.paths],
                header_rows=len(grid.header),
                rows=[TableRow(i, r.page_no, tuple(r.cells), r.box) for i, r in enumerate(grid.rows)],
                header_box=grid.header_box,
            )
        )
        if doc.doc_kind.endswith("决算"):
            continue
        facts = parse_grid(grid, kind, unit, index)
        doc.function_lines += facts.function_lines
        doc.economic_lines += facts.economic_lines
        doc.projects += facts.projects
        doc.targets += facts.targets
        doc.figures += facts.figures
        printed += facts.printed
        parents.update(facts.parents)
    doc.function_lines, doc.economic_lines = with_resolved_codes(
        doc.function_lines, doc.economic_lines, printed, parents
    )

    text_figures = narrative_figures(body_text, doc.fiscal_year)
    doc.figures += text_figures
    verdict = classify_content(
        opening,
        (t.kind for t in doc.tables),
        table_totals=any(f.source == "table" and f.name in TOTAL_NAMES for f in doc.figures),
        text_totals=any(f.name in TOTAL_NAMES for f in text_figures),
        final_accounts=doc.doc_kind.endswith("决算"),
    )
    doc.content_kind, doc.kind_reason = verdict.kind, verdict.reason
    if verdict.kind is ContentKind.FINAL_ACCOUNTS:
        doc.status = DocumentStatus.NOT_BUDGET
        doc.error = f"{doc.doc_kind} (final accounts) document: recorded, not loaded as a budget"
        return _without_facts(doc)
    if verdict.kind is ContentKind.NOT_BUDGET:
        doc.status, doc.doc_kind = DocumentStatus.NOT_BUDGET, ""
        doc.error = f"not a budget ({verdict.reason}): recorded, not loaded"
        return _without_facts(doc)
    if verdict.kind is ContentKind.BUDGET_OTHER:
        doc.doc_kind = _side_kind(doc)
    if not doc.tables:
        doc.warnings.append("no tables in this file: key figures read from the text only")
    doc.status = DocumentStatus.LOADED
    for table in printed:
        following = table.table_index + 1
        if following < len(doc.tables) and not doc.tables[following].title:
            table.next_untitled_page = doc.tables[following].page_first
    doc.checks = reconcile(doc) + [check for table in printed for check in line_checks(table)]
    return doc
