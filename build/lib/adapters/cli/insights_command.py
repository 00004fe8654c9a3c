"""`assistant digest --preview` and `assistant insights ...`: the business-intelligence layer.

Every command reads one week: ``--since DATE`` (its first day) or, by default, the store's latest
week (the seven days ending with the newest question), so a replayed history gets a digest of its
own last week. ``--json`` prints one JSON object (the digest) or list (the others).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.session import run_command, settings_for
from assistant.errors import InvalidInputError
from assistant.insights.records import BugStatus

if TYPE_CHECKING:  # the analyses need the numeric stack: imported when a command runs
    from assistant.insights.service import InsightService

insights_app = typer.Typer(
    help="Business intelligence: bugs, anomalies, churn risk, feature requests, knowledge gaps.",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First day of the week, YYYY-MM-DD (default: the latest week).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@asynccontextmanager
async def open_insights(db: str | None) -> AsyncIterator[InsightService]:
    """The insights service on the configured store, with the assistant's embedder."""
    from adapters import wiring
    from adapters.insights_wiring import build_insight_service, build_insight_source
    from assistant.insights.settings import load_insight_settings

    settings = settings_for(db)
    insight_settings = load_insight_settings()
    embedder = wiring.build_embedder(settings)
    source = build_insight_source(settings, insight_settings, embedder=embedder)
    await source.initialize()
    try:
        yield build_insight_service(source, insight_settings, embedder)
    finally:
        await source.close()


async def week(service: InsightService, since: str | None) -> tuple[datetime, datetime]:
    if since is None:
        return await service.latest_week()
    try:
        first = date.fromisoformat(since)
    except ValueError:
        raise InvalidInputError(f"--since takes a date such as 2026-03-02, not '{since}'.") from None
    return service.week_of(first)


def digest_command(
    preview: Annotated[bool, typer.Option("--preview", help="Render the digest here; post nothing.")] = False,
    since: SinceOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The weekly digest: anomalies, churn risk, bugs, feature requests, knowledge gaps, learning."""
    if not preview:
        typer.secho(
            "error: posting digests is the scheduler's job (assistant serve); use --preview to see one here.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2)

    async def work() -> None:
        from adapters.cli import insights_render as render

        async with open_insights(db) as service:
            digest = await service.digest(*await week(service, since))
        typer.echo(digest.to_json() if as_json else render.digest_text(digest))

    run_command(work)


def _listing(name: str, help_text: str) -> None:
    """Register `assistant insights NAME`: one section of the digest, as a list."""

    def command(since: SinceOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
        async def work() -> None:
            from assistant.insights.digest import to_plain

            compute, lines = _sections()[name]
            async with open_insights(db) as service:
                start, end = await week(service, since)
                rows = await compute(service, start, end)
            if as_json:
                typer.echo(json.dumps(to_plain(rows), indent=2, ensure_ascii=False, allow_nan=False))
            else:
                typer.echo("\n".join(lines(rows)))

        run_command(work)

    command.__doc__ = help_text
    insights_app.command(name)(command)


Section = tuple[Callable[..., Awaitable[Sequence[Any]]], Callable[[Any], list[str]]]


def _sections() -> dict[str, Section]:
    """Each listing's computation and its rendering."""
    from adapters.cli import insights_render as render
    from assistant.insights.service import InsightService

    return {
        "bugs": (InsightService.bug_summaries, render.bug_lines),
        "anomalies": (InsightService.anomalies, render.anomaly_lines),
        "churn": (InsightService.churn, render.churn_lines),
        "requests": (InsightService.feature_requests, render.theme_lines),
        "gaps": (InsightService.knowledge_gaps, render.gap_lines),
    }


_listing("bugs", "Likely bugs of the week: new ones, and known ones seen again.")
_listing("anomalies", "Spikes in a topic's (or the total) daily volume, and fast-growing new topics.")
_listing("churn", "Accounts ranked by churn risk, with the signals behind each.")
_listing("requests", "Feature requests grouped into themes, with their trend.")
_listing("gaps", "Topics the assistant keeps handing off, with a drafted answer to approve.")


@insights_app.command("scan-bugs")
def scan_bugs(db: DbOption = None) -> None:
    """Scan the messages of the last two bug windows (up to the newest question) and save reports."""

    async def work() -> None:
        async with open_insights(db) as service:
            latest = await service.source.latest_question_at()
            scan = await service.scan_bugs(until=latest) if latest else None
        if scan is None or not (scan.new or scan.updated):
            typer.echo("no new or updated bug reports.")
            return
        for label, reports in (("new", scan.new), ("updated", scan.updated)):
            for report in reports:
                size = f"{report.count} messages, {len(report.accounts)} accounts"
                typer.echo(f"{label}: {report.id}  {report.title} ({size})")

    run_command(work)


@insights_app.command("label-bug")
def label_bug(
    bug_id: Annotated[str, typer.Argument(help="The bug report's id.")],
    verdict: Annotated[BugStatus, typer.Argument(help="bug, not_bug or duplicate.")],
    duplicate_of: Annotated[str | None, typer.Option("--of", help="The report it duplicates.")] = None,
    actor: Annotated[str, typer.Option(help="Who labels it.")] = "cli",
    db: DbOption = None,
) -> None:
    """Mark a bug report as a bug, not a bug, or a duplicate; the label trains the classifier."""

    async def work() -> None:
        async with open_insights(db) as service:
            report = await service.label_bug(bug_id, verdict, actor=actor, duplicate_of=duplicate_of)
        typer.echo(f"{report.id}: {report.status.value}; its {report.count} messages labelled for training.")

    run_command(work)


@insights_app.command("train-classifier")
def train_classifier(
    issues: Annotated[
        Path | None, typer.Option(help="Folder with nlbse24_issues_train.csv (labelled GitHub issues).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Train the message classifier (bug / feature / question / other) and store it."""

    async def work() -> None:
        if issues is not None and not issues.is_dir():
            raise InvalidInputError(f"{issues} is not a folder.")
        async with open_insights(db) as service:
            meta = await service.train_classifier(issues)
        typer.echo(f"trained on {meta['examples']} examples ({meta['labels']} engineers' labels).")

    run_command(work)
