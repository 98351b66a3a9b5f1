"""What a link on a portal page is: pagination, a disclosure detail page, an attachment, or noise.

Pure functions over parsed HTML (selectolax), so each portal pattern is tested on saved pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

ATTACHMENT_EXTENSIONS = {
    ".pdf": "pdf",
    ".doc": "word",
    ".docx": "word",
    ".xls": "excel",
    ".xlsx": "excel",
    ".et": "excel",
    ".wps": "word",
    ".zip": "archive",
    ".rar": "archive",
    ".7z": "archive",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".gif": "image",
    ".txt": "text",
}
_DOWNLOAD_ENDPOINT = re.compile(r"download|attach|getfile|fileDown", re.I)
_NEXT_PAGE = re.compile(r"^\s*(下一页|下页|后一页|尾页|末页|>|»|\d{1,3})\s*$")
_CREATE_PAGE = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']\s*\)")
_BUDGET = re.compile(r"预算")
_FINAL = re.compile(r"决算")
_DISCLOSURE_PAGE = re.compile(r"预算|决算|预决算|三公")


@dataclass(frozen=True, slots=True)
class PageLink:
    url: str
    text: str
    tag: str  # a | iframe | embed | object


def page_title(tree: LexborHTMLParser) -> str:
    for selector in ("meta[name=ArticleTitle]", "title"):
        node = tree.css_first(selector)
        if node is None:
            continue
        value = node.attributes.get("content") if node.tag == "meta" else node.text()
        if value and value.strip():
            return value.strip()
    return ""


# HTML5 tree building is quadratic in nesting depth (lexbor takes ~8 s for 30,000 nested <div>s,
# ~60 s for 100,000): a page nested this deep is hostile or broken and is not parsed. Real
# portal pages stay under a few hundred levels even counting unclosed <p>/<li>/<font>.
MAX_NESTING = 5_000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>")
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr p li td th tr option dt dd".split()
)


def too_deep(html: str, limit: int = MAX_NESTING) -> bool:
    """True when the open elements nest deeper than ``limit`` (one linear scan, before parsing)."""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if name.lower() in _VOID or self_closing:
            continue
        depth += -1 if closing else 1
        if depth > limit:
            return True
    return False


def page_links(html: str, base_url: str) -> tuple[str, list[PageLink]]:
    """The page title and every link, iframe, embed and object target, absolutised."""
    tree = LexborHTMLParser(html)
    base = tree.css_first("base[href]")
    base_url = urljoin(base_url, base.attributes.get("href") or "") if base else base_url
    out: list[PageLink] = []
    for node in tree.css("a[href], iframe[src], embed[src], object[data]"):
        attr = {"a": "href", "iframe": "src", "embed": "src", "object": "data"}[node.tag]
        href = (node.attributes.get(attr) or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        text = " ".join((node.text(deep=True) or node.attributes.get("title") or "").split())
        out.append(PageLink(urljoin(base_url, href), text, node.tag))
    return page_title(tree), out


def viewer_target(url: str) -> str | None:
    """``viewer.html?file=/a/b.pdf`` (pdf.js and CMS viewers) → the PDF it shows.

    The parameter, once decoded, is the PDF's URL with its own escapes: a name's ``%5B2025%5D``
    must stay as it is, because a server that looks its files up by the path as sent answers
    ``[2025]`` with a 404 (the national simulation lost two documents so). Only a URL encoded
    twice, still escaped where a URL begins (``%2Fuploads…``, ``http%3A…``), is decoded again."""
    query = parse_qs(urlsplit(url).query)
    for key in ("file", "url", "src", "path"):
        for value in query.get(key, []):
            if ".pdf" in value.lower():
                return urljoin(url, unquote(value) if _ENCODED_AGAIN.match(value) else value)
    return None


_ENCODED_AGAIN = re.compile(r"%2F|[a-z][a-z0-9+.-]*%3A", re.IGNORECASE)


def attachment_kind(url: str) -> str | None:
    """pdf / excel / word / archive / image / text for a file link; None for a page link."""
    path = unquote(urlsplit(url).path).lower()
    for ext, kind in ATTACHMENT_EXTENSIONS.items():
        if path.endswith(ext):
            return kind
    if _DOWNLOAD_ENDPOINT.search(path):
        return "download"  # the type is known only from the response (Content-Disposition)
    return None


def pagination_urls(html: str, page_url: str) -> list[str]:
    """List pages announced by a ``createPageHTML(N, i, "index", "html")`` script call."""
    match = _CREATE_PAGE.search(html)
    if not match:
        return []
    count, _current, stem, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    return [urljoin(page_url, stem + (f"_{i}" if i else "") + "." + ext) for i in range(count)]


def is_pagination_link(link: PageLink) -> bool:
    return (link.tag == "a" and bool(_NEXT_PAGE.match(link.text))) or bool(
        re.search(r"/index_\d+\.s?html?$", urlsplit(link.url).path)
    )


def is_disclosure_page_link(link: PageLink) -> bool:
    return link.tag == "a" and bool(_DISCLOSURE_PAGE.search(link.text)) and attachment_kind(link.url) is None


@dataclass(frozen=True, slots=True)
class Verdict:
    taken: bool
    reason: str


def unfetchable(url: str) -> str | None:
    """Why a link is never fetched whatever it names (``file://``, ``ftp://``, ``javascript:`` …), or None."""
    scheme = urlsplit(url).scheme.lower()
    return None if scheme in ("http", "https") else f"not an http(s) link ({scheme or 'no'} scheme)"


def judge_attachment(link: PageLink, page_title_text: str) -> Verdict:
    """Is this attachment a budget disclosure PDF? Records why, either way."""
    url = viewer_target(link.url) or link.url
    if refused := unfetchable(url):
        return Verdict(False, refused)
    kind = attachment_kind(url)
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    words = f"{link.text} {name}"
    context = f"{words} {page_title_text}"
    if kind not in ("pdf", "download"):
        return Verdict(False, f"not a PDF attachment ({kind})")
    if _FINAL.search(words) and not _BUDGET.search(words):
        # Taken so that it is recorded as what it is (a 决算 document), never loaded as a budget.
        return Verdict(True, "PDF attachment named as final accounts (决算)")
    if _BUDGET.search(words):
        return Verdict(True, "PDF attachment named as a budget (预算)")
    if _BUDGET.search(page_title_text) and not _FINAL.search(page_title_text):
        return Verdict(True, "PDF attachment on a budget disclosure page")
    return Verdict(False, f"PDF attachment without budget wording: {context[:60]!r}")


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_TOTAL = re.compile(r"totalRecord\s*[:=]\s*(\d+)")
_PER_PAGE = re.compile(r"perPage\s*[:=]\s*(\d+)")
_GROUP = re.compile(r"groupSize\s*[:=]\s*(\d+)")
_PROXY = re.compile(r"""(?:proxyUrl\s*[:=]\s*['"]|href=["'])([^'"]*dataproxy\.jsp)(\?[^'"]*)?""")


def embedded_records(html: str) -> str:
    """The HTML fragments a Hanweb-style list keeps in CDATA records (page or dataproxy XML)."""
    return "\n".join(_CDATA.findall(html))


def dataproxy_urls(html: str, page_url: str) -> list[str]:
    """The dataproxy.jsp requests that fetch the records after the first embedded group."""
    total, per_page, proxy = _TOTAL.search(html), _PER_PAGE.search(html), _PROXY.search(html)
    if not (total and per_page and proxy):
        return []
    group = int(per_page.group(1)) * int(_GROUP.search(html).group(1) if _GROUP.search(html) else 3)
    params = parse_qs(urlsplit(proxy.group(2) or "").query)
    extra = "".join(f"&{k}={v[0]}" for k, v in params.items() if k not in ("startrecord", "endrecord", "page"))
    base = urljoin(page_url, proxy.group(1))
    count = int(total.group(1))
    return [
        f"{base}?startrecord={start}&endrecord={min(start + group - 1, count)}&perpage={per_page.group(1)}{extra}"
        for start in range(group + 1, count + 1, group)
    ]


# A fiscal year as titles write it: 2023年, 2023年度, or a bare 2023 next to 预算/决算.
_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?=\s*年|\s*(?:部门|单位)?(?:预算|决算))")


def years_named(text: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(text)}


def wanted_year(link_text: str, page_title_text: str, years: set[int]) -> bool:
    """Whether a disclosure is for one of ``years``, judged from its link text, else its page
    title. A disclosure that names no year is kept: the extractor reads the year from the PDF."""
    named = years_named(link_text) or years_named(page_title_text)
    return not named or bool(named & years)
