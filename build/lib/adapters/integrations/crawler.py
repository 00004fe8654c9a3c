"""Crawl a documentation site: a sitemap or a start URL, same host only, robots.txt honoured.

* Where: ``…/sitemap.xml`` (a ``urlset``, or a ``sitemapindex`` of them) lists the pages; any
  other start URL is crawled breadth-first through its ``<a href>`` links. Only pages on the
  start URL's host (scheme and port included) are fetched; a redirect to another host is not
  followed, and a page is kept under the URL it ended on.
* Manners: ``/robots.txt`` is read first (``urllib.robotparser``) and a disallowed page is never
  requested; requests are bounded (``concurrency`` at once) and spaced (``rate`` per second, or
  robots.txt's ``Crawl-delay`` when slower); each has a timeout.
* Re-crawls: the validators of the last crawl (``ETag``, ``Last-Modified``) are sent as
  ``If-None-Match`` / ``If-Modified-Since``; a 304 is an unchanged page, never downloaded again.
  A page answering 404 or 410 is gone. A page the crawl no longer reaches is gone only when the
  crawl had no failures (a timeout or a 5xx must not retire half a site).
"""

from __future__ import annotations

import asyncio
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import aiohttp

USER_AGENT = "support-assistant-crawler/1.0"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_BYTES = 5 * 1024 * 1024

Validators = tuple[str | None, str | None]
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # where the page is (after redirects): its document's source
    state: Literal["fetched", "unchanged"]
    requested: str = ""  # the address asked for (a sitemap's, or a link's)
    body: bytes = b""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class CrawlResult:
    """What a crawl saw: pages fetched or unchanged, pages gone, robots refusals, failures."""

    pages: list[FetchedPage] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    disallowed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failed


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


