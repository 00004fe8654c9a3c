"""Reactions on the assistant's answers: approve and reject emoji are learning signals.

From an agent they count fully (Role.AGENT); from a customer weakly (Role.CUSTOMER: the core
weights it). One person's reaction counts once per answer and signal, however often it is
removed and added again. When the database fails while learning, nothing is learned and the
claim is released: the event stays in the inbox and the sweep runs it again.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.text import reaction_signal
from assistant.errors import AssistantError, ServiceUnavailableError
from assistant.models import Signal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    def accept(body: Body) -> bool:
        event = body["event"]
        return (event.get("item") or {}).get("type") == "message" and _signal(deps, event) is not None

    app.event("reaction_added")(after_ack(deps, "reaction_added", on_reaction, accept=accept))


def _signal(deps: SlackDeps, event: Body) -> Signal | None:
    name = str(event.get("reaction", ""))
    return reaction_signal(name, approve=deps.settings.approve_names, reject=deps.settings.reject_names)


async def on_reaction(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    event = body["event"]
    item, user = event["item"], str(event.get("user", ""))
    signal = _signal(deps, event)
    if signal is None:
        return
    link = await deps.conversations.find_link(PLATFORM, str(item["channel"]), str(item["ts"]))
    if link is None or link.kind != "answer":
        return
    role = await deps.members.role_of(user)
    if role is None:
        return
    key = f"reaction:{link.answer_id}:{user}:{signal.value}"
    if not await deps.conversations.claim_event(PLATFORM, key):
        return
    try:
        await deps.assistant.feedback(link.answer_id, signal, actor=user, role=role)
    except ServiceUnavailableError:  # nothing was learned: the inbox runs the reaction again later
        await deps.conversations.release_event(PLATFORM, key)
        raise
    except AssistantError as exc:
        log.info("reaction on %s refused: %s", link.answer_id, type(exc).__name__)
