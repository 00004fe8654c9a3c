"""`assistant import-tickets --from zendesk|intercom|freshdesk`: helpdesk history as past resolutions.

A file is parsed whole (``assistant.knowledge.helpdesk``) before anything is written; the
Zendesk API (``--subdomain``) is read whole the same way, then the tickets are checked and
imported in one transaction. Heavy imports stay inside (fast CLI start).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from adapters.cli.session import open_assistant, run_command, settings_for

DEFAULT_HISTORY = timedelta(days=730)


def import_helpdesk(
    file: Path | None,
    *,
    vendor: str | None,
    subdomain: str | None,
    token: str | None,
    email: str | None,
    since: str | None,
    make_global: bool,
    db: str | None,
) -> None:
    from assistant.errors import InvalidInputError
    from assistant.knowledge.helpdesk import VENDORS, from_objects, parse_helpdesk_file
    from assistant.knowledge.ingestion import Ingestor

    async def work() -> None:
        if vendor not in VENDORS:
            raise InvalidInputError(f"--from must be one of {', '.join(VENDORS)}")
        if subdomain is not None:
            if vendor != "zendesk" or file is not None:
                raise InvalidInputError(
                    "--subdomain reads the Zendesk API: use it with --from zendesk and no file"
                )
            if not token:
                raise InvalidInputError("the Zendesk API needs --token (or $ZENDESK_API_TOKEN)")
            tickets = await _fetch_zendesk(subdomain, token, email, since)
            source = f"zendesk:{subdomain}"
            parsed = from_objects(
                iter(enumerate(tickets, start=1)), "zendesk", f"Zendesk API ({subdomain}), ticket"
            )
        else:
            if file is None:
                raise InvalidInputError(f"give the {vendor} export file to import")
            parsed = parse_helpdesk_file(file, vendor)  # type: ignore[arg-type]
            source = file.name
        async with open_assistant(settings_for(db)) as assistant:
            count = await Ingestor(assistant).import_tickets(
                parsed.records, source=source, make_global=make_global
            )
        not_answers = len(parsed.records) - count
        typer.echo(
            f"{count} resolutions imported from {source}; {parsed.skipped + not_answers} tickets skipped "
            "(not resolved, no customer question or public agent reply, or a reply that was no answer)."
        )

    run_command(work)


async def _fetch_zendesk(
    subdomain: str, token: str, email: str | None, since: str | None
) -> list[dict[str, object]]:
    from tqdm import tqdm

    from adapters.integrations.zendesk import export_tickets, zendesk_client
    from assistant.errors import InvalidInputError

    try:
        start = (
            datetime.fromisoformat(since).replace(tzinfo=UTC)
            if since
            else datetime.now(UTC) - DEFAULT_HISTORY
        )
    except ValueError:
        raise InvalidInputError(f"--since '{since}' is not a date such as 2025-01-31") from None
    http = zendesk_client(subdomain, token, email=email, api_url=os.environ.get("ZENDESK_API_URL"))
    try:
        with tqdm(unit="ticket", desc="reading Zendesk", disable=None) as bar:
            return await export_tickets(http, since=start, progress=bar.update)
    finally:
        await http.close()
