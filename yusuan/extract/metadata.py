"""Who published a document, for which year, and what kind of document it is."""

from __future__ import annotations

import itertools
import re
from collections import Counter

from yusuan.normalise.amounts import Unit, find_unit
from yusuan.normalise.regions import qualified_name

_AGENCY_LABEL = re.compile(
    r"(?:部门名称|单位名称|编制单位|编制部门|预算单位|预算主管部门|主管部门|部门|单位)\s*[:：]\s*"
    r"([^\s:：]{2,40}?)(?=\s|单位\s*[:：]|金额单位|$)"
)
_YEAR = re.compile(r"(20\d{2})\s*年")
_TITLE_AGENCY = re.compile(r"(20\d{2})\s*年\s*度?\s*(.{2,40}?)\s*(?:机关)?\s*(?:部门|单位)?\s*(?:预算|决算)")
_AGENCY_BEFORE_YEAR = re.compile(r"^(.{2,30}?)\s*(20\d{2})\s*(?:年\s*度?)?\s*(?:部门|单位)?\s*(?:预算|决算)")
_QUALIFIER = re.compile(r"\s*[（(](?:机关|本级|本部|汇总|单位)[)）]\s*$")
_NOT_AGENCY = re.compile(r"^(万元|元|[：:]|\d+)$")


# Heading debris printed before a name: "附件2：", "第二部分", "一、".
_DEBRIS = re.compile(
    r"^(?:附件\s*[0-9一二三四五六七八九十]*\s*[:：、.．]?\s*|第[一二三四五六七八九十0-9]+部分\s*|"
    r"[一二三四五六七八九十]+[、.．]\s*|[0-9]+[、.．]\s*)+"
)
# "北京市信访办公室部门2026年度部门预算": the 部门 after a whole name is the template's word.
_TEMPLATE_TAIL = re.compile(r"(?<=[局委厅院会办室心处部站所馆队校府团社署台联园场组盟库司科])(?:部门|单位|机关)$")
_LABEL_CELL = re.compile(
    r"^(?:(?:部门|单位|部门（单位）|部门\(单位\)|预算单位|预算部门)名称|预算单位|主管部门|编制单位|填报单位)$"
)


def clean_agency(name: str) -> str:
    """The name as printed, without the heading debris or template words around it."""
    name = _DEBRIS.sub("", name.strip().replace(" ", ""))
    return _TEMPLATE_TAIL.sub("", name)


def agency_from_label_cells(rows: list[tuple[str, ...]]) -> list[str]:
    """Names printed in a table beside a label cell: "部门名称 | 北京市人力资源和社会保障局".

    A department's file also prints its units' names (单位名称 | 某某中心 in each project's
    绩效目标表): names beside a department label come first, unit labels only when there are none."""
    by_label: dict[bool, list[str]] = {True: [], False: []}
    for cells in rows:
        texts = [c.replace(" ", "").replace("\n", "") for c in cells]
        for i, text in enumerate(texts):
            if text and _LABEL_CELL.match(text):
                value = next((v for v in texts[i + 1 :] if v), "")
                if value and not _LABEL_CELL.match(value):
                    by_label[not text.startswith("单位") and text != "预算单位"].append(value)
                break
    return by_label[True] or by_label[False]


def normalise_agency(name: str) -> str:
    """ "济源…医疗保障局（机关）" and "济源…医疗保障局(机关)" are one agency: drop the qualifier."""
    name = name.strip().replace("(", "（").replace(")", "）")
    return _QUALIFIER.sub("", name).strip()


def agency_from_captions(captions: list[str]) -> list[str]:
    names: list[str] = []
    for caption in captions:
        for match in _AGENCY_LABEL.finditer(caption):
            value = match.group(1).strip()
            if value and not _NOT_AGENCY.match(value) and find_unit(f"单位：{value}") is None:
                names.append(value)
    return names


_GENERIC = re.compile(r"^(部门|单位|本部门|本单位|市级|区级|县级|省级|本级|机关|预算|部门预算|单位预算|年度)$")
_ORG_SUFFIX = re.compile(
    r"(局|委|厅|院|会|办|室|中心|处|部|站|所|馆|队|校|学|府|团|社|署|台|联|园|场|宫|组|盟|区|县|市|库|司|科)$"
)


def plausible_agency(name: str) -> bool:
    name = name.strip()
    return 3 <= len(name) <= 40 and not _GENERIC.match(name) and bool(_ORG_SUFFIX.search(_QUALIFIER.sub("", name)))


def agency_from_title(text: str) -> str | None:
    """The agency named in an opening such as "2023年郑州市医疗保障局部门预算公开", also when the
    name and the year sit on two lines ("江苏省人大常委会办公厅" / "2019年度部门预算公开")."""
    lines = [line.strip().replace(" ", "") for line in text.splitlines() if line.strip()][:12]
    candidates = lines + [a + b for a, b in itertools.pairwise(lines)]
    candidates += [a + b + c for a, b, c in zip(lines, lines[1:], lines[2:], strict=False)]
    for line in candidates:
        for pattern, group in ((_TITLE_AGENCY, 2), (_AGENCY_BEFORE_YEAR, 1)):
            match = pattern.search(line)
            # "北京市信访办公室部门2026年度部门预算": the template's 部门 after the name goes first.
            if match and plausible_agency(clean_agency(match.group(group))):
                return match.group(group)
    return None


