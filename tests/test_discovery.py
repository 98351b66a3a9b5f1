"""Discovery over the demo portal: pagination, detail pages, attachments and decoys."""

from __future__ import annotations

from tests.conftest import SAVED_PAGES
from yusuan.demo.server import PortalServer
from yusuan.demo.site import demo_column
from yusuan.discover.crawler import crawl
from yusuan.discover.links import judge_attachment, page_links, pagination_urls, viewer_target
from yusuan.fetch.http import HttpConfig, RetryPolicy, make_client
from yusuan.fetch.robots import RobotsCache

POLICY = RetryPolicy(attempts=2, backoff_seconds=0.01, backoff_max_seconds=0.02)


def test_crawl_finds_every_budget_pdf_and_no_decoy() -> None:
    column = demo_column()
    expected = {a.name for art in column.articles for a in art.attachments if a.name.endswith(".pdf")}
    with PortalServer([column]) as portal, make_client(HttpConfig("yusuan-tests")) as client:
        result = crawl(portal.entry_url, client, "demo", POLICY, robots=RobotsCache(client, "yusuan-tests"))
    found = {d.link_text for d in result.disclosures}
    assert found == expected
    skipped = {d.text: d.reason for d in result.decisions if d.kind == "attachment" and not d.taken}
    assert skipped == {"2024年滑县医疗保障局部门预算公开表.xls": "not a PDF attachment (excel)"}
    news = [d for d in result.decisions if d.kind == "page" and "宣传月" in d.text]
    assert news and not news[0].taken
    assert all(p.error is None for p in result.pages)
    # Both list pages were visited: the second one is only announced by script and 下一页.
    assert sum(p.kind == "list" for p in result.pages) == column.page_count == 2


def test_page_budget_stops_the_crawl() -> None:
    with PortalServer() as portal, make_client(HttpConfig("yusuan-tests")) as client:
        result = crawl(portal.entry_url, client, "demo", POLICY, max_pages=2)
    assert len(result.pages) == 2


def test_robots_disallow_is_obeyed() -> None:
    with PortalServer() as portal, make_client(HttpConfig("yusuan-tests")) as client:
        robots = RobotsCache(client, "yusuan-tests")
        assert robots.allowed(portal.entry_url)
        assert not robots.allowed(portal.base_url + "/admin/index.html")


def test_create_page_html_announces_list_pages() -> None:
    html = '<script>createPageHTML(3, 0, "index", "html");</script>'
    assert pagination_urls(html, "http://x.gov.cn/czys/index.html") == [
        "http://x.gov.cn/czys/index.html",
        "http://x.gov.cn/czys/index_1.html",
        "http://x.gov.cn/czys/index_2.html",
    ]


def test_links_from_viewers_and_embeds() -> None:
    html = """<html><head><title>2024年部门预算公开</title></head><body>
    <iframe src="/pdfjs/web/viewer.html?file=%2Fuploads%2Fys2024.pdf"></iframe>
    <embed src="files/ys2024b.pdf"><a href="javascript:void(0)">x</a></body></html>"""
    title, links = page_links(html, "http://x.gov.cn/a/b/page.html")
    targets = {viewer_target(link.url) or link.url for link in links}
    assert targets == {"http://x.gov.cn/uploads/ys2024.pdf", "http://x.gov.cn/a/b/files/ys2024b.pdf"}
    assert all(judge_attachment(link, title).taken for link in links)


def test_a_viewer_target_keeps_its_own_escapes_and_a_twice_encoded_one_is_decoded() -> None:
    # quote("/attachment/%5B2025%5D预算.pdf"): the target's own escapes, encoded for the query.
    once = "http://x.gov.cn/pdfjs/web/viewer.html?file=%2Fattachment%2F%255B2025%255D%25E9%25A2%2584.pdf"
    assert viewer_target(once) == "http://x.gov.cn/attachment/%5B2025%5D%E9%A2%84.pdf"
    twice = "http://x.gov.cn/viewer.html?file=%252Fuploads%252Fys2024.pdf"
    assert viewer_target(twice) == "http://x.gov.cn/uploads/ys2024.pdf"
    absolute = "http://x.gov.cn/viewer.html?file=http%253A%252F%252Fy.gov.cn%252Fa.pdf"
    assert viewer_target(absolute) == "http://y.gov.cn/a.pdf"


