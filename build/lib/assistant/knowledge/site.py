"""Web pages as documents: what a crawl brings back becomes knowledge like a local file does.

The crawling itself (HTTP, robots.txt, sitemaps) is an adapter's job (``adapters.integrations
.crawler``); here a fetched page becomes a ``SourceDocument`` keyed by its URL (HTML cleaned to
text with its headings kept, so passages are titled by section), and the pages a crawl found gone
are retired, as a re-ingested folder retires its deleted files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assistant.errors import MalformedFileError
from assistant.knowledge.loaders import SourceDocument, _read_html

if TYPE_CHECKING:
    from assistant.service import Assistant

MAX_PAGE_BYTES = 5 * 1024 * 1024


def site_prefix(url: str) -> str:
    """What every page of ``url``'s site starts with (scheme and host): the retirement scope."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def page_document(url: str, body: bytes, *, charset: str | None = None) -> SourceDocument:
    """A fetched HTML page as a document whose source and citation are its URL."""
    if len(body) > MAX_PAGE_BYTES:
        raise MalformedFileError(url, f"page is larger than {MAX_PAGE_BYTES // 2**20} MB")
    try:
        text = body.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        text = body.decode("utf-8", "replace")
    title, _canonical, content = _read_html(text)
    if not content.strip():
        raise MalformedFileError(url, "page has no text")
    path = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return SourceDocument(
        source=url,
        title=title or path.replace("-", " ").replace("_", " ").capitalize() or urlsplit(url).netloc,
        text=content,
        format="html",
        content_hash=hashlib.sha256(body).hexdigest(),
        url=url,
    )


async def retire_sources(assistant: Assistant, sources: Collection[str]) -> list[str]:
    """Retire the stored, active documents whose source is one of ``sources`` (pages gone)."""
    wanted = set(sources)
    retired = []
    for stored in await assistant.store.list_documents():
        if stored.retired or stored.source not in wanted:
            continue
        items = await assistant.store.retire_document(stored.id)
        await assistant.engine.unindex(items)
        retired.append(stored.source)
    return sorted(retired)
