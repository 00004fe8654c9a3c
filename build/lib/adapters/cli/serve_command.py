"""`assistant serve`: run the Slack app and/or the Teams bot, as their settings configure them."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from adapters.cli.session import run_command, settings_for

DEFAULT_PORT = 3000


def serve_command(
    port: Annotated[
        int, typer.Option(help="Port of /slack/events, /api/messages and /healthz (0: any free port).")
    ] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
    ] = None,
) -> None:
    """Run the Slack app and/or the Teams bot until Ctrl-C (one process, one store).

    Slack: HTTP mode needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN; Socket Mode SLACK_APP_TOKEN and
    SLACK_BOT_TOKEN. Teams: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (plus MICROSOFT_APP_TYPE and
    MICROSOFT_APP_TENANT_ID for a single-tenant bot); TEAMS_ALLOW_UNAUTHENTICATED=1 for local tests only.
    """
    from adapters.server import serve
    from adapters.slack.settings import load_slack_settings
    from adapters.teams.settings import load_teams_settings
    from assistant.errors import ConfigurationError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # msrest.serialization warns about every Teams channelData field the SDK's models lack.
    for noisy, level in (("alembic", logging.WARNING), ("sentence_transformers", logging.WARNING)):
        logging.getLogger(noisy).setLevel(level)
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)

    async def work() -> None:
        settings = settings_for(db)
        slack_settings = load_slack_settings()
        teams_settings = load_teams_settings()
        slack_on = any(slack_settings.secret(name) for name in ("bot_token", "signing_secret", "app_token"))
        if not slack_on and not teams_settings.configured:
            raise ConfigurationError(
                "Nothing to serve. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) for "
                "Slack, and/or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for Teams; see manifests/."
            )
        # fail on missing credentials before loading the model
        if slack_on:
            slack_settings.mode  # noqa: B018
        if teams_settings.configured:
            teams_settings.auth_mode  # noqa: B018

        def ready(line: str) -> None:
            typer.echo(line)

        await serve(
            settings=settings,
            slack_settings=slack_settings if slack_on else None,
            teams_settings=teams_settings if teams_settings.configured else None,
            host=host,
            port=port,
            ready=ready,
        )

    run_command(work)