def test_a_bracketed_name_behind_a_viewer_downloads_from_a_strict_server() -> None:
    """The demo portal finds a file by its path as sent, as many servers do: a document number
    such as 长财文指[2025]037号 in the name must be asked for as linked (%5B…%5D)."""
    from yusuan.demo.site import Article, Attachment, Column

    names = ["长财文指[2025]037号预算.pdf", "2025年部门预算(草案).pdf"]
    column = Column("/c1/bmys/", "部门预算", name="brackets", style="gbk")
    for number, name in enumerate(names):
        attachment = Attachment(name, b"%PDF-1.4 " + name.encode(), via="viewer")
        article = Article(f"b{number}", f"部门预算公开 {number}", "2026-02-01", "详见附件。", (attachment,))
        column.articles.append(article)
    with PortalServer([column]) as portal, make_client(HttpConfig("yusuan-tests")) as client:
        result = crawl(portal.entry_url, client, "demo", POLICY)
        assert sorted(d.link_text for d in result.disclosures) == sorted(names)
        for disclosure in result.disclosures:
            response = client.get(disclosure.url)
            assert response.status_code == 200, disclosure.url
            assert response.content.endswith(disclosure.link_text.encode())


def test_real_zhengzhou_detail_page() -> None:
    page = SAVED_PAGES / "016_郑州_民政局_2026年部门预算.html"
    title, links = page_links(page.read_text(encoding="utf-8"), "https://public.zhengzhou.gov.cn/D12Y/1.jhtml")
    taken = [link for link in links if judge_attachment(link, title).taken]
    assert len(taken) == 1
    assert taken[0].url.startswith("https://public.zhengzhou.gov.cn/attachment/2026")
    assert taken[0].text == "2026年郑州市民政局机关单位预算公开.pdf"


def test_real_changsha_list_page_pagination() -> None:
    page = SAVED_PAGES / "015_长沙_商务局_2026年部门预算.html"
    urls = pagination_urls(page.read_text(encoding="utf-8"), "http://czj.changsha.gov.cn/x/index.html")
    assert urls[-1].endswith("index_2.html") and len(urls) == 3


def test_file_and_ftp_links_are_refused_with_the_reason() -> None:
    from yusuan.discover.links import PageLink, judge_attachment

    for url in ("file:///etc/passwd.pdf", "ftp://ftp.example.gov.cn/2026年部门预算.pdf"):
        verdict = judge_attachment(PageLink(url, "2026年部门预算", "a"), "部门预算公开")
        assert not verdict.taken and "not an http(s) link" in verdict.reason
    verdict = judge_attachment(PageLink("https://x.gov.cn/a/2026年部门预算.pdf", "2026年部门预算", "a"), "部门预算")
    assert verdict.taken


def test_a_page_nested_a_hundred_thousand_deep_is_recorded_not_parsed() -> None:
    """HTML5 tree building is quadratic in depth (a minute for this page): the crawl records the
    page as failed with the reason and goes on with the others."""
    import dataclasses

    column = demo_column()
    hostile = column.articles[0]
    nested = "<div>" * 100_000 + "深" + "</div>" * 100_000
    column.articles[0] = dataclasses.replace(hostile, raw_html=nested)
    with PortalServer([column]) as portal, make_client(HttpConfig("yusuan-tests")) as client:
        result = crawl(portal.entry_url, client, "demo", POLICY)
    refused = [p for p in result.pages if p.error]
    assert [p.url.rsplit("/", 1)[-1] for p in refused] == [hostile.href.rsplit("/", 1)[-1]]
    assert refused[0].error == "page nested deeper than 5000 elements: not parsed"
    assert len(result.disclosures) == 2  # the other two budgets


def test_real_portal_pages_are_far_from_the_nesting_bound() -> None:
    from yusuan.discover.links import too_deep

    pages = [p for p in SAVED_PAGES.glob("*") if p.is_file() and p.suffix != ".tsv"]
    assert pages
    assert not any(too_deep(p.read_bytes().decode("utf-8", "ignore"), 100) for p in pages)
    assert too_deep("<section>" * 101, 100) and not too_deep("<p>" * 10_000 + "<br>" * 10_000, 100)
