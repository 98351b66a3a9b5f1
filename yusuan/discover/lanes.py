"""Which entries of a portal group may be crawled at the same time.

A run's politeness (requests in flight per host, least time between two request starts) is kept
by its own limiter, so two runs of one process crawling the same host at once would each keep it
and together break it. A group run therefore puts its entries in *lanes*: two entries that can
send a request to a common host (their entry hosts, allowed hosts or attachment hosts meet) are
in the same lane, directly or through other entries, and one lane runs its entries one after the
other. Different lanes share no host, so they run side by side: a group of portals on many hosts
is bounded by its slowest host, not by the sum of them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yusuan.discover.registry import PortalConfig
from yusuan.fetch.offsite import HostPolicy


@dataclass(frozen=True, slots=True)
class PortalEntry:
    """One entry URL of a portal: what one ``ingest`` run crawls."""

    portal: PortalConfig
    entry_url: str
    # Where portals.yaml lists it among the entries of the run: the order results are reported in.
    position: int = 0

    @property
    def hosts(self) -> frozenset[str]:
        """Every host this entry's run may request: the off-site policy's, so the lanes and the
        requests agree by construction."""
        policy = HostPolicy.for_portal(self.entry_url, self.portal.allowed_hosts, self.portal.attachment_hosts)
        return policy.hosts | policy.attachment_hosts


def portal_entries(portals: Iterable[PortalConfig]) -> list[PortalEntry]:
    """The entries of ``portals`` in the order portals.yaml lists them."""
    pairs = [(portal, url) for portal in portals for url in portal.entry_urls]
    return [PortalEntry(portal, url, position) for position, (portal, url) in enumerate(pairs)]


def host_lanes(entries: Sequence[PortalEntry]) -> list[list[PortalEntry]]:
    """``entries`` split into lanes that share no host, each in the given order; lanes ordered by
    their first entry."""
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with_host: dict[str, int] = {}
    for i, entry in enumerate(entries):
        for host in entry.hosts:
            j = first_with_host.setdefault(host, i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the lane's root is its first entry
    lanes: dict[int, list[PortalEntry]] = {}
    for i, entry in enumerate(entries):
        lanes.setdefault(root(i), []).append(entry)
    return [lanes[key] for key in sorted(lanes)]
