"""robots.txt, fetched once per host and obeyed."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from yusuan.fetch.http import PAGE_LIMITS, BodyLimits, BodyRejected, FetchError, read_body


class RobotsCache:
    def __init__(self, client: httpx.Client, user_agent: str, limits: BodyLimits = PAGE_LIMITS) -> None:
        self._client = client
        self._agent = user_agent
        self._limits = limits
        self._parsers: dict[str, RobotFileParser] = {}

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parsers.get(origin)
        if parser is None:
            parser = RobotFileParser()
            try:
                with self._client.stream("GET", origin + "/robots.txt") as response:
                    body = b"".join(read_body(response, self._limits)) if response.status_code == 200 else b""
                # No robots.txt (or an error page) means no restrictions, as crawlers read it.
                lines = body.decode("utf-8", errors="replace").splitlines()
            except (httpx.HTTPError, BodyRejected, FetchError):
                lines = []
            parser.parse(lines)
            self._parsers[origin] = parser
        return parser.can_fetch(self._agent, url)
