"""The crawler's memory: each page's ``ETag`` / ``Last-Modified`` (table ``crawled_pages``)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.integrations_schema import crawled_pages
from assistant.models import utcnow

Validators = tuple[str | None, str | None]


class SqlCrawlState(SqlStoreBase):
    """Validators of a site's pages for conditional re-crawls."""

    async def validators(self, site: str) -> dict[str, Validators]:
        query = select(crawled_pages).where(crawled_pages.c.site == site)
        async with self._transaction() as conn:
            return {row.url: (row.etag, row.last_modified) for row in await conn.execute(query)}

    async def save(self, site: str, pages: Mapping[str, Validators], gone: list[str]) -> None:
        """Remember the pages fetched (their validators) and forget the pages gone."""
        now = utcnow()
        for url, (etag, modified) in pages.items():
            await self._upsert(
                crawled_pages,
                {"url": url, "site": site, "etag": etag, "last_modified": modified, "crawled_at": now},
                ["url"],
            )
        if gone:
            async with self._transaction(write=True) as conn:
                await conn.execute(delete(crawled_pages).where(crawled_pages.c.url.in_(gone)))
