"""Walk a portal from its entry URL: list pages and their pagination, detail pages, attachments.

Breadth-first with a page budget; every page visited and every attachment link judged is
recorded, taken or not, with the reason.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import unquote, urldefrag, urlsplit

import httpx

from yusuan.discover.links import (
    MAX_NESTING,
    Verdict,
    attachment_kind,
    dataproxy_urls,
    embedded_records,
    is_disclosure_page_link,
    is_pagination_link,
    judge_attachment,
    page_links,
    pagination_urls,
    too_deep,
    viewer_target,
)
from yusuan.fetch.http import PAGE_LIMITS, BodyLimits, FetchError, RetryPolicy, get_page
from yusuan.fetch.offsite import HostPolicy
from yusuan.fetch.politeness import RequestGate
from yusuan.fetch.robots import RobotsCache
from yusuan.models import DisclosureLink, DiscoveryResult, LinkDecision, PageVisit, RememberedPage

log = logging.getLogger(__name__)


def _same_site(url: str, allowed_hosts: set[str]) -> bool:
    return urlsplit(url).hostname in allowed_hosts


def _refused_attachment(url: str, policy: HostPolicy | None, robots: RobotsCache | None) -> str | None:
    if policy is not None and (refused := policy.refusal(url, attachment=True)):
        return refused
    if robots is not None and urlsplit(url).hostname in (policy.hosts if policy else ()) and not robots.allowed(url):
        return f"disallowed by robots.txt: {url}"
    return None


def crawl(
    entry_url: str,
    client: httpx.Client,
    portal: str,
    policy: RetryPolicy,
    max_pages: int = 200,
    allowed_hosts: set[str] | None = None,
    robots: RobotsCache | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RequestGate | None = None,
    page_limits: BodyLimits = PAGE_LIMITS,
    host_policy: HostPolicy | None = None,
    stopped: Callable[[], bool] | None = None,
    found: Callable[[DisclosureLink], object] | None = None,
    remembered: Callable[[str], RememberedPage | None] | None = None,
) -> DiscoveryResult:
    """Walk a portal's disclosure list from ``entry_url``; ``host_policy`` says which attachment
    links may be taken (their host, their address), the others are recorded with the reason.
    ``stopped`` is asked before each page: True ends the crawl there. ``found`` is given each
    disclosure the moment it is taken (once per URL), so that its download can start while the
    crawl goes on; the result lists the same disclosures, in the same order.

    ``remembered`` gives a detail page as a recent crawl read it (None: read it now): its links
    are replayed without a request. List pages are always read: new disclosures appear there.
    """
    result = DiscoveryResult(portal=portal, entry_url=entry_url)
    announced: set[str] = set()
    hosts = allowed_hosts or {urlsplit(entry_url).hostname or ""}
    if host_policy is not None:
        hosts = set(host_policy.hosts)
    queue: deque[tuple[str, str]] = deque([(entry_url, "list")])
    queued = {entry_url}
    judged: set[tuple[str, str]] = set()

    def take(decision: LinkDecision, title: str) -> None:
        result.decisions.append(decision)
        if decision.taken and found is not None and decision.url not in announced:
            announced.add(decision.url)
            found(DisclosureLink(decision.url, decision.page_url, decision.text, title, portal))

    def enqueue(url: str, kind: str) -> None:
        url = urldefrag(url).url
        # "column/" and "column/index.html" are one page on these CMSs.
        alias = url + "index.html" if url.endswith("/") else url
        if url not in queued and alias not in queued and _same_site(url, hosts):
            queued.add(url)
            queue.append((url, kind))

    while queue:
        if stopped is not None and stopped():
            result.stopped = True
            break
        if len(result.pages) >= max_pages:
            log.warning("page budget of %d reached for %s; %d pages left unvisited", max_pages, portal, len(queue))
            result.budget_reached = True
            break
        url, kind = queue.popleft()
        if kind == "detail" and remembered is not None and (memory := remembered(url)) is not None:
            result.pages.append(PageVisit(url, kind, memory.http_status, memory.title, remembered=True))
            for decision in memory.decisions:
                if (url, decision.url) not in judged:
                    judged.add((url, decision.url))
                    take(decision, memory.title)
            continue
        if robots is not None and not robots.allowed(url):
            result.pages.append(PageVisit(url, kind, None, "", "disallowed by robots.txt"))
            continue
        try:
            response, html = get_page(client, url, policy, sleep=sleep, limiter=limiter, limits=page_limits)
        except FetchError as exc:
            result.pages.append(PageVisit(url, kind, exc.status, "", str(exc)))
            continue
        if too_deep(html):
            error = f"page nested deeper than {MAX_NESTING} elements: not parsed"
            result.pages.append(PageVisit(url, kind, response.status_code, "", error))
            continue
        records = embedded_records(html)
        title, links = page_links(html + records, str(response.url))
        result.pages.append(PageVisit(url, kind, response.status_code, title))
        if kind == "list":
            for page_url in pagination_urls(html, str(response.url)) + dataproxy_urls(html, str(response.url)):
                enqueue(page_url, "list")
        for link in links:
            target = viewer_target(link.url) or link.url
            if attachment_kind(target) is not None:
                key = (url, target)
                if key not in judged:
                    judged.add(key)
                    verdict = judge_attachment(link, title)
                    if verdict.taken and (refused := _refused_attachment(target, host_policy, robots)):
                        verdict = Verdict(False, refused)
                    # An <iframe>/<embed> has no link text: the file name stands in for it.
                    text = link.text or unquote(urlsplit(target).path.rsplit("/", 1)[-1])
                    take(LinkDecision(url, target, text, "attachment", verdict.taken, verdict.reason), title)
            elif kind != "list":
                continue
            elif is_pagination_link(link):
                enqueue(link.url, "list")
            elif is_disclosure_page_link(link) and _same_site(link.url, hosts):
                enqueue(link.url, "detail")
                result.decisions.append(LinkDecision(url, link.url, link.text, "page", True, "disclosure detail page"))
            elif link.text and (url, link.url) not in judged:
                judged.add((url, link.url))
                result.decisions.append(
                    LinkDecision(url, link.url, link.text, "page", False, "not a budget disclosure page")
                )
    return result
