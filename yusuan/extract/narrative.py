"""Key figures stated in the running text (收入总计 … 万元), for cross-checks and for documents
whose tables are published separately (table-only 公开表 files, narrative-only 说明 files)."""

from __future__ import annotations

import re
from decimal import Decimal

from yusuan.models import Figure
from yusuan.normalise.amounts import Unit, to_yuan

_NUMBER = r"([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|元)"
# Each label must be followed directly by its amount: "收入总计9187.2万元", "基本支出4870.4万元";
# comparisons ("比2022年增加1357.5万元") never match because the label is not right before them.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(label + r"(?:支出)?(?:预算)?(?:安排)?(?:数|总额|总计)?(?:为|是|共|合计)?[:：]?" + _NUMBER))
    for name, label in (
        ("income_total", r"收入(?:预算)?总计"),
        ("expenditure_total", r"支出(?:预算)?总计"),
        ("income_total", r"收入(?:预算)?合计"),
        ("expenditure_total", r"支出(?:预算)?合计"),
        ("basic_expenditure", r"(?<!一般公共预算)基本支出"),
        ("project_expenditure", r"项目支出"),
        ("three_public_total", r"[“\"]?三公[”\"]?经费(?:支出)?"),
        ("admin_operating_cost", r"(?:机关运行经费|机构运转经费|运转经费)"),
        ("government_procurement", r"政府采购"),
    )
)
TEXT_PRIORITY = 100


def narrative_figures(text: str) -> list[Figure]:
    """The first statement of each key figure in the text, in yuan, marked as read from the text."""
    compact = re.sub(r"\s+", "", text)
    figures: dict[str, Figure] = {}
    for name, pattern in _PATTERNS:
        if name in figures:
            continue
        match = pattern.search(compact)
        if not match:
            continue
        amount = to_yuan(Decimal(match.group(1).replace(",", "").replace("，", "")), Unit(match.group(2)))
        if amount is not None:
            figures[name] = Figure(name, amount, "text", TEXT_PRIORITY, None, source="text")
    return list(figures.values())
