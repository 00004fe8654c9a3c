"""`assistant ingest https://…`: crawl a documentation site into the knowledge base, with a progress bar."""

from __future__ import annotations

import typer

from adapters.cli.session import open_assistant, run_command, settings_for


def ingest_sites(urls: list[str], *, db: str | None, concurrency: int = 4, rate: float = 4.0) -> None:
    from tqdm import tqdm

    from adapters.integrations.site_ingest import ingest_site
    from adapters.storage.sql.crawl import SqlCrawlState

    async def work() -> None:
        settings = settings_for(db)
        async with open_assistant(settings) as assistant:
            state = SqlCrawlState(settings.database_url)
            await state.initialize()
            try:
                for url in urls:
                    with tqdm(unit="page", desc=f"crawling {url}", disable=None) as bar:
                        report = await ingest_site(
                            assistant, state, url, concurrency=concurrency, rate=rate, progress=bar.update
                        )
                    done = report.ingest
                    typer.echo(
                        f"{url}: {done.added} added, {done.updated} updated, "
                        f"{done.unchanged + report.not_modified} unchanged, {len(report.retired)} retired; "
                        f"{done.chunks} passages indexed; {len(report.disallowed)} disallowed by robots.txt."
                    )
                    for line in report.failed:
                        typer.echo(f"  failed: {line} (nothing was retired for want of it)", err=True)
            finally:
                await state.close()

    run_command(work)
