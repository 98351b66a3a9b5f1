"""Table titles → canonical table kinds.

Titles vary by place and year (收支总体情况表 / 财务收支预算总表 / 收支总表, 部门 / 单位 prefixes,
预算N表 numbering); the kind is decided from the title's words, most specific pattern first.
"""

from __future__ import annotations

import re

from yusuan.models import TableKind

TABLE_KINDS = tuple(TableKind)

# Order matters: "一般公共预算“三公”经费支出表" is three_public, not general_budget_expenditure;
# "财政拨款收支总体情况表" is fiscal_appropriation_summary, not income_expenditure_summary.
_RULES: tuple[tuple[TableKind, re.Pattern[str]], ...] = tuple(
    (TableKind(kind), re.compile(pattern))
    for kind, pattern in (
        ("performance_targets", r"绩效目标|绩效指标"),
        ("three_public", r"三公"),
        ("other", r"机关运行经费|机构运[行转]经费|政府采购|中期财政规划|资产|转移支付|政府购买服务"),
        ("state_capital_expenditure", r"国有资本经营预算.*(支出|预算表)"),
        ("gov_fund_expenditure", r"政府性基金.*(支出|预算表)"),
        ("project_expenditure", r"项目支出|项目预算表|项目表"),
        ("general_budget_basic_expenditure", r"基本支出"),
        ("economic_classification_summary", r"经济分类"),
        ("fiscal_appropriation_summary", r"财政拨款收支|财政拨款收入支出"),
        # 公共财政预算 is the name 一般公共预算 had before the 2015 budget law (older archives).
        ("general_budget_expenditure", r"一般公共预算.*支出|公共财政预算.*支出|财政拨款支出"),
        ("income_expenditure_summary", r"收支|收入支出"),
        ("income_summary", r"收入"),
        ("expenditure_summary", r"支出"),
    )
)

_TITLE_SHAPE = re.compile(r"表\s*(?:[（(][^）)]{1,20}[）)])?\s*$")
_NOT_TITLE_START = re.compile(r"^(注|备注|说明|附注|附件[:：]?\s*$|资料来源|填报|-\s*\d)")
_ORDINAL = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|（[一二三四五六七八九十]+）|附件\s*\d*[:：、]?)\s*"
)


def looks_like_title(line: str) -> bool:
    """A short line naming a table (ends in 表, optionally with a parenthesised qualifier)."""
    text = line.strip()
    if not (3 <= len(text) <= 60) or _NOT_TITLE_START.match(text):
        return False
    if "。" in text or "，" in text:
        return False
    return (bool(_TITLE_SHAPE.search(text)) and "预算" in text) or (
        bool(_TITLE_SHAPE.search(text))
        and any(word in text for word in ("收支", "收入", "支出", "三公", "绩效", "拨款", "经费", "项目"))
    )


def strip_title(title: str) -> str:
    text = _ORDINAL.sub("", title.replace(" ", ""))
    return re.sub(r"^\d{4}年度?", "", text)


def classify_title(title: str) -> TableKind:
    text = strip_title(title)
    for kind, pattern in _RULES:
        if pattern.search(text):
            return kind
    return TableKind.OTHER
