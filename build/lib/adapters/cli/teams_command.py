"""`assistant teams-package`: the zip to upload in Teams (manifest with the app id, and its icons)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.session import run_command
from assistant.errors import ConfigurationError

DEFAULT_OUTPUT = Path("support-assistant-teams.zip")


def teams_package_command(
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="The bot's Microsoft App ID (default: $MICROSOFT_APP_ID).")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the zip.")] = DEFAULT_OUTPUT,
) -> None:
    """Build the Teams app package from manifests/teams (upload it in Teams > Apps > Manage your apps)."""
    from adapters.teams.manifest import build_package

    async def work() -> None:
        chosen = app_id or os.environ.get("MICROSOFT_APP_ID", "").strip()
        if not chosen:
            raise ConfigurationError("Give the bot's app id: --app-id or MICROSOFT_APP_ID.")
        manifest = build_package(chosen, output)
        typer.echo(f"wrote {output} ({manifest['name']['short']} {manifest['version']}, app id {chosen})")

    run_command(work)
