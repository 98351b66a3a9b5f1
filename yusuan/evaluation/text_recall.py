"""Label-free line recall: every coded row a line table prints, looked for among its stored lines.

``LINES.tsv`` labels two tables of 19 budgets, and the ``lines_add_up`` check says whether a
table's stored lines add up. Neither sees a printed row that is not stored while its table still
adds up (a 类 left out together with its 款 and 项), a code stored wrong, or any table of a budget
nobody labelled. This reads each line table's band of its pages as plain text, as a person reads
the page (pdfplumber's words on a line, no table finding, so it does not share the extractor's
misreads): every text line that starts with a code of the table's dimension (function ``2xx``,
economic ``30x``–``39x`` and ``50x``–``59x``; ``201``, ``20101``, ``2010101`` or ``201 01 01`` in
code columns) followed by a name and an amount is a printed row. Each is looked for among the
table's stored lines: the same code (or a stored code it is the parent of, where a table is
stored as its leaves), and its first amount among the stored line's amounts (in 元, or in 万元
to within half a cent of a 万元).

A page's band runs from the table's header (or the page's top, on a continuation page) to the
header of the next table on that page. A line that prints rows of side-by-side blocks (人员经费 on
the left, 公用经费 on the right) counts each of them. What is left is a lead, not a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pdfplumber

from yusuan.models import ExtractedDocument, ExtractedTable
from yusuan.normalise.amounts import is_amount, is_blank_amount, parse_amount

# A code at a line's start: whole (201, 20101, 2010101) or in code columns (201 01 01), maybe in
# brackets; never the start of a longer number (2026 年度…) nor a code's digits run into an
# amount (21208 19,239.19).
_CODED = re.compile(r"^[\[【]?(\d{3})(?:[\s-]?(\d{2}))?(?:[\s-]?(\d{2}))?(?![\d,.])[\]】]?\s*(\S.*)$")
# A second code in the same row (``2010501-行政运行 50101-工资奖金津补贴 30101-基本工资``): the row is
# one cell of a function × economic breakdown, its amount a part of the stored line's.
_ANOTHER_CODE = re.compile(r"\d{3,7}-\S")
_FUNCTION = re.compile(r"^2\d{2}")
_ECONOMIC = re.compile(r"^(?:3\d|5\d)\d")
_WAN = Decimal(10000)


@dataclass(frozen=True, slots=True)
class PrintedRow:
    page_no: int
    code: str
    name: str
    amount: Decimal
    text: str


@dataclass(slots=True)
class TableRecall:
    path: str
    kind: str
    printed: int = 0
    parents: int = 0  # printed parents of stored codes, the table stored as its leaves
    missing: list[PrintedRow] = field(default_factory=list)
    wrong_amount: list[tuple[PrintedRow, tuple[Decimal | None, ...]]] = field(default_factory=list)


def _code_starts(tokens: list[str], at: int, lead: str) -> bool:
    """Whether a row of the same classification starts at ``tokens[at]``: a code with the row's
    leading digit (a 政府 5… code beside a 部门 3… one is its pairing, not another row), or a 类 with
    its 款/项 parts, followed by a name; not an amount that happens to have three digits."""
    if not (tokens[at].isdigit() and len(tokens[at]) in (3, 5, 7) and tokens[at][0] == lead):
        return False
    after = at + 1
    while len(tokens[at]) == 3 and after < at + 3 and after < len(tokens) and re.fullmatch(r"\d{2}", tokens[after]):
        after += 1
    return after < len(tokens) and not is_amount(tokens[after]) and not is_blank_amount(tokens[after])


def _row_and_rest(text: str, page_no: int, economic: bool) -> tuple[PrintedRow | None, str]:
    """The coded row a line of text starts with (None where it prints no amount), and the text of
    a row printed beside it (a table of side-by-side blocks), or ""."""
    match = _CODED.match(text.strip())
    if match is None:
        return None, ""
    code = "".join(part for part in match.groups()[:3] if part)
    if not (_ECONOMIC if economic else _FUNCTION).match(code):
        return None, ""
    if _ANOTHER_CODE.search(match.group(4)):
        return None, ""
    tokens = match.group(4).split()
    beside = next((i for i in range(1, len(tokens)) if _code_starts(tokens, i, code[0])), len(tokens))
    rest = " ".join(tokens[beside:])
    tokens = tokens[:beside]
    name_end = next((i for i, token in enumerate(tokens) if is_amount(token)), len(tokens))
    name = "".join(tokens[:name_end])
    at = name_end
    # A code column of another classification and its name (``30110 职工基本医疗保险缴费 50102
    # 社会保障缴费 9,617,937``): bare digits followed by words are not an amount.
    while at + 1 < len(tokens) and tokens[at].isdigit() and not is_amount(tokens[at + 1]):
        at += 2
        while at < len(tokens) and not is_amount(tokens[at]):
            at += 1
    amount = parse_amount(tokens[at]) if at < len(tokens) else None
    if not name or amount is None:
        return None, rest
    return PrintedRow(page_no, code, name, amount, text.strip()), rest


def printed_row(text: str, page_no: int, economic: bool) -> PrintedRow | None:
    """The coded row a line of page text prints, if it starts with a code of the dimension."""
    return _row_and_rest(text, page_no, economic)[0]


def printed_rows(text: str, page_no: int, economic: bool) -> list[PrintedRow]:
    """Every coded row a line of page text prints: the first, and those printed beside it in a
    table of side-by-side blocks (``30101 基本工资 15.00 30201 办公费 3.00``)."""
    rows: list[PrintedRow] = []
    rest = text
    while rest:
        row, rest = _row_and_rest(rest, page_no, economic)
        if row is not None:
            rows.append(row)
    return rows


def amount_matches(printed: Decimal, stored: tuple[Decimal | None, ...]) -> bool:
    values = [value for value in stored if value is not None]
    if printed == 0:
        return True  # a 0 may be stored as a blank
    return any(value == printed or abs(value - printed * _WAN) <= 50 for value in values)


def _bands(doc: ExtractedDocument, table: ExtractedTable, heights: dict[int, float]) -> list[tuple[int, float, float]]:
    """(page, top, bottom) of each page the table is printed on, up to the next table's header."""
    bands = []
    for page_no in range(table.page_first, table.page_last + 1):
        top = table.header_box[1] if page_no == table.page_first and table.header_box else -1e6
        bottom = heights[page_no]
        for other in doc.tables:
            if other.index > table.index and other.page_first == page_no and other.header_box:
                bottom = min(bottom, other.header_box[1])
        if bottom > top:
            bands.append((page_no, top, bottom))
    return bands


