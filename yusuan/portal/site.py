"""The demo portal's content: a disclosure column as government CMSs lay it out.

A paginated list (``index.html``, ``index_1.html`` … announced by ``createPageHTML`` and a
下一页 link), detail pages, attachments under ``/attachment/<url-encoded name>.pdf?<token>``
(the Zhengzhou pattern), and decoys: news items and non-budget attachments.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import quote

ASSETS = resources.files("yusuan.portal") / "assets"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # file name as shown and linked, e.g. 2023年郑州市医疗保障局部门预算公开.pdf
    content: bytes
    content_type: str = "application/pdf"

    @property
    def href(self) -> str:
        token = hashlib.sha256(self.name.encode()).hexdigest()[:24]
        return f"/attachment/{quote(self.name)}?{token}"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.content).hexdigest()[:32] + '"'


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    date: str
    body: str
    attachments: tuple[Attachment, ...] = ()

    @property
    def href(self) -> str:
        return f"art/{self.date[:7].replace('-', '')}/{self.slug}.html"


@dataclass(slots=True)
class Column:
    """One disclosure column (栏目) of a portal: what ``index.html`` lists."""

    path: str  # e.g. "/ybj/ysgk/"
    title: str
    articles: list[Article] = field(default_factory=list)
    per_page: int = 4

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.articles) // self.per_page))


def asset_bytes(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def demo_column(extra_pdfs: list[Path] | None = None) -> Column:
    """The default demo: three Henan 医疗保障局 budgets, decoys, and optionally more PDFs."""
    column = Column(path="/ybj/ysgk/", title="预决算公开")
    column.articles = [
        Article(
            "t20230215_001",
            "郑州市医疗保障局2023年部门预算公开",
            "2023-02-15",
            "根据《中华人民共和国预算法》等规定，现将郑州市医疗保障局2023年部门预算公开如下。",
            (Attachment("2023年郑州市医疗保障局部门预算公开.pdf", asset_bytes("zhengzhou-yibao-2023.pdf")),),
        ),
        Article(
            "t20230301_014",
            "关于开展2023年医保基金监管集中宣传月活动的通知",
            "2023-03-01",
            "为进一步加强医疗保障基金监管，决定开展集中宣传月活动。",
            (Attachment("宣传海报.jpg", b"\xff\xd8\xff\xe0 demo image", "image/jpeg"),),
        ),
        Article(
            "t20240205_003",
            "滑县医疗保障局2024年部门预算公开",
            "2024-02-05",
            "滑县医疗保障局2024年部门预算公开，详见附件。",
            (
                Attachment("2024年滑县医疗保障局部门预算公开.pdf", asset_bytes("huaxian-yibao-2024.pdf")),
                Attachment(
                    "2024年滑县医疗保障局部门预算公开表.xls",
                    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 demo spreadsheet",
                    "application/vnd.ms-excel",
                ),
            ),
        ),
        Article(
            "t20240310_020",
            "医保政策解读：门诊共济保障机制",
            "2024-03-10",
            "职工医保门诊共济保障机制改革政策解读。",
            (Attachment("政策解读.docx", b"PK\x03\x04 demo document", "application/msword"),),
        ),
        Article(
            "t20220120_002",
            "济源产城融合示范区医疗保障局（机关）2022年单位预算公开",
            "2022-01-20",
            "济源产城融合示范区医疗保障局（机关）2022年度单位预算说明及表格。",
            (Attachment("济源产城融合示范区医疗保障局2022年单位预算.pdf", asset_bytes("jiyuan-yibao-2022.pdf")),),
        ),
        Article(
            "t20220601_031",
            "2022年医保工作要点",
            "2022-06-01",
            "2022年全区医疗保障工作要点。",
        ),
    ]
    for index, pdf in enumerate(sorted(extra_pdfs or [])):
        title = pdf.stem.replace("__", " ").replace("_", " ")
        column.articles.append(
            Article(
                f"t20260101_{500 + index:03d}", title, "2026-01-01", title, (Attachment(pdf.name, pdf.read_bytes()),)
            )
        )
    return column


def _page_name(index: int) -> str:
    return "index.html" if index == 0 else f"index_{index}.html"


def render_list_page(column: Column, index: int) -> str:
    items = column.articles[index * column.per_page : (index + 1) * column.per_page]
    rows = "\n".join(
        f'<li><a href="{a.href}" title="{html.escape(a.title)}">{html.escape(a.title)}</a><span>{a.date}</span></li>'
        for a in items
    )
    next_link = (
        f'<a href="{_page_name(index + 1)}">下一页</a> <a href="{_page_name(column.page_count - 1)}">尾页</a>'
        if index + 1 < column.page_count
        else ""
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(column.title)}_演示门户</title>
<script>function createPageHTML(n, i, name, ext) {{ /* paging rendered by script on real CMSs */ }}</script>
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/xwzx/">新闻中心</a> <a href="{column.path}">{column.title}</a></div>
<ul class="list">
{rows}
</ul>
<div id="pagediv"><script>createPageHTML({column.page_count}, {index}, "index", "html");</script>
{next_link}</div>
<div class="footer"><a href="http://beian.miit.gov.cn">备案号</a></div>
</body></html>"""


def render_article(column: Column, article: Article) -> str:
    links = "\n".join(
        f'<p><a href="{a.href}" target="_blank">{html.escape(a.name)}</a></p>' for a in article.attachments
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{html.escape(article.title)}">
<title>{html.escape(article.title)}_演示门户</title></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="{column.path}">{column.title}</a></div>
<h1>{html.escape(article.title)}</h1><div class="date">发布日期：{article.date}</div>
<div class="content"><p>{html.escape(article.body)}</p>
<div class="attachments">附件：
{links}
</div></div>
</body></html>"""


def render_home(columns: list[Column]) -> str:
    links = "".join(f'<li><a href="{c.path}index.html">{c.title}</a></li>' for c in columns)
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>演示门户</title></head>'
    return f"{head}<body><ul>{links}</ul></body></html>"
