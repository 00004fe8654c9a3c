"""``assistant ingest https://…``: crawl a site and ingest its pages as re-ingesting a folder does.

Fetched pages are ingested (a changed page supersedes its old version, an unchanged one is
skipped), pages the crawl found gone are retired, and each page's validators are remembered for
the next crawl's conditional requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.integrations.crawler import Crawler, Progress
from adapters.storage.sql.crawl import SqlCrawlState
from assistant.errors import MalformedFileError
from assistant.knowledge.ingestion import Ingestor, IngestReport
from assistant.knowledge.site import page_document, retire_sources, site_prefix
from assistant.service import Assistant


@dataclass(slots=True)
class SiteReport:
    ingest: IngestReport
    retired: list[str] = field(default_factory=list)
    not_modified: int = 0
    disallowed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0


async def ingest_site(
    assistant: Assistant,
    state: SqlCrawlState,
    start: str,
    *,
    concurrency: int = 4,
    rate: float = 4.0,
    max_pages: int = 5000,
    progress: Progress | None = None,
) -> SiteReport:
    """Crawl ``start`` (a sitemap or a page) and bring the site's documents up to date."""
    prefix = site_prefix(start)
    crawler = Crawler(
        start,
        known=await state.validators(prefix),
        concurrency=concurrency,
        rate=rate,
        max_pages=max_pages,
        progress=progress,
    )
    result = await crawler.crawl()
    documents = []
    skipped = list(result.skipped)
    for page in result.pages:
        if page.state != "fetched":
            continue
        try:
            documents.append(page_document(page.url, page.body, charset=page.charset))
        except MalformedFileError as exc:
            skipped.append(exc.message)
    ingest = await Ingestor(assistant).ingest_documents(documents)
    retired = await retire_sources(assistant, result.gone)
    ingest.retired += len(retired)
    keep, forget = Crawler.validators(result)
    await state.save(prefix, keep, forget)
    return SiteReport(
        ingest=ingest,
        retired=retired,
        not_modified=sum(p.state == "unchanged" for p in result.pages),
        disallowed=sorted(set(result.disallowed)),
        failed=result.failed,
        skipped=skipped,
        requests=crawler.requests,
    )
