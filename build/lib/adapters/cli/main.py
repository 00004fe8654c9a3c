"""`assistant`: ingest knowledge, ask, teach, give feedback, see what was learned, replay history.

Start-up time matters here (``--help`` and a typo must answer at once, ``stats`` must not load a
model): modules that pull in the numeric stack, the model or the web stack are imported inside the
commands that use them (``tests/adapters/cli/test_startup.py`` checks it).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.channels_command import channels_app
from adapters.cli.console_command import console_command
from adapters.cli.conversations_command import conversations_app
from adapters.cli.insights_command import digest_command, insights_app
from adapters.cli.integrations_command import integrations_app
from adapters.cli.render import answer_json, answer_text, event_line, learned_text, to_json
from adapters.cli.replay_command import replay_command
from adapters.cli.serve_command import serve_command
from adapters.cli.session import database_url, open_assistant, open_store, run_command, settings_for
from adapters.cli.teams_command import teams_package_command
from assistant.limits import checked_question_text
from assistant.models import Question, Role, Signal

app = typer.Typer(
    name="assistant",
    help="A self-learning support assistant: answers from your knowledge, learns from your agents.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("replay")(replay_command)
app.command("serve")(serve_command)
app.command("console")(console_command)
app.command("teams-package")(teams_package_command)
app.add_typer(channels_app, name="channels")
app.add_typer(conversations_app, name="conversations")
app.command("digest")(digest_command)
app.add_typer(insights_app, name="insights")
app.add_typer(integrations_app, name="integrations")

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
]
CLI_AGENT = "cli"


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Markdown, HTML or text files and folders, or a site's sitemap.xml or start URL."
        ),
    ],
    db: DbOption = None,
) -> None:
    """Add or update documents; removed ones are retired, changed ones superseded."""
    urls = [p for p in paths if p.startswith(("https://", "http://"))]
    if urls:
        from adapters.cli.site_command import ingest_sites

        if len(urls) != len(paths):
            raise typer.BadParameter("ingest either files and folders, or web addresses, not both at once")
        ingest_sites(urls, db=db)
        return
    files = [Path(p) for p in paths]

    async def work() -> None:
        from tqdm import tqdm

        from assistant.knowledge.ingestion import Ingestor
        from assistant.knowledge.loaders import discover_files

        settings = settings_for(db)
        total = len(discover_files(files))
        async with open_assistant(settings) as assistant:
            with tqdm(total=total, unit="doc", desc="ingesting", disable=None) as bar:
                report = await Ingestor(assistant).ingest_paths(files, progress=bar.update)
        typer.echo(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.retired} retired; {report.chunks} passages indexed."
        )

    run_command(work)


@app.command("import-tickets")
def import_tickets(
    file: Annotated[
        Path | None,
        typer.Argument(help="stream.jsonl (replay format), CSV with question,answer, or a helpdesk export."),
    ] = None,
    make_global: Annotated[
        bool, typer.Option("--global", help="Share untagged answers with every account.")
    ] = False,
    vendor: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="zendesk, intercom or freshdesk: the file is that export (zendesk --subdomain: its API).",
        ),
    ] = None,
    subdomain: Annotated[
        str | None, typer.Option(help="Zendesk: read from https://SUBDOMAIN.zendesk.com.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="ZENDESK_API_TOKEN", help="Zendesk API or OAuth token (or $ZENDESK_API_TOKEN)."),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(envvar="ZENDESK_EMAIL", help="The agent e-mail of an API token (else OAuth)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Zendesk API: tickets changed since this date (default: two years ago)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Learn past resolved tickets as resolutions (the file is checked whole before anything is written)."""
    if vendor is not None or subdomain is not None:
        from adapters.cli.tickets_import import import_helpdesk

        import_helpdesk(
            file, vendor=vendor, subdomain=subdomain, token=token, email=email, since=since,
            make_global=make_global, db=db,
        )  # fmt: skip
        return
    if file is None:
        raise typer.BadParameter("give the file to import (or --from zendesk --subdomain … for the API)")

    async def work() -> None:
        from assistant.knowledge.ingestion import Ingestor
        from assistant.knowledge.tickets import parse_ticket_file

        records = parse_ticket_file(file)
        async with open_assistant(settings_for(db)) as assistant:
            count = await Ingestor(assistant).import_tickets(
                records, source=file.name, make_global=make_global
            )
        skipped = len(records) - count
        note = (
            f"; {skipped} skipped (the reply was not an answer: holding, a question back, a note)"
            if skipped
            else ""
        )
        typer.echo(f"{count} resolutions imported from {file}{note}.")

    run_command(work)


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The customer's question.")],
    account: Annotated[str | None, typer.Option(help="The customer's account.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Ask as a customer of ACCOUNT."""

    async def work() -> None:
        settings = settings_for(db)
        checked_question_text(text, max_chars=settings.max_question_chars)  # before loading anything
        async with open_assistant(settings) as assistant:
            answer = await assistant.ask(Question(text=text, account=account, user="cli"))
        typer.echo(answer_json(answer) if as_json else answer_text(answer))

    run_command(work)


@app.command()
def teach(
    question: Annotated[str, typer.Argument()],
    answer: Annotated[str, typer.Argument()],
    account: Annotated[str | None, typer.Option(help="The account the answer belongs to.")] = None,
    private: Annotated[bool, typer.Option("--private", help="Only ACCOUNT's questions may get it.")] = False,
    key: Annotated[str | None, typer.Option(help="A macro or article id this answer is.")] = None,
    db: DbOption = None,
) -> None:
    """Teach a question and its answer as an agent."""

    async def work() -> None:
        async with open_assistant(settings_for(db)) as assistant:
            event = await assistant.teach(
                question,
                answer,
                actor=CLI_AGENT,
                role=Role.AGENT,
                account=account,
                private=private,
                resolution_key=key,
            )
        typer.echo(event_line(event))

    run_command(work)


@app.command()
def feedback(
    answer_id: Annotated[str, typer.Argument()],
    signal: Annotated[
        Signal, typer.Argument(help="approve, reject, correct, resolve, helped or not_helped.")
    ],
    text: Annotated[str | None, typer.Argument(help="The right answer (correct, resolve).")] = None,
    make_global: Annotated[
        bool | None, typer.Option("--global/--private", help="Scope of a correction (default: by its kind).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Give an agent's signal about an answer."""

    async def work() -> None:
        async with open_assistant(settings_for(db)) as assistant:
            event = await assistant.feedback(
                answer_id, signal, actor=CLI_AGENT, role=Role.AGENT, text=text, make_global=make_global
            )
        typer.echo(event_line(event))

    run_command(work)


@app.command()
def learned(
    limit: Annotated[int, typer.Option(help="How many events.")] = 50,
    search: Annotated[
        str, typer.Option(help="Only events whose question, answer, replaced text or teacher holds this.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """What was learned, newest first: the question, the answer learned, for whom, what it replaced."""

    async def work() -> None:
        from adapters.storage.sql.console_queries import ConsoleQueries

        settings = settings_for(db)
        async with open_store(settings):  # the schema checked (and created on a fresh store)
            queries = ConsoleQueries(settings.database_url)
            try:
                entries = await queries.learned(search=search.strip(), limit=limit)
            finally:
                await queries.close()
        if as_json:
            typer.echo(to_json([asdict(entry) for entry in entries]))
        elif not entries:
            typer.echo("Nothing matches." if search else "Nothing learned yet.")
        else:
            typer.echo("\n\n".join(learned_text(entry) for entry in entries))

    run_command(work)


@app.command()
def forget(
    target: Annotated[str, typer.Argument(help="A learning event id (undo it) or a knowledge item id.")],
    db: DbOption = None,
) -> None:
    """Undo what a learning event taught, or forget one knowledge item."""

    async def work() -> None:
        from assistant.learning.teacher import forget_target

        settings = settings_for(db)
        async with open_store(settings) as store:
            await forget_target(store, target)  # a mistyped id is refused before the index loads
        async with open_assistant(settings, ranks=False) as assistant:
            event = await assistant.forget(target, actor=CLI_AGENT, role=Role.AGENT)
        typer.echo(f"undone: {event_line(event)}")

    run_command(work)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False, db: DbOption = None) -> None:
    """Headline figures: questions, auto-resolution, precision, hand-offs, corrections."""

    async def work() -> None:
        async with open_store(settings_for(db)) as store:
            figures = await store.stats()
        if as_json:
            typer.echo(to_json(figures))
        else:
            for name, value in figures.items():
                typer.echo(f"{name:>22}: {stat_text(value)}")

    run_command(work)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the store's schema to the latest version."""
    from adapters.storage.sql.migrate import upgrade

    async def work() -> None:
        settings = settings_for(db)
        await upgrade(settings.database_url)
        typer.echo("database is up to date.")

    run_command(work)


@app.command("migrate-store")
def migrate_store(
    source: Annotated[str, typer.Option("--from", help="The store to copy (URL or SQLite file).")],
    target: Annotated[str, typer.Option("--to", help="The empty store to fill (URL or SQLite file).")],
    force: Annotated[bool, typer.Option("--force", help="Replace a target that holds data.")] = False,
) -> None:
    """Copy a whole store to another database (SQLite to PostgreSQL), checking every table's count."""
    from adapters.storage.sql.copy import copy_store

    async def work() -> None:
        copies = await copy_store(database_url_of(source), database_url_of(target), force=force)
        for copy in copies:
            typer.echo(f"{copy.table:>24}: {copy.source_rows} copied, {copy.target_rows} in the target")
        total = sum(copy.target_rows for copy in copies)
        typer.echo(f"copied {total} rows in {len(copies)} tables; every count matches.")

    run_command(work)


def stat_text(value: float | int) -> str:
    """One figure of ``stats``: a rate with three decimals, or "no outcomes yet" where a rate has no
    exchanges to be computed over (a fresh store)."""
    if isinstance(value, float):
        return "no outcomes yet" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def database_url_of(db: str) -> str:
    """A URL for --from/--to: plain paths are SQLite files; ``postgresql://`` gets the async driver."""
    url = database_url(db) or db
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
