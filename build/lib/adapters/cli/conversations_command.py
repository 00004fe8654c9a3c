"""`assistant conversations`: customer threads as conversations, their state and what was said.

``list`` filters by account and state (newest activity first); ``show`` prints one conversation
(by id) with its messages. Deleted messages show as deleted: their text is gone.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.session import run_command, settings_for
from adapters.wiring import build_conversation_store
from assistant.errors import NotFoundError
from assistant.service_levels import CSAT_SCALE
from assistant.threads import Conversation, ThreadMessage, ThreadState

conversations_app = typer.Typer(
    help="Customer threads as conversations: list and show, by account and state.", no_args_is_help=True
)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $ASSISTANT_DATABASE_URL).")
]
STATES = tuple(state.value for state in ThreadState)


def _state(value: str | None) -> str | None:
    if value is not None and value.replace("-", "_").replace(" ", "_") not in STATES:
        raise typer.BadParameter(f"must be one of: {', '.join(STATES)}")
    return value.replace("-", "_").replace(" ", "_") if value is not None else None


def conversation_line(conversation: Conversation) -> str:
    """One conversation on one line: id, state, account, where, asker, owner, rating, last activity."""
    owner = f"  owner {conversation.owner}" if conversation.owner else ""
    asker = f"  asked by {conversation.asker}" if conversation.asker else ""
    rated = f"  rated {CSAT_SCALE.get(conversation.csat, conversation.csat)}" if conversation.csat else ""
    return (
        f"{conversation.id}  {conversation.state.value:<19}  {conversation.account or '-'}  "
        f"{conversation.platform}:{conversation.channel}/{conversation.thread}{asker}{owner}{rated}  "
        f"updated {conversation.updated_at:%Y-%m-%d %H:%M} UTC"
    )


def message_line(message: ThreadMessage) -> str:
    text = message.text if message.text is not None else "(deleted)"
    if message.kind == "handoff":
        text = "(handed off to a person)"
    return f"  {message.created_at:%Y-%m-%d %H:%M:%S}  {message.speaker:<9} {message.kind:<14} {text}"


@conversations_app.command("list")
def list_conversations(
    account: Annotated[str | None, typer.Option(help="Only this account's conversations.")] = None,
    state: Annotated[
        str | None,
        typer.Option(callback=_state, help=f"Only conversations in this state: {', '.join(STATES)}."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    db: DbOption = None,
) -> None:
    """Conversations, most recently active first."""

    async def work() -> None:
        store = build_conversation_store(settings_for(db))
        await store.initialize()
        try:
            found = await store.list_conversations(
                account=account, state=ThreadState(state) if state else None, limit=limit
            )
        finally:
            await store.close()
        if not found:
            typer.echo("No conversations match.")
        for conversation in found:
            typer.echo(conversation_line(conversation))

    run_command(work)


@conversations_app.command("show")
def show_conversation(
    conversation_id: Annotated[str, typer.Argument(help="The conversation's id (conv_...).")],
    db: DbOption = None,
) -> None:
    """One conversation: its state, participants, hand-off post and messages."""

    async def work() -> None:
        store = build_conversation_store(settings_for(db))
        await store.initialize()
        try:
            conversation = await store.conversation_by_id(conversation_id)
            if conversation is None:
                raise NotFoundError(f"No conversation has the id {conversation_id}.")
            messages = await store.thread_messages(conversation.id)
        finally:
            await store.close()
        typer.echo(conversation_line(conversation))
        typer.echo(f"  participants: {', '.join(conversation.participants) or '-'}")
        if conversation.handoff_post:
            typer.echo(f"  hand-off post: {conversation.handoff_channel}/{conversation.handoff_post}")
        if conversation.link:
            typer.echo(f"  link: {conversation.link}")
        if conversation.first_response_at:
            waited = conversation.first_response_at - conversation.created_at
            typer.echo(f"  first response after {waited.total_seconds():.0f} s")
        for message in messages:
            typer.echo(message_line(message))

    run_command(work)
