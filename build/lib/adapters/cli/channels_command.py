"""`assistant channels`: which Slack or Teams channels are customer channels, of which account, handing
off where (``--platform teams`` for Teams channel ids such as ``19:...@thread.tacv2``)."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.session import run_command, settings_for
from adapters.wiring import build_conversation_store
from assistant.conversations import ChannelBinding, ConversationStore

PLATFORMS = ("slack", "teams")

channels_app = typer.Typer(help="Map Slack or Teams channels to customer accounts.", no_args_is_help=True)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
]


def _platform(value: str) -> str:
    if value not in PLATFORMS:
        raise typer.BadParameter(f"must be one of: {', '.join(PLATFORMS)}")
    return value


PlatformOption = Annotated[
    str,
    typer.Option("--platform", callback=_platform, help="slack (C... ids) or teams (19:... ids)."),
]


async def _with_store(db: str | None) -> ConversationStore:
    store = build_conversation_store(settings_for(db))
    await store.initialize()
    return store


def _line(binding: ChannelBinding) -> str:
    if binding.kind == "internal":
        return f"{binding.channel_id}  internal"
    handoff = (
        f"  hand-off → {binding.handoff_channel}" if binding.handoff_channel else "  (no hand-off channel)"
    )
    return f"{binding.channel_id}  customer  account {binding.account}{handoff}"


@channels_app.command("set")
def set_channel(
    channel: Annotated[str, typer.Argument(help="The customer channel's id (C...).")],
    account: Annotated[str, typer.Option(help="The account its members belong to.")],
    handoff: Annotated[str | None, typer.Option(help="The internal channel hand-offs go to (C...).")] = None,
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org",
            help="An organisation whose members belong to ACCOUNT (Slack team T... or Grid org E..., "
            "Teams tenant id); repeat it for several. Customers of other organisations asking in "
            "CHANNEL are handed off, never answered from ACCOUNT's knowledge.",
        ),
    ] = None,
    platform: PlatformOption = "slack",
    db: DbOption = None,
) -> None:
    """Make CHANNEL a customer channel of ACCOUNT (the hand-off channel is marked internal)."""

    async def work() -> None:
        store = await _with_store(db)
        try:
            binding = ChannelBinding(platform, channel, account, "customer", handoff)
            await store.bind_channel(binding)
            if org:
                await store.set_channel_orgs(platform, channel, [o.strip() for o in org if o.strip()])
            if handoff and await store.get_channel(platform, handoff) is None:
                await store.bind_channel(ChannelBinding(platform, handoff, None, "internal"))
        finally:
            await store.close()
        typer.echo(_line(binding) + (f"  organisations {', '.join(org)}" if org else ""))

    run_command(work)


@channels_app.command("internal")
def internal_channel(
    channel: Annotated[str, typer.Argument(help="The channel's id (C...).")],
    platform: PlatformOption = "slack",
    db: DbOption = None,
) -> None:
    """Mark CHANNEL internal: agents work there and no question is answered."""

    async def work() -> None:
        store = await _with_store(db)
        try:
            binding = ChannelBinding(platform, channel, None, "internal")
            await store.bind_channel(binding)
        finally:
            await store.close()
        typer.echo(_line(binding))

    run_command(work)


@channels_app.command("list")
def list_channels(platform: PlatformOption = "slack", db: DbOption = None) -> None:
    """Every mapped channel."""

    async def work() -> None:
        store = await _with_store(db)
        try:
            bindings = await store.list_channels(platform)
        finally:
            await store.close()
        if not bindings:
            typer.echo("No channels are mapped yet; see: assistant channels set --help")
        for binding in bindings:
            typer.echo(_line(binding))

    run_command(work)