def table_recall(path: Path, doc: ExtractedDocument) -> list[TableRecall]:
    stored: dict[int, dict[str, list[tuple[Decimal | None, ...]]]] = {}
    for line in doc.function_lines:
        amounts = (line.total, line.basic_total, line.project_total)
        stored.setdefault(line.lineage.table_index, {}).setdefault(line.func_code, []).append(amounts)
    economic_tables: set[int] = set()
    for econ in doc.economic_lines:
        amounts = (econ.total, econ.personnel, econ.public_funds)
        economic_tables.add(econ.lineage.table_index)
        by_code = stored.setdefault(econ.lineage.table_index, {})
        for code in {econ.econ_code, econ.gov_econ_code} - {""}:
            by_code.setdefault(code, []).append(amounts)
    # Only line tables have lines.
    tables = [t for t in doc.tables if t.index in stored]
    if not tables:
        return []
    results = []
    with pdfplumber.open(path) as pdf:
        heights = {i + 1: float(page.bbox[3]) for i, page in enumerate(pdf.pages)}
        for table in tables:
            # A 基本支出 table printed by function class holds function lines.
            economic = table.index in economic_tables
            codes = stored[table.index]
            recall = TableRecall(str(path), str(table.kind))
            seen: set[str] = set()
            for page_no, top, bottom in _bands(doc, table, heights):
                page = pdf.pages[page_no - 1]
                band = page.within_bbox((page.bbox[0], top, page.bbox[2], bottom), strict=False)
                for row in (
                    r
                    for text in (band.extract_text() or "").splitlines()
                    for r in printed_rows(text, page_no, economic)
                ):
                    if row.code in seen:
                        continue
                    seen.add(row.code)
                    recall.printed += 1
                    if row.code not in codes:
                        if any(code.startswith(row.code) for code in codes):
                            recall.parents += 1
                        else:
                            recall.missing.append(row)
                    elif not any(amount_matches(row.amount, amounts) for amounts in codes[row.code]):
                        recall.wrong_amount.append((row, codes[row.code][0]))
            results.append(recall)
    return results
