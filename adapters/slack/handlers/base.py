"""The one shape every listener has: acknowledge at once, then run the work in the background."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.deps import SlackDeps

Body = dict[str, Any]
Work = Callable[[SlackDeps, AsyncWebClient, Body], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]
Accept = Callable[[Body], bool]


def after_ack(deps: SlackDeps, name: str, work: Work, accept: Accept | None = None) -> Listener:
    """A Bolt listener that acks, then (if ``accept(body)``) spawns ``work`` on the app's tracked tasks.

    Work that is skipped (``accept`` False) costs no task, so ignored traffic stays cheap.
    """

    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        await ack()
        if accept is None or accept(body):
            deps.work.spawn(work(deps, client, body), name=name)

    listener.__name__ = listener.__qualname__ = f"on_{name}"
    return listener
