"""`assistant serve`: run the Slack app (HTTP mode or Socket Mode, from the SLACK_* settings)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from adapters.cli.session import run_command, settings_for

DEFAULT_PORT = 3000


def serve_command(
    port: Annotated[
        int, typer.Option(help="Port of /slack/events and /healthz (0: any free port).")
    ] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
    ] = None,
) -> None:
    """Run the Slack app until Ctrl-C.

    HTTP mode needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN; Socket Mode SLACK_APP_TOKEN and SLACK_BOT_TOKEN.
    """
    from adapters.slack.server import serve
    from adapters.slack.settings import load_slack_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    async def work() -> None:
        settings = settings_for(db)
        slack_settings = load_slack_settings()
        slack_settings.mode  # noqa: B018 - fail on missing credentials before loading the model

        def ready(line: str) -> None:
            typer.echo(line)

        await serve(settings=settings, slack_settings=slack_settings, host=host, port=port, ready=ready)

    run_command(work)
