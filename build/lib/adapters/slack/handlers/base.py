"""The one shape every listener has: acknowledge at once, then run the work in the background.

When the request carries an inbox ticket (an ``event_callback``, click, modal submission or slash
command stored by ``adapters.slack.work``), the work is run through it, so the request is marked
done only once the work returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.deps import SlackDeps
from adapters.slack.work import INBOX_TICKET, InboxTicket

Body = dict[str, Any]
Work = Callable[[SlackDeps, AsyncWebClient, Body], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]
Accept = Callable[[Body], bool]


def after_ack(deps: SlackDeps, name: str, work: Work, accept: Accept | None = None) -> Listener:
    """A Bolt listener that acks, then (if ``accept(body)``) spawns ``work`` on the app's tracked tasks.

    Work that is skipped (``accept`` False) costs no task, so ignored traffic stays cheap.
    """

    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient, context: dict[str, Any]) -> None:
        await ack()
        if accept is None or accept(body):
            spawn(deps, context, work(deps, client, body), name)

    listener.__name__ = listener.__qualname__ = f"on_{name}"
    return listener


def spawn(deps: SlackDeps, context: dict[str, Any], job: Coroutine[Any, Any, None], name: str) -> None:
    """Run ``job`` on the app's tracked tasks, through the request's inbox ticket when it has one."""
    ticket = context.get(INBOX_TICKET)
    deps.work.spawn(ticket.take(job) if isinstance(ticket, InboxTicket) else job, name=name)