class Crawler:
    """One crawl of one site."""

    def __init__(
        self,
        start: str,
        *,
        known: Mapping[str, Validators] | None = None,
        concurrency: int = 4,
        rate: float = 4.0,
        max_pages: int = 5000,
        timeout: float = 20.0,
        progress: Progress | None = None,
    ) -> None:
        self.start = start
        parts = urlsplit(start)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._known = dict(known or {})
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next_start = 0.0
        self._pace = asyncio.Lock()
        self._max_pages = max_pages
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._progress = progress
        self._robots = urllib.robotparser.RobotFileParser()
        self.requests = 0

    def same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    async def crawl(self) -> CrawlResult:
        result = CrawlResult()
        async with aiohttp.ClientSession(
            timeout=self._timeout, headers={"User-Agent": USER_AGENT}
        ) as session:
            await self._read_robots(session)
            if urlsplit(self.start).path.endswith(".xml"):
                urls = await self._sitemap(session, self.start, result, depth=0)
                await asyncio.gather(
                    *(self._page(session, url, result, None) for url in urls[: self._max_pages])
                )
            else:
                await self._walk(session, result)
        reached = {page.url for page in result.pages}
        if result.complete:
            result.gone |= {url for url in self._known if url not in reached}
        result.gone -= reached
        return result

    @staticmethod
    def validators(result: CrawlResult) -> tuple[dict[str, Validators], list[str]]:
        """Validators to remember (under the final and the requested address, since the next
        crawl asks for the requested one) and addresses to forget."""
        keep: dict[str, Validators] = {}
        for page in result.pages:
            for url in {page.url, page.requested or page.url}:
                keep[url] = (page.etag, page.last_modified)
        return keep, sorted(url for url in result.gone if url not in keep)

    # robots.txt and pacing

    async def _read_robots(self, session: aiohttp.ClientSession) -> None:
        try:
            async with session.get(f"{self.origin}/robots.txt", allow_redirects=True) as response:
                text = await response.text(errors="replace") if response.status == 200 else ""
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            text, status = "", 0
        if status in (401, 403):  # robots.txt itself forbidden: the site allows nothing
            text = "User-agent: *\nDisallow: /"
        self._robots.parse(text.splitlines())
        delay = self._robots.crawl_delay(USER_AGENT)
        if delay is not None and float(delay) > self._interval:
            self._interval = float(delay)

    def allowed(self, url: str) -> bool:
        return self._robots.can_fetch(USER_AGENT, url)

    async def _paced(self) -> None:
        async with self._pace:
            now = time.monotonic()
            wait = self._next_start - now
            self._next_start = max(now, self._next_start) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)

    # sitemaps and links

    async def _sitemap(
        self, session: aiohttp.ClientSession, url: str, result: CrawlResult, *, depth: int
    ) -> list[str]:
        if depth > 2 or not self.same_site(url):
            return []
        await self._paced()
        self.requests += 1
        try:
            async with session.get(url) as response:
                if response.status != 200:
                    result.failed.append(f"{url}: sitemap answered {response.status}")
                    return []
                raw = await response.content.read(MAX_BYTES)
        except (aiohttp.ClientError, TimeoutError) as exc:
            result.failed.append(f"{url}: {type(exc).__name__}")
            return []
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError as exc:
            result.failed.append(f"{url}: not a sitemap ({exc})")
            return []
        locations = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP_NS}loc")]
        if root.tag == f"{SITEMAP_NS}sitemapindex":
            urls: list[str] = []
            for child in locations:
                urls += await self._sitemap(session, child, result, depth=depth + 1)
            return urls
        urls = []
        for location in locations:
            if not self.same_site(location):
                result.skipped.append(location)
            elif not self.allowed(location):
                result.disallowed.append(location)
            else:
                urls.append(location)
        return list(dict.fromkeys(urls))

    async def _walk(self, session: aiohttp.ClientSession, result: CrawlResult) -> None:
        seen = {urldefrag(self.start)[0]}
        frontier = [urldefrag(self.start)[0]]
        while frontier and len(seen) <= self._max_pages:
            batch, frontier = frontier, []
            found = await asyncio.gather(*(self._page(session, url, result, []) for url in batch))
            for links in found:
                for link in links or []:
                    if link not in seen and len(seen) < self._max_pages:
                        seen.add(link)
                        frontier.append(link)

    # one page

    async def _page(
        self, session: aiohttp.ClientSession, url: str, result: CrawlResult, links: list[str] | None
    ) -> list[str]:
        if not self.allowed(url):
            result.disallowed.append(url)
            return []
        headers = {}
        etag, modified = self._known.get(url, (None, None))
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        async with self._semaphore:
            await self._paced()
            self.requests += 1
            try:
                async with session.get(url, headers=headers, allow_redirects=True) as response:
                    final = urldefrag(str(response.url))[0]
                    if not self.same_site(final):
                        result.skipped.append(f"{url} → {final}")
                        return []
                    if response.status == 304:
                        result.pages.append(
                            FetchedPage(final, "unchanged", url, etag=etag, last_modified=modified)
                        )
                        self._tick()
                        return []
                    if response.status in (404, 410):
                        result.gone.add(url)
                        self._tick()
                        return []
                    if response.status != 200:
                        result.failed.append(f"{url}: answered {response.status}")
                        return []
                    kind = response.content_type
                    if kind not in HTML_TYPES:
                        result.skipped.append(f"{url} ({kind})")
                        return []
                    body = await response.content.read(MAX_BYTES)
                    page = FetchedPage(
                        final,
                        "fetched",
                        url,
                        body,
                        response.charset,
                        response.headers.get("ETag"),
                        response.headers.get("Last-Modified"),
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.failed.append(f"{url}: {type(exc).__name__}")
                return []
        result.pages.append(page)
        self._tick()
        if links is None:
            return []
        parser = _Links()
        parser.feed(body.decode(page.charset or "utf-8", "replace"))
        found = []
        for href in parser.links:
            target = urldefrag(urljoin(final, href))[0]
            if self.same_site(target):
                found.append(target)
        return found

    def _tick(self) -> None:
        if self._progress is not None:
            self._progress(1)
