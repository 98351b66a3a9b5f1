"""Key figures stated in the running text (收入总计 … 万元), for cross-checks and for documents
whose tables are published separately (table-only 公开表 files, narrative-only 说明 files)."""

from __future__ import annotations

import re
from decimal import Decimal

from yusuan.models import Figure
from yusuan.normalise.amounts import Unit, to_yuan

_NUMBER = r"([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|元)"
_CONNECTOR = r"(?:支出)?(?:预算)?(?:安排)?(?:数|总额|总计)?(?:为|是|共计|共|合计|达)?[:：]?"
# "收入预算" / "支出预算" name the whole budget only as a sentence's subject: after a year
# ("2026年度收入预算…"), a heading or punctuation. After 一般公共, 拨款, 基金 … it is a part.
_SUBJECT = r"(?:(?<=[年度。，；：:、）)])|(?<=部门)|(?<=单位)|(?<=说明)|^)"
# Each label must be followed directly by its amount: "收入总计9187.2万元", "基本支出4870.4万元";
# comparisons ("比2022年增加1357.5万元") never match because the label is not right before them.
# A 其中 amount is never a total: the total labels below cannot start a 其中 clause.
_LABELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("income_total", "expenditure_total"), r"收支(?:总预算|预算总额|预算总计|预算合计)"),
    (("income_total", "expenditure_total"), r"收入?[、和及与]支出?预算(?:总计|合计|总额)"),
    (("income_total",), r"收入(?:预算)?总计|收入(?:预算)?合计|预算总收入|总收入预算|收入总预算|收入预算总额"),
    (("income_total",), r"(?:部门|单位)预算总?收入"),
    (("income_total",), _SUBJECT + r"(?:收入预算|总收入)"),
    (("expenditure_total",), r"支出(?:预算)?总计|支出(?:预算)?合计|预算总支出|总支出预算|支出总预算|支出预算总额"),
    (("expenditure_total",), r"(?:部门|单位)预算总?支出"),
    (("expenditure_total",), _SUBJECT + r"(?:支出预算|总支出)"),
    (("basic_expenditure",), r"(?<!一般公共预算)基本支出"),
    (("project_expenditure",), r"项目支出"),
    (("three_public_total",), r"[“\"]?三公[”\"]?经费(?:支出)?"),
    (("admin_operating_cost",), r"(?:机关运行经费|机构运转经费|运转经费)"),
    (("government_procurement",), r"政府采购"),
)
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (names, re.compile(f"(?:{label}){_CONNECTOR}{_NUMBER}")) for names, label in _LABELS
)
# Page numbers printed in the running text ("-5-", "—12—") split sentences across pages.
_PAGE_MARK = re.compile(r"[-—–]\d{1,3}[-—–]")
TEXT_PRIORITY = 100
# The two figures that say how big a budget is (and what a 其中 clause never states).
TOTAL_NAMES = frozenset({"income_total", "expenditure_total"})


def narrative_figures(text: str, fiscal_year: int | None = None) -> list[Figure]:
    """The first statement of each key figure in the text, in yuan, marked as read from the text.

    Labels are tried in order (an explicit 总计 before a sentence's subject), so "收入预算总计" wins
    over a "收入预算" said in passing; an amount said of another year than ``fiscal_year``
    ("2016年度部门支出预算安排为…") is a comparison, never the budget's figure."""
    compact = _PAGE_MARK.sub("", re.sub(r"\s+", "", text))
    figures: dict[str, Decimal] = {}
    for names, pattern in _PATTERNS:
        if all(name in figures for name in names):
            continue
        for match in pattern.finditer(compact):
            if fiscal_year is not None and _other_year(compact, match.start(), fiscal_year):
                continue
            if TOTAL_NAMES & set(names) and _inside_qizhong(compact, match.start()):
                continue
            if _part_of_itself(compact, match):
                continue
            amount = to_yuan(Decimal(match.group(1).replace(",", "").replace("，", "")), Unit(match.group(2)))
            if amount is None:
                continue
            for name in names:
                figures.setdefault(name, amount)
            break
    return [Figure(name, amount, "text", TEXT_PRIORITY, None, source="text") for name, amount in figures.items()]


def _inside_qizhong(text: str, start: int) -> bool:
    """Whether ``start`` lies in a 其中 enumeration (from 其中 to the end of its sentence): the
    parts of a total, never a total."""
    before = text[max(0, start - 200) : start]
    at = before.rfind("其中")
    return at >= 0 and not re.search(r"[。；;]", before[at:])


def _part_of_itself(text: str, match: re.Match[str]) -> bool:
    """Whether the match lies in a 其中 clause that breaks down the same label stated earlier in
    its sentence ("项目支出3,000万元，其中：特定目标类项目支出1,200万元"): a part, not the figure."""
    before = text[max(0, match.start() - 200) : match.start()]
    at = before.rfind("其中")
    if at < 0 or re.search(r"[。；;]", before[at:]):
        return False
    sentence = re.split(r"[。；;]", before[:at])[-1]
    label = re.match(r"\D+", match.group(0))
    return label is not None and label.group(0)[:4] in sentence


_YEAR_BEFORE = re.compile(r"(20\d{2})年度?(?:部门|单位)?$")


def _other_year(text: str, start: int, fiscal_year: int) -> bool:
    match = _YEAR_BEFORE.search(text[max(0, start - 10) : start])
    return match is not None and int(match.group(1)) != fiscal_year
