"""`assistant console`: the web console alone (no Slack or Teams needed), until Ctrl-C."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from adapters.cli.session import run_command, settings_for

DEFAULT_PORT = 8080


def console_command(
    port: Annotated[
        int, typer.Option(help="Port of /console and /healthz (0: any free port).")
    ] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
    ] = None,
) -> None:
    """Serve the web console: sandbox, learning, knowledge, charts and replays.

    Sign-in tokens come from ASSISTANT_CONSOLE_TOKEN (every account) or ASSISTANT_CONSOLE_TOKENS
    (token:scope pairs, scope * or one account id).
    """
    from adapters.console.server import serve_console
    from adapters.console.settings import load_console_settings
    from assistant.errors import ConfigurationError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    async def work() -> None:
        settings = settings_for(db)
        console = load_console_settings()
        if console.open and host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigurationError(
                "ASSISTANT_CONSOLE_OPEN (no sign-in) is for the loopback interface only."
            )
        if not console.open and not console.scopes():
            raise ConfigurationError(
                "Set ASSISTANT_CONSOLE_TOKEN (or ASSISTANT_CONSOLE_TOKENS=token:*,token:account) first."
            )

        def ready(url: str) -> None:
            typer.echo(f"Web console on {url}")

        await serve_console(settings=settings, console_settings=console, host=host, port=port, ready=ready)

    run_command(work)
