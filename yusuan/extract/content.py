"""What a file is, decided from its content: its table set, its title block and its vocabulary.

Portals and crawlers label files wrongly all the time (a website annual report filed under
部门预算, a notice named ``2026年部门预算.pdf``), so the link text and the file name are never
evidence here. A budget proves itself: by the standard tables (收支总表 with its 总计, or several
of the Ministry of Finance set) or, for a 情况说明 published apart from its tables, by a budget
title and the totals its text states. Whatever does not is ``not_budget``, with what it looks like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yusuan.extract.classify import TABLE_KINDS
from yusuan.models import ContentKind, TableKind

# 绩效目标 and 三公 tables also travel alone; the rest of the standard set only makes a budget (or a 决算).
SIDE_TABLE_KINDS = frozenset({TableKind.PERFORMANCE_TARGETS, TableKind.THREE_PUBLIC})
CORE_TABLE_KINDS = frozenset(TABLE_KINDS) - SIDE_TABLE_KINDS - {TableKind.OTHER}
# A file with the 收支总表 and its 总计, or with this many kinds of the standard set, is a budget.
_MIN_CORE_KINDS = 3

_BUDGET_TITLE = re.compile(r"(?:部门|单位)预算|预算(?:情况)?说明|预算公开|预算信息公开|预算报表|收支预算")
# A notice or regulation carries a 文号 such as 惠府办函〔2026〕13号 in its first lines.
_DOC_NUMBER = re.compile(r"[〔\[【(（]\s*(?:19|20)\d{2}\s*[〕\]】)）]\s*\d*\s*号")
_EVALUATION = re.compile(r"绩效自评|绩效评价|评价报告|自评表|自评报告")

# What a non-budget looks like, first match wins; the words are those of the documents' titles.
_NOT_BUDGET_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("website annual report", r"政府网站.{0,4}年度报表|网站工作年度报表"),
        ("information-disclosure annual report", r"信息公开.{0,6}年度报告"),
        ("disclosure request form", r"信息公开申请|申请表"),
        ("performance evaluation", _EVALUATION.pattern),
        ("inspection record", r"检查|抽查|巡视|整改|督查|督察"),
        ("price list", r"价格|收费标准|价目|收费项目"),
        ("government gazette", r"政府公报|人民政府公报"),
        ("notice or regulation", _DOC_NUMBER.pattern + r"|通知|通报|办法|意见|方案|规定|细则|决定|批复|函"),
        ("statistics", r"统计|主要指标|国民经济"),
        ("report", r"报告|总结"),
    )
)


@dataclass(frozen=True, slots=True)
class ContentVerdict:
    kind: ContentKind
    reason: str


def title_lines(opening: str, limit: int = 6) -> list[str]:
    """The first lines of page 1 that carry words (page numbers, dates and lone years skipped)."""
    lines = []
    for raw in opening.splitlines():
        line = raw.strip()
        if not line or re.fullmatch(r"[\d\s\-—.．/年月日()（）]+", line):
            continue
        lines.append(line)
        if len(lines) >= limit:
            break
    return lines


def _what_it_is(head: str, title: str) -> str:
    """What a non-budget looks like from its first lines (``head``), with its ``title``."""
    title = title[:60]
    for name, pattern in _NOT_BUDGET_KINDS:
        if pattern.search(head):
            return f"{name}: {title}" if title else name
    return f"no budget tables and no budget statement: {title}" if title else "no budget tables and no budget text"


def classify_content(
    opening: str,
    table_kinds: Iterable[str],
    table_totals: bool,
    text_totals: bool,
    final_accounts: bool,
) -> ContentVerdict:
    """``opening`` is page 1's text; ``table_kinds`` the kinds of the tables found;
    ``table_totals`` whether a summary table gave 收入/支出总计; ``text_totals`` whether the running
    text states them; ``final_accounts`` whether the title block names a 决算."""
    kinds = set(table_kinds)
    core = kinds & CORE_TABLE_KINDS
    lines = [line.replace(" ", "") for line in title_lines(opening, 15)]
    title, head, contents = "".join(lines[:3]), "".join(lines[:6]), "".join(lines)
    # Only the title itself: a budget's 目录 may well list a 绩效评价 section.
    evaluation = bool(_EVALUATION.search(title))
    if final_accounts and (core or text_totals):
        return ContentVerdict(ContentKind.FINAL_ACCOUNTS, "决算 (final accounts) named in the title block")
    has_summary = "income_expenditure_summary" in kinds and table_totals
    if has_summary or (len(core) >= _MIN_CORE_KINDS and not evaluation):
        found = ", ".join(sorted(core))
        return ContentVerdict(ContentKind.BUDGET_TABLES, f"standard budget tables: {found}")
    # A 说明 without a cover opens on its 目录: its budget words can sit a dozen lines down.
    budget_title = bool(_BUDGET_TITLE.search(contents)) and not _DOC_NUMBER.search(head)
    # A 情况说明 may carry a 绩效目标 table of its own: its stated totals make it the budget's text.
    if not evaluation and budget_title and text_totals:
        return ContentVerdict(ContentKind.BUDGET_TEXT, "budget title, totals stated in the text, no 收支总表")
    if not evaluation and kinds & SIDE_TABLE_KINDS and not core - {"project_expenditure"}:
        side = ", ".join(sorted(kinds & SIDE_TABLE_KINDS))
        return ContentVerdict(ContentKind.BUDGET_OTHER, f"budget-related tables only ({side}), no 收支总表")
    return ContentVerdict(ContentKind.NOT_BUDGET, _what_it_is(head, title))
