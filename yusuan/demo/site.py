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

ASSETS = resources.files("yusuan.demo") / "assets"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # file name as shown and linked, e.g. 2023年郑州市医疗保障局部门预算公开.pdf
    content: bytes
    content_type: str = "application/pdf"
    # How the detail page links it: direct | download_jsp | viewer | iframe | embed
    via: str = "direct"
    # Another host of the same government serving the file (absolute link), e.g. "localhost".
    host: str | None = None

    @property
    def file_path(self) -> str:
        """Where the bytes are served (the Zhengzhou ``/attachment/<name>?<token>`` pattern)."""
        return f"/attachment/{quote(self.name)}"

    @property
    def download_id(self) -> int:
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:8], 16)

    @property
    def href(self) -> str:
        token = hashlib.sha256(self.name.encode()).hexdigest()[:24]
        if self.via == "download_jsp":
            return f"/module/download/download.jsp?id={self.download_id}"
        if self.via == "viewer":
            return f"/pdfjs/web/viewer.html?file={quote(self.file_path)}"
        return f"{self.file_path}?{token}"

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
    # Markup put in the page as is (the body is escaped): hostile pages in tests.
    raw_html: str = ""

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
    name: str = "demo"  # portal name used in lineage and run names
    # static: createPageHTML + 下一页; gbk: GB2312 pages with 下一页/尾页 links; dataproxy: a
    # Hanweb-style list whose records come as XML from /module/web/jpage/dataproxy.jsp.
    style: str = "static"

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
    if column.style == "gbk":
        return _render_gbk_list_page(column, index)
    if column.style == "dataproxy":
        return _render_dataproxy_index(column)
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


def _attachment_html(a: Attachment, other_host_base: str) -> str:
    href = (other_host_base + a.href) if a.host else a.href
    if a.via == "iframe":
        return f'<iframe src="{href}" width="100%" height="800"></iframe>'
    if a.via == "embed":
        return f'<embed src="{href}" type="application/pdf">'
    return f'<p><a href="{href}" target="_blank">{html.escape(a.name)}</a></p>'


def render_article(column: Column, article: Article, other_host_base: str = "") -> str:
    links = "\n".join(_attachment_html(a, other_host_base) for a in article.attachments)
    charset = "gb2312" if column.style == "gbk" else "utf-8"
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><meta name="ArticleTitle" content="{html.escape(article.title)}">
<title>{html.escape(article.title)}_演示门户</title></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="{column.path}">{column.title}</a></div>
<h1>{html.escape(article.title)}</h1><div class="date">发布日期：{article.date}</div>
<div class="content"><p>{html.escape(article.body)}</p>{article.raw_html}
<div class="attachments">附件：
{links}
</div></div>
</body></html>"""


def render_home(columns: list[Column]) -> str:
    links = "".join(f'<li><a href="{c.path}index.html">{c.title}</a></li>' for c in columns)
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>演示门户</title></head>'
    return f"{head}<body><ul>{links}</ul></body></html>"


def _item(a: Article, prefix: str = "") -> str:
    href = prefix + a.href
    return f'<li><a href="{href}" title="{html.escape(a.title)}">{html.escape(a.title)}</a><span>{a.date}</span></li>'


def _render_gbk_list_page(column: Column, index: int) -> str:
    """A GB2312 page (charset only in <meta>), paged by 下一页 / 尾页 and numbered links only."""
    items = column.articles[index * column.per_page : (index + 1) * column.per_page]
    numbers = " ".join(
        f'<a href="{_page_name(i)}">{i + 1}</a>' if i != index else f"<span>{i + 1}</span>"
        for i in range(column.page_count)
    )
    nav = f'<a href="{_page_name(index + 1)}">下一页</a>' if index + 1 < column.page_count else ""
    nav += f' <a href="{_page_name(column.page_count - 1)}">尾页</a>'
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{html.escape(column.title)}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/xwdt/">新闻动态</a></div>
<ul>{"".join(_item(a) for a in items)}</ul>
<div class="page">{numbers} {nav}</div></body></html>"""


DATAPROXY = "/module/web/jpage/dataproxy.jsp"


def _records_xml(column: Column, items: list[Article]) -> str:
    # Hanweb records link detail pages by absolute path: they are fetched from dataproxy.jsp.
    return "".join(f"<record><![CDATA[{_item(a, column.path)}]]></record>" for a in items)


def _render_dataproxy_index(column: Column) -> str:
    """A Hanweb jpage list: the first group of records embedded as XML in the page, the rest
    announced by totalRecord/perPage and fetched from dataproxy.jsp."""
    group = column.per_page * 3
    first = column.articles[:group]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(column.title)}</title>
<script src="/module/jslib/jquery/jpage/dataproxy.js"></script></head><body>
<div id="div1"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{DATAPROXY}?page=1&columnid=4242&unitid=77&perpage={column.per_page}"></a>]]></nextgroup>
<recordset>{_records_xml(column, first)}</recordset></datastore></script>
<script>$('#div1').jpage({{dataStore: dataStore, totalRecord: {len(column.articles)}, perPage: {column.per_page},
proxyUrl: '{DATAPROXY}', groupSize: 3}});</script></div></body></html>"""


def render_dataproxy(column: Column, start: int, end: int) -> str:
    items = column.articles[max(0, start - 1) : end]
    return (
        f'<?xml version="1.0" encoding="utf-8"?><datastore><totalrecord>{len(column.articles)}</totalrecord>'
        f"<recordset>{_records_xml(column, items)}</recordset></datastore>"
    )
