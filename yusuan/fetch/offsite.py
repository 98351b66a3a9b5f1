"""Where a portal's requests may go: its own hosts, the hosts its attachments live on, nothing else.

A government site can be misconfigured or compromised: a link to another host, a 302 to an
internal address, a ``file://`` link. Every request, and every redirect hop of it, is checked
here before it is sent. An address on a private, loopback or link-local network is refused unless
the portal entry allows it explicitly (the demo portal and the tests run on 127.0.0.1), or the
operator named that very address as the entry URL's host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from yusuan.fetch.http import FetchError


class OffSite(FetchError):
    """A request the portal's host policy refuses: recorded with the reason, never retried."""


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def _resolves_private(host: str) -> bool:
    try:
        return _private(host)
    except ValueError:
        pass  # a name, not an address literal
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # it will fail to connect, with its own error
    return any(_private(str(info[4][0])) for info in infos)


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """``hosts`` serve pages and attachments; ``attachment_hosts`` serve attachments only."""

    hosts: frozenset[str]
    attachment_hosts: frozenset[str] = frozenset()
    allow_private: bool = False
    # The entry URL's own host: named by the operator, so allowed whatever it resolves to.
    entry_host: str = ""
    _checked: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def for_portal(
        cls,
        entry_url: str,
        allowed_hosts: list[str] | None = None,
        attachment_hosts: list[str] | None = None,
        allow_private: bool = False,
    ) -> HostPolicy:
        entry_host = (urlsplit(entry_url).hostname or "").lower()
        hosts = {h.lower() for h in allowed_hosts or []} | {entry_host}
        return cls(frozenset(hosts), frozenset(h.lower() for h in attachment_hosts or []), allow_private, entry_host)

    def refusal(self, url: str, attachment: bool) -> str | None:
        """Why ``url`` may not be requested (as a page, or as an attachment), or None."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return f"not an http(s) URL ({scheme or 'no'} scheme): {url}"
        host = (parts.hostname or "").lower()
        allowed = self.hosts | self.attachment_hosts if attachment else self.hosts
        if host not in allowed:
            kind = "attachment" if attachment else "page"
            return f"off-site {kind} host {host!r} (allowed: {', '.join(sorted(allowed))}): {url}"
        if host != self.entry_host and not self.allow_private and self._is_private(host):
            return f"host {host!r} is on a private, loopback or link-local address: {url}"
        return None

    def _is_private(self, host: str) -> bool:
        if host not in self._checked:
            self._checked[host] = _resolves_private(host)
        return self._checked[host]

    def request_hook(self, attachment: bool) -> Callable[[httpx.Request], None]:
        """An httpx ``request`` event hook: runs before the first request and every redirect hop."""

        def check(request: httpx.Request) -> None:
            if refused := self.refusal(str(request.url), attachment):
                raise OffSite(refused)

        return check
