"""Amounts as printed in budget tables → exact yuan.

Disclosures print amounts in 万元 (10,000 yuan) or 元, with thousands separators, blanks and
dashes for "nothing". Floats never touch these numbers: a 9,187.2 万元 total must come out as
exactly 91872000.00 yuan.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum

CENT = Decimal("0.01")

# Dashes and similar marks that publishers use for "zero / not applicable".
_MIXED_SPACE = re.compile(r"[0-9A-Za-z] [\u4e00-\u9fff]|[\u4e00-\u9fff] [0-9A-Za-z]")
_EMPTY_MARKS = {"", "-", "—", "－", "–", "——", "--", "/", "…", "...", "无", "*"}
# The leading group may be longer than three digits: Excel exports with narrow columns print
# 120,258,600 as "120258,600" (seen in Shanghai 2026 budgets); later groups are exactly three.
_AMOUNT_RE = re.compile(r"^-?[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?$")


class Unit(StrEnum):
    YUAN = "元"
    WAN_YUAN = "万元"

    @property
    def factor(self) -> Decimal:
        return Decimal(10000) if self is Unit.WAN_YUAN else Decimal(1)


def clean_cell(text: str | None) -> str:
    """Collapse the whitespace a PDF puts into wrapped cell text.

    CJK text wraps without spaces, so line breaks inside a cell are dropped, not turned into
    spaces. Between Latin tokens a break is a space; between a digit and a CJK character it is
    a space only where the cell already spaces digits from CJK text ("2019-187 号 2020 年").
    """
    if not text:
        return ""
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    lines = [part.strip() for part in text.splitlines() if part.strip()]
    spaced_mixed = bool(_MIXED_SPACE.search(" ".join(lines)))
    joined = ""
    for part in lines:
        if joined:
            left, right = joined[-1], part[0]
            both_latin = left.isascii() and right.isascii() and left.isalnum() and right.isalnum()
            mixed = left.isascii() != right.isascii() and (left.isalnum() or right.isalnum())
            if both_latin or (mixed and spaced_mixed):
                joined += " "
        joined += part
    return re.sub(r"[ \t]+", " ", joined).strip()


def _compact(text: str) -> str:
    """The cell without spaces; full-width digits, commas, points and minus signs (Word tables
    typed in a Chinese input method: ``１，２３４．００``, ``－１２``) as ASCII."""
    compact = text.replace(" ", "").replace("\n", "")
    if not compact.isascii():
        compact = unicodedata.normalize("NFKC", compact).replace("−", "-").replace(" ", "")
    return compact


def is_amount(text: str | None) -> bool:
    """True when the cell holds a number as publishers print amounts (not a code, not text)."""
    if text is None:
        return False
    return bool(_AMOUNT_RE.match(_compact(text)))


def is_blank_amount(text: str | None) -> bool:
    return (text or "").replace(" ", "").replace("\n", "") in _EMPTY_MARKS


def parse_amount(text: str | None) -> Decimal | None:
    """The printed number as a Decimal in the printed unit; None for blanks and dashes.

    Raises ValueError for text that is neither a number nor a blank mark, so that a misread
    column is noticed instead of silently becoming zero.
    """
    if text is None:
        return None
    compact = _compact(text)
    if compact in _EMPTY_MARKS:
        return None
    if not _AMOUNT_RE.match(compact):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(compact.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"not an amount: {text!r}") from exc


def to_yuan(amount: Decimal | None, unit: Unit) -> Decimal | None:
    if amount is None:
        return None
    return (amount * unit.factor).quantize(CENT)


def parse_yuan(text: str | None, unit: Unit) -> Decimal | None:
    return to_yuan(parse_amount(text), unit)


_UNIT_RE = re.compile(r"(?:单位|金额单位|计量单位)\s*[:：]?\s*(万元|元)")


def find_unit(text: str) -> Unit | None:
    """The unit declared in a caption such as ``单位：万元`` or ``单位: 元``."""
    match = _UNIT_RE.search(text.replace(" ", ""))
    if not match:
        return None
    return Unit(match.group(1))
