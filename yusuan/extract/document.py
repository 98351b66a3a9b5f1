"""One file in, one ``ExtractedDocument`` out: the extraction stage as a plain function."""

from __future__ import annotations

import re
from pathlib import Path

from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.classify import classify_title
from yusuan.extract.metadata import (
    agency_from_captions,
    choose_agency,
    default_unit,
    document_kind,
    fiscal_year,
    normalise_agency,
)
from yusuan.extract.narrative import narrative_figures
from yusuan.extract.parse import parse_grid
from yusuan.extract.pdf_reader import UnreadablePdf, read_pdf
from yusuan.extract.performance import indicator_header_end
from yusuan.extract.reconcile import reconcile
from yusuan.extract.tables import build_tables, to_grid
from yusuan.models import ContentKind, DocumentStatus, ExtractedDocument, ExtractedTable, QuarantineReason, TableRow
from yusuan.normalise.amounts import find_unit

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
    opening = content.first_page_text
    doc.title = _title(opening)
    doc.doc_kind = document_kind(opening)
    doc.fiscal_year = fiscal_year(opening, [g.title for g in grids], hint)
    page_one_captions = [line for line in opening.splitlines() if "：" in line or ":" in line][:6]
    doc.agency_name_raw = choose_agency(agency_from_captions(all_captions + page_one_captions), opening, hint)
    doc.agency_name = normalise_agency(doc.agency_name_raw)
    fallback_unit = default_unit(all_captions)

    for index, grid in enumerate(grids):
        kind = classify_title(grid.title) if grid.title else "other"
        if kind == "performance_targets":
            # No amounts in it: its first rows looked like header. The header ends at 三级指标 / 指标值.
            end = indicator_header_end(raw_tables[index].segments[0].rows)
            if end is not None and end < len(grid.header):
                grid = to_grid(raw_tables[index], header_rows=end)
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
                rows=[TableRow(i, r.page_no, tuple(r.cells)) for i, r in enumerate(grid.rows)],
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

    text_figures = narrative_figures("\n".join(line.text for line in content.text_lines))
    doc.figures += text_figures
    if doc.doc_kind.endswith("决算"):
        doc.status, doc.content_kind = DocumentStatus.NOT_BUDGET, ContentKind.FINAL_ACCOUNTS
        doc.error = f"{doc.doc_kind} (final accounts) document: recorded, not loaded as a budget"
        return doc
    if not doc.tables and not text_figures:
        doc.reason, doc.error = QuarantineReason.NO_TABLES, "no budget tables and no key figures in the text layer"
        doc.content_kind = ContentKind.NOT_BUDGET
        return doc
    if not doc.tables:
        doc.warnings.append("no tables in this file: key figures read from the text only")
    doc.status = DocumentStatus.LOADED
    doc.content_kind = ContentKind.BUDGET_TABLES if doc.tables else ContentKind.BUDGET_TEXT
    doc.checks = reconcile(doc)
    return doc