# The subject of the 部门情况说明's first sentence: "北京市气象局属于公益性事业单位", "市国资委是…".
_STATEMENT_SUBJECT = re.compile(
    r"(?:^|[。；;\n])\s*(?:[（(][一二三四五六七八九十0-9]+[）)]|[一二三四五六七八九十0-9]+[、.．])?\s*"
    r"([^\s，。：:；;、（）()“”\d]{3,30}?)(?:[（(](?:机关|本级)[）)])?(?:属于|是|为|主要职责|的主要职责|负责|内设)"
)


def agency_from_statement(body_text: str) -> str | None:
    """The agency the 部门情况说明 describes, in its own words: only the first sentences after the
    heading (职责 / 机构 / 情况说明), and only a full name (one that prints its region)."""
    from yusuan.normalise.regions import region_from_name

    text = body_text.replace(" ", "")
    heading = re.search(r"部门(?:基本)?情况|主要职[责能]|机构设置|部门职责", text)
    if heading is None:
        return None
    window = text[heading.end() : heading.end() + 1200]
    for match in _STATEMENT_SUBJECT.finditer(window):
        name = clean_agency(match.group(1))
        if plausible_agency(name) and region_from_name(name) is not None:
            return name
    return None


def choose_agency(
    caption_names: list[str],
    title_text: str,
    hint: str = "",
    cell_names: list[str] | None = None,
    body_text: str = "",
) -> str:
    """Captions ("单位名称：…") first, then the title block, then names beside label cells, then
    the agency its 部门情况说明 describes; the link text or file name only when the document names
    no agency at all, and then in the form the text prints it with its region ("水务局" →
    "北京市水务局")."""
    names = [n for n in map(clean_agency, caption_names) if plausible_agency(n)]
    if names:
        return Counter(names).most_common(1)[0][0]
    from_title = agency_from_title(title_text)
    if from_title:
        return clean_agency(from_title)
    names = [n for n in map(clean_agency, cell_names or []) if plausible_agency(n)]
    if names:
        return Counter(names).most_common(1)[0][0]
    stated = agency_from_statement(body_text)
    if stated:
        return stated
    # Only now the link text or file name, which may name another agency altogether.
    # File names join parts with underscores ("江苏省政协办公厅__…2019年度部门预算.pdf").
    from_hint = clean_agency(agency_from_title(re.sub(r"_+", "\n", hint)) or "")
    return qualified_name(from_hint, re.sub(r"\s+", "", body_text))


# "2026 部门预算情况的说明": a year straight before the budget words, with or without 年.
_YEAR_BEFORE_BUDGET = re.compile(r"(20\d{2})\s*(?:年\s*度?)?\s*(?:部门|单位)?\s*(?:预算|决算)")
# Years the document budgets for, strongest first: a table's "（2026年度）", "2026年支出预算"
# (never "比2025年初预算数", a comparison; performance targets also plan "2027年预算"), any
# "2026年度" (which also names work years: "2025年度国民经济核算").
_BUDGETED_YEARS = (
    re.compile(r"[（(](20\d{2})\s*年度?[）)]"),
    re.compile(r"(?<![比较同上])(20\d{2})\s*年(?:度|初)?[^。，,\d]{0,12}?预算"),
    re.compile(r"(?<![比较同上])(20\d{2})\s*年度"),
)


def fiscal_year(title_text: str, table_titles: list[str], hint: str = "", body_text: str = "") -> int | None:
    """The budget year: from the document's opening lines, else the most common year in table
    titles, else the year its running text budgets for; the link text / page title the document
    was found under only when the document states no year at all."""
    for line in title_text.splitlines()[:12]:
        match = _YEAR.search(line)
        if match and ("预算" in line or "决算" in line):
            return int(match.group(1))
        match = _YEAR_BEFORE_BUDGET.search(line)
        if match:
            return int(match.group(1))
    years = [int(m.group(1)) for t in table_titles for m in [_YEAR.search(t)] if m]
    if years:
        return Counter(years).most_common(1)[0][0]
    compact = body_text.replace(" ", "")
    for pattern in _BUDGETED_YEARS:
        stated = Counter(int(m.group(1)) for m in pattern.finditer(compact))
        if stated:
            return max(stated, key=lambda year: (stated[year], year))
    for text in (hint, title_text):
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    match = re.search(r"(?<!\d)(\d{2})年(?:度)?(?:部门|单位)?(?:预算|决算)", hint)
    return 2000 + int(match.group(1)) if match else None


def document_kind(title_text: str) -> str:
    """部门预算 / 单位预算 / 部门决算 / 单位决算, from whichever of 预算/决算 the opening names first."""
    head = title_text.replace(" ", "")[:400]
    final_at, budget_at = head.find("决算"), head.find("预算")
    scope = "单位" if re.search(r"单位(?:预|决)算|预算单位[:：]", head) else "部门"
    if final_at >= 0 and (budget_at < 0 or final_at < budget_at):
        return f"{scope}决算"
    return f"{scope}预算"


def default_unit(captions: list[str]) -> Unit:
    units = [u for c in captions if (u := find_unit(c)) is not None]
    if units:
        return Counter(units).most_common(1)[0][0]
    return Unit.WAN_YUAN
