"""The three demo portals: one per CMS pattern, with generated budgets for many agencies and
years, the corpus budgets, and decoys (news, non-PDF attachments, 决算, unrelated PDFs).

Built deterministically; the PDFs are rendered on first use and kept in memory.
"""

from __future__ import annotations

import dataclasses

from yusuan.demo.site import Article, Attachment, Column, demo_column
from yusuan.synth.model import Project, SynthBudget, generate_budget
from yusuan.synth.render import render_budget

NEWS = [
    "关于开展医保基金监管集中宣传月活动的通知",
    "我局召开2024年度党风廉政建设工作会议",
    "关于公布定点医药机构名单的公告",
    "局领导带队开展安全生产检查",
    "关于征求意见稿公开征求意见的通知",
    "政务公开工作年度报告",
    "关于印发工作要点的通知",
    "优化营商环境新闻发布会实录",
    "政府信息公开指南",
    "关于做好节日期间值班工作的通知",
    "部门职责和机构设置",
]


def _budget_article(budget: SynthBudget, slug: str, via: str, host: str | None = None, suffix: str = "") -> Article:
    kind = budget.doc_kind
    title = f"{budget.agency}{budget.year}年{kind}公开{suffix}"
    name = f"{budget.year}年{budget.agency}{kind}{suffix}.pdf"
    return Article(
        slug,
        title,
        f"{budget.year}-02-{10 + int(slug[-2:]) % 18:02d}",
        f"{budget.agency}{budget.year}年{kind}，详见附件。",
        (Attachment(name, render_budget(budget), via=via, host=host),),
    )


def corrected(budget: SynthBudget) -> SynthBudget:
    """The same filing re-published with one project amount corrected (and its line with it)."""
    delta = budget.quantum * 100
    line = next(x for x in budget.lines if x.project)
    lines = [dataclasses.replace(x, project=x.project + delta) if x is line else x for x in budget.lines]
    projects = list(budget.projects)
    projects[0] = Project(projects[0].name, projects[0].ptype, projects[0].unit_name, projects[0].amount + delta)
    return dataclasses.replace(budget, lines=lines, projects=projects)


def _decoys(column: Column, prefix: str, year: int) -> None:
    for i, title in enumerate(NEWS[:7]):
        column.articles.append(Article(f"{prefix}news{i:02d}", title, f"{year}-03-{i + 1:02d}", title))
    column.articles += [
        Article(
            f"{prefix}x01",
            "预算公开表格下载（Excel版）",
            f"{year}-02-28",
            "表格",
            (Attachment(f"{year}年部门预算公开表.xls", b"\xd0\xcf\x11\xe0 xls", "application/vnd.ms-excel"),),
        ),
        Article(
            f"{prefix}x02",
            "预算公开资料压缩包",
            f"{year}-02-27",
            "压缩包",
            (Attachment(f"{year}年预算资料.zip", b"PK\x03\x04 zip", "application/zip"),),
        ),
        Article(
            f"{prefix}x03",
            "政策解读：门诊共济",
            f"{year}-04-01",
            "解读",
            (Attachment("政策解读.pdf", b"%PDF-1.4 not a budget", "application/pdf"),),
        ),
    ]


def demo_portals(generated_per_portal: int = 10) -> list[Column]:
    """henan-ybj (static pages), city-czj (GB2312, download.jsp, PDF viewer), province-czt
    (Hanweb dataproxy list, iframe/embed, attachments on another host)."""
    first = demo_column()
    first.name = "henan-ybj"
    seeds = iter(range(500, 10_000))

    def budget(kind: str | None = None) -> SynthBudget:
        b = generate_budget(next(seeds))
        return dataclasses.replace(b, doc_kind=kind) if kind else b

    for i in range(generated_per_portal - 2):
        first.articles.append(_budget_article(budget(), f"t2024{i:04d}", "direct"))

    second = Column("/czj/bmys/", "部门预算公开", name="city-czj", style="gbk", per_page=5)
    original = budget("部门预算")
    vias = ["download_jsp", "viewer", "direct"]
    for i in range(generated_per_portal):
        second.articles.append(_budget_article(budget(), f"g2025{i:04d}", vias[i % 3]))
    second.articles.append(_budget_article(original, "g20250090", "download_jsp"))
    second.articles.append(_budget_article(corrected(original), "g20250091", "download_jsp", suffix="（更正）"))
    second.articles.append(_budget_article(budget("部门决算"), "g20250092", "direct"))
    _decoys(second, "g", 2025)

    third = Column("/czt/ysgk/", "省级部门预算", name="province-czt", style="dataproxy", per_page=6)
    hosts = [None, "localhost"]
    for i in range(generated_per_portal):
        third.articles.append(
            _budget_article(budget(), f"p2026{i:04d}", ["iframe", "embed", "direct"][i % 3], hosts[i % 2])
        )
    # The same file as on henan-ybj: one document with two sources.
    shared = first.articles[0].attachments[0]
    third.articles.append(
        Article(
            "p20260099",
            "郑州市医疗保障局2023年部门预算公开（转载）",
            "2023-02-20",
            "转载",
            (dataclasses.replace(shared, name="转载-2023年郑州市医疗保障局部门预算公开.pdf"),),
        )
    )
    third.articles.append(_budget_article(budget("部门决算"), "p20260092", "direct"))
    _decoys(third, "p", 2026)
    _decoys(first, "h", 2024)
    return [first, second, third]
