"""Crawling a documentation site served on 127.0.0.1 by the test: robots.txt, a redirect, ETag and
Last-Modified re-crawls, a changed page and a removed page, then the same through the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from typer.testing import CliRunner

from adapters.cli.main import app as cli_app
from adapters.integrations.runner import open_integrations, run_site_crawls
from adapters.integrations.settings import IntegrationSettings, load_integration_settings
from adapters.integrations.site_ingest import ingest_site
from adapters.storage.sql.crawl import SqlCrawlState
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.insights.settings import InsightSettings
from assistant.ports import Embedder
from assistant.service import Assistant

REFUNDS_V1 = """<html><head><title>Refunds</title></head><body><nav>Home | Docs</nav>
<h1>Refunds</h1><p>Refunds are issued from the Payments page.</p>
<h2>Card payments</h2><p>To refund a card payment open Payments, pick the charge and press Refund.</p>
<a href="/docs/invoices">Invoices</a> <a href="https://other.example/blog">Blog</a>
<a href="/private/secret">x</a>
</body></html>"""
REFUNDS_V2 = REFUNDS_V1.replace("press Refund", "press Refund, then confirm with your two-factor code")
INVOICES = """<html><head><title>Invoices</title></head><body><h1>Invoices</h1>
<h2>Recurring invoices</h2><p>Create a recurring invoice from Invoices, New, Repeat monthly.</p>
<a href="/docs/refunds">Refunds</a></body></html>"""
EXPORT = """<html><head><title>Export</title></head><body><h1>Export</h1>
<p>Export your ledger to CSV from Reports, Export.</p></body></html>"""
MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"


@dataclass
class Site:
    pages: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # path -> (html, etag)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    base: str = ""

    def sitemap(self) -> str:
        urls = ["/docs/refunds", "/docs/invoices", "/old-export", "/private/secret"]
        locs = "".join(f"<url><loc>{self.base}{u}</loc></url>" for u in urls)
        locs += "<url><loc>https://other.example/page</loc></url>"
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append((path, dict(request.headers)))
        if path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        if path == "/sitemap.xml":
            return web.Response(text=self.sitemap(), content_type="application/xml")
        if path == "/old-export":
            raise web.HTTPMovedPermanently("/docs/export")
        if path in self.broken:
            return web.Response(status=503, text="busy")
        if path == "/docs/export":
            if request.headers.get("If-Modified-Since") == MODIFIED:
                return web.Response(status=304)
            return web.Response(text=EXPORT, content_type="text/html", headers={"Last-Modified": MODIFIED})
        if path not in self.pages:
            return web.Response(status=404, text="not found")
        html, etag = self.pages[path]
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=html, content_type="text/html", headers={"ETag": etag} if etag else {})

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


async def passages(assistant: Assistant, source: str) -> list[tuple[str, str, str | None]]:
    """(title, text, url) of the active passages of the stored document ``source``."""
    document = await assistant.store.get_document_by_source(source)
    if document is None or document.retired:
        return []
    return [(i.title, i.text, i.url) for i in await assistant.store.active_items_for_document(document.id)]


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    served = Site(pages={"/docs/refunds": (REFUNDS_V1, '"r1"'), "/docs/invoices": (INVOICES, '"i1"')})
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", served.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    served.base = f"http://{host}:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()


@pytest.fixture
async def state(settings: Settings, assistant: Assistant) -> AsyncIterator[SqlCrawlState]:
    crawl_state = SqlCrawlState(settings.database_url)
    await crawl_state.initialize()
    try:
        yield crawl_state
    finally:
        await crawl_state.close()


async def test_sitemap_crawl_then_a_recrawl_with_a_changed_and_a_removed_page(
    site: Site, state: SqlCrawlState, assistant: Assistant
) -> None:
    first = await ingest_site(assistant, state, f"{site.base}/sitemap.xml", rate=50)
    assert (first.ingest.added, first.ingest.updated, first.retired) == (3, 0, [])
    assert first.disallowed == [f"{site.base}/private/secret"]
    assert "/private/secret" not in site.paths() and site.paths()[0] == "/robots.txt"
    assert "https://other.example/page" in first.skipped
    docs = {d.source: d for d in await assistant.store.list_documents()}
    assert set(docs) == {
        f"{site.base}/docs/refunds",
        f"{site.base}/docs/invoices",
        f"{site.base}/docs/export",
    }
    refunds = await passages(assistant, f"{site.base}/docs/refunds")
    assert any("pick the charge and press Refund" in text for _, text, _ in refunds)
    assert ("Refunds › Card payments", f"{site.base}/docs/refunds") in {(t, u) for t, _, u in refunds}
    assert not any("Home | Docs" in text for _, text, _ in refunds)  # page furniture dropped

    site.pages["/docs/refunds"] = (REFUNDS_V2, '"r2"')
    del site.pages["/docs/invoices"]
    site.requests.clear()
    second = await ingest_site(assistant, state, f"{site.base}/sitemap.xml", rate=50)
    assert second.ingest.updated == 1 and second.ingest.added == 0
    assert second.not_modified == 1  # the export page: 304 to If-Modified-Since
    assert second.retired == [f"{site.base}/docs/invoices"]
    sent = {path: headers for path, headers in site.requests}
    assert sent["/docs/refunds"]["If-None-Match"] == '"r1"'
    assert sent["/docs/export"]["If-Modified-Since"] == MODIFIED
    docs = {d.source: d for d in await assistant.store.list_documents()}
    assert docs[f"{site.base}/docs/refunds"].version == 2 and docs[f"{site.base}/docs/invoices"].retired
    assert any(
        "two-factor code" in text for _, text, _ in await passages(assistant, f"{site.base}/docs/refunds")
    )
    assert await passages(assistant, f"{site.base}/docs/invoices") == []


async def test_a_failed_fetch_retires_nothing(site: Site, state: SqlCrawlState, assistant: Assistant) -> None:
    await ingest_site(assistant, state, f"{site.base}/sitemap.xml", rate=50)
    site.broken.add("/docs/invoices")
    second = await ingest_site(assistant, state, f"{site.base}/sitemap.xml", rate=50)
    assert second.failed and second.retired == []
    assert not any(d.retired for d in await assistant.store.list_documents())


async def test_a_start_url_is_crawled_through_its_links_on_the_same_host(
    site: Site, state: SqlCrawlState, assistant: Assistant
) -> None:
    report = await ingest_site(assistant, state, f"{site.base}/docs/refunds", rate=50)
    sources = {d.source for d in await assistant.store.list_documents()}
    assert sources == {f"{site.base}/docs/refunds", f"{site.base}/docs/invoices"}
    assert report.disallowed == [f"{site.base}/private/secret"]
    assert "/private/secret" not in site.paths()


async def test_cli_ingest_url(
    site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch, embedder: Embedder
) -> None:
    monkeypatch.setattr("adapters.wiring.build_embedder", lambda settings, **_: embedder)
    run: Callable[..., Any] = CliRunner().invoke
    result = await asyncio.to_thread(
        run, cli_app, ["ingest", f"{site.base}/sitemap.xml", "--db", settings.database_url]
    )
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 unchanged, 0 retired" in result.stdout
    assert "1 disallowed by robots.txt" in result.stdout
    mixed = await asyncio.to_thread(run, cli_app, ["ingest", f"{site.base}/sitemap.xml", "samples/kb"])
    assert mixed.exit_code != 0


async def test_the_scheduled_recrawl_runs_once_per_period(
    site: Site, settings: Settings, assistant: Assistant, embedder: Embedder
) -> None:
    integration = IntegrationSettings(_env_file=None, assistant_crawl_urls=f"{site.base}/sitemap.xml")  # type: ignore[call-arg]
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with open_integrations(
        settings,
        integration,
        InsightSettings(_env_file=None),
        embedder=embedder,
        teacher=None,  # type: ignore[call-arg]
    ) as runtime:
        assert runtime is not None
        first = await run_site_crawls(runtime, assistant, claim_at=moment)
        assert first is not None and first[0].ingest.added == 3
        assert await run_site_crawls(runtime, assistant, claim_at=moment + timedelta(hours=1)) is None
        site.pages["/docs/refunds"] = (REFUNDS_V2, '"r2"')
        later = await run_site_crawls(runtime, assistant, claim_at=moment + timedelta(days=1))
        assert later is not None and later[0].ingest.updated == 1


def test_crawl_urls_are_checked_at_start() -> None:
    with pytest.raises(ConfigurationError, match="ASSISTANT_CRAWL_URLS"):
        load_integration_settings(_env_file=None, assistant_crawl_urls="docs.example.com/sitemap.xml")
