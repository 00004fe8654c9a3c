"""`assistant integrations status|sync`: what is configured and when it last synced; sync once now.

``sync`` runs ``run_ticket_sync``, the code ``serve``'s scheduled job runs; ``--dry-run`` prints
what would be sent and sends nothing. Heavy imports stay inside the commands (fast CLI start).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adapters.cli.session import run_command, settings_for

integrations_app = typer.Typer(help="Bug tickets in GitHub / Jira: status and sync.", no_args_is_help=True)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
]


@integrations_app.command("status")
def status_command(db: DbOption = None) -> None:
    """Each integration: configured or not, reachable or not, its tickets and its last sync."""
    from adapters.integrations.runner import TICKET_SYNC, open_integrations
    from adapters.integrations.settings import load_integration_settings
    from assistant.errors import AssistantError
    from assistant.insights.settings import load_insight_settings
    from assistant.integrations.tickets import TicketState

    async def work() -> None:
        settings = settings_for(db)
        integration_settings = load_integration_settings()
        for line in _unconfigured(integration_settings):
            typer.echo(line)
        async with open_integrations(
            settings, integration_settings, load_insight_settings(), embedder=None, teacher=None
        ) as runtime:
            if runtime is None:
                return
            records = await runtime.ledger.tickets()
            for tracker in runtime.trackers.trackers:
                try:
                    reach = await tracker.check()
                except AssistantError as exc:
                    reach = f"NOT OK: {exc.message}"
                mine = [r for r in records if r.tracker == tracker.name]
                counts = ", ".join(f"{sum(r.state is s for r in mine)} {s.value}" for s in TicketState)
                typer.echo(f"{tracker.name}: {_target(tracker)}: {reach}; tickets: {counts}")
                for record in mine:
                    if record.last_error:
                        typer.echo(
                            f"  {record.bug_id} ({record.key or 'no ticket yet'}): {record.last_error}"
                        )
            if runtime.hubspot is not None:
                try:
                    reach = await runtime.hubspot.check()
                except AssistantError as exc:
                    reach = f"NOT OK: {exc.message}"
                typer.echo(f"hubspot: {reach}")
            runs = await runtime.source.job_runs(TICKET_SYNC)
            if runs:
                last = runs[0]
                typer.echo(
                    f"last scheduled sync: {last['claimed_at']:%Y-%m-%d %H:%M} UTC, {last['status']}: "
                    f"{last['summary']}"
                )
            else:
                typer.echo("last scheduled sync: never (assistant serve runs it)")

    run_command(work)


@integrations_app.command("sync")
def sync_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Run every configured integration once (what the scheduled job runs)."""
    from adapters.cli.session import open_assistant
    from adapters.integrations.runner import (
        open_integrations,
        run_churn_push,
        run_site_crawls,
        run_ticket_sync,
    )
    from adapters.integrations.settings import load_integration_settings
    from assistant.insights.settings import load_insight_settings

    async def work() -> None:
        settings = settings_for(db)
        integration_settings = load_integration_settings()
        insight_settings = load_insight_settings()
        if not integration_settings.anything:
            for line in _unconfigured(integration_settings):
                typer.echo(line)
            return
        notifier, store = _slack_notifier(insight_settings, settings)
        async with open_assistant(settings) as assistant:
            if store is not None:
                await store.initialize()
            async with open_integrations(
                settings,
                integration_settings,
                insight_settings,
                embedder=assistant.embedder,
                teacher=None if dry_run else assistant,
                notifier=None if dry_run else notifier,
            ) as runtime:
                assert runtime is not None
                try:
                    report = await run_ticket_sync(runtime, dry_run=dry_run)
                    pushed = await run_churn_push(runtime, dry_run=dry_run)
                    if dry_run:
                        for url in integration_settings.crawl_urls:
                            typer.echo(f"would: re-crawl {url}")
                    else:
                        for site in await run_site_crawls(runtime, assistant) or []:
                            done = site.ingest
                            typer.echo(
                                f"crawled: {done.added} added, {done.updated} updated, "
                                f"{len(site.retired)} retired, {site.not_modified} not modified"
                            )
                finally:
                    if store is not None:
                        await store.close()
        assert report is not None
        if pushed is not None:
            for line in pushed.written:
                typer.echo(f"{'would write' if dry_run else 'hubspot'}: {line}")
            for account in pushed.entered:
                typer.echo(f"hubspot: {account} entered the churn-risk list (note added)")
            for account in pushed.left:
                typer.echo(f"hubspot: {account} left the churn-risk list (note added)")
            if pushed.unmapped:
                typer.echo(f"hubspot: no company for {', '.join(pushed.unmapped)} (HUBSPOT_ACCOUNT_MAP)")
        for title, lines in (
            ("would", report.planned),
            ("created", report.created),
            ("updated", report.commented),
            ("closed", report.closed),
            ("FAILED", report.failed),
        ):
            for line in lines:
                typer.echo(f"{title}: {line}")
        typer.echo(("dry run: nothing was sent. " if dry_run else "") + report.summary())
        if report.failed:
            raise typer.Exit(code=1)

    run_command(work)


def _unconfigured(settings: Any) -> list[str]:
    lines = []
    if not settings.github:
        lines.append("github: not configured (ASSISTANT_GITHUB_REPO, GITHUB_TOKEN)")
    if not settings.jira:
        lines.append("jira: not configured (JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, ASSISTANT_JIRA_PROJECT)")
    if not settings.hubspot:
        lines.append("hubspot: not configured (HUBSPOT_ACCESS_TOKEN)")
    if not settings.crawl_urls:
        lines.append("site re-crawl: not configured (ASSISTANT_CRAWL_URLS)")
    return lines


def _target(tracker: Any) -> str:
    return str(getattr(tracker, "repo", None) or getattr(tracker, "project", ""))


def _slack_notifier(insight_settings: Any, settings: Any) -> tuple[Any, Any]:
    """The Slack notifier and its store when a bot token is configured (else fixes are only taught)."""
    from adapters.slack.settings import load_slack_settings

    slack = load_slack_settings()
    token = slack.secret("bot_token")
    if not token:
        return None, None
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.ticket_notifier import SlackTicketNotifier
    from adapters.wiring import build_conversation_store

    client = (
        AsyncWebClient(token=token, base_url=slack.api_url) if slack.api_url else AsyncWebClient(token=token)
    )
    store = build_conversation_store(settings)
    notifier = SlackTicketNotifier(
        client=client, conversations=store, engineering_channels=insight_settings.slack_engineering
    )
    return notifier, store
