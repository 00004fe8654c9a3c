"""Reactions: approve and reject emoji on the assistant's answers, ✅ on an agent's reply.

* On an answer: from an agent the signal counts fully (Role.AGENT); from a customer weakly
  (Role.CUSTOMER: the core weights it). One person's reaction counts once per answer and signal
  (a retried event, or the reaction added twice, changes nothing more).
* On an agent's reply kept as a candidate (``adapters.slack.handlers.teaching``): ✅ from an agent,
  or from the customer saying it solved it, teaches the reply (private to the account).
* Removing the reaction (``reaction_removed``) takes back exactly what adding it did: the learning
  event it made is undone, and adding it again counts again.

When the database fails while learning, nothing is learned and the claim is released: the event
stays in the inbox and the sweep runs it again.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.reactions import reaction_signal  # one rule on both platforms
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.handlers.teaching import promote
from adapters.slack.replies import ephemeral
from assistant.errors import AssistantError, ServiceUnavailableError
from assistant.learning.candidates import ReplyLearning
from assistant.learning.reactions import Reactions
from assistant.models import Signal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    def accept(body: Body) -> bool:
        event = body["event"]
        return (event.get("item") or {}).get("type") == "message" and _signal(deps, event) is not None

    app.event("reaction_added")(after_ack(deps, "reaction_added", on_reaction, accept=accept))
    app.event("reaction_removed")(after_ack(deps, "reaction_removed", on_reaction_removed, accept=accept))


def _signal(deps: SlackDeps, event: Body) -> Signal | None:
    name = str(event.get("reaction", ""))
    return reaction_signal(name, approve=deps.settings.approve_names, reject=deps.settings.reject_names)


async def on_reaction(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    event = body["event"]
    item, user = event["item"], str(event.get("user", ""))
    channel, ts = str(item["channel"]), str(item["ts"])
    signal = _signal(deps, event)
    if signal is None:
        return
    role = await deps.members.role_of(user)
    if role is None:
        return
    link = await deps.conversations.find_link(PLATFORM, channel, ts)
    if link is None:
        if signal is Signal.APPROVE:
            await _approve_reply(deps, client, channel, ts, user)
        return
    if link.kind != "answer":
        return
    reactions = Reactions(deps.assistant, deps.conversations)
    try:
        await reactions.on_answer(PLATFORM, link, message_ts=ts, user=user, role=role, signal=signal)
    except ServiceUnavailableError:  # nothing was learned: the inbox runs the reaction again later
        raise
    except AssistantError as exc:
        log.info("reaction on %s refused: %s", link.answer_id, type(exc).__name__)


async def _approve_reply(deps: SlackDeps, client: AsyncWebClient, channel: str, ts: str, user: str) -> None:
    """✅ on an agent's candidate reply: an agent teaching it, or the customer saying it solved it."""
    candidate = await ReplyLearning(deps.assistant, deps.conversations).candidate(PLATFORM, channel, ts)
    if candidate is None or candidate.event_id is not None:
        return
    notify = ephemeral(client, channel, user, candidate.thread_ts)
    event = await promote(deps, client, candidate, by=user, notify=notify)
    if event is not None:
        await Reactions(deps.assistant, deps.conversations).remember(
            PLATFORM, channel_id=channel, message_ts=ts, user=user, signal=Signal.APPROVE, event_id=event.id
        )


async def on_reaction_removed(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    """Take back what the same reaction did: the event it made is undone (once)."""
    event = body["event"]
    item, user = event["item"], str(event.get("user", ""))
    channel, ts = str(item["channel"]), str(item["ts"])
    signal = _signal(deps, event)
    if signal is None:
        return
    await Reactions(deps.assistant, deps.conversations).take_back(
        PLATFORM, channel_id=channel, message_ts=ts, user=user, signal=signal
    )
