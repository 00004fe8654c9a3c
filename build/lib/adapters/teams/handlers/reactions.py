"""Reactions in Teams: approve and reject on the assistant's answers, approve on an agent's reply.

The same rules as in Slack (``assistant.learning.reactions``):

* On the assistant's answer card, an approve reaction (``TEAMS_APPROVE_REACTIONS``, 👍 and ❤️ by
  default) or a reject one (``TEAMS_REJECT_REACTIONS``, 😠) is the person's signal: an agent's
  counts fully, a customer's weakly. One person's reaction counts once.
* On an agent's reply kept as a candidate, an approve reaction from an agent, or from the customer
  saying it solved their problem, teaches the reply, private to the thread's account.
* Removing the reaction takes back exactly what adding it did.

Teams sends a reaction as a ``messageReaction`` activity whose ``replyToId`` is the message reacted
to (Bot Framework's ``reactionsAdded`` / ``reactionsRemoved``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from botbuilder.core import TurnContext
from botbuilder.schema import MessageReaction

from adapters.reactions import reaction_signal  # one rule on both platforms
from adapters.teams.activities import place_of
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.handlers.messages import actor_of
from adapters.teams.roles import conversation_tenant
from assistant.errors import AssistantError
from assistant.learning.candidates import ReplyLearning
from assistant.learning.reactions import Reactions
from assistant.models import Signal

log = logging.getLogger(__name__)


def signal_of(deps: TeamsDeps, reaction: MessageReaction) -> Signal | None:
    settings = deps.settings
    return reaction_signal(
        str(reaction.type or ""), approve=settings.approve_reaction_set, reject=settings.reject_reaction_set
    )


def _signals(deps: TeamsDeps, reactions: Sequence[MessageReaction] | None) -> list[Signal]:
    found = {signal_of(deps, reaction) for reaction in reactions or ()}
    return [signal for signal in (Signal.APPROVE, Signal.REJECT) if signal in found]


async def on_reactions_added(
    deps: TeamsDeps, context: TurnContext, reactions: Sequence[MessageReaction] | None
) -> None:
    activity = context.activity
    message_id = str(activity.reply_to_id or "")
    signals = _signals(deps, reactions)
    if not message_id or not signals:
        return
    place = place_of(activity)
    binding = await deps.binding(place.channel, personal=place.personal, tenant=conversation_tenant(context))
    if binding is None or binding.kind != "customer":
        return
    role = await deps.members.role_of(context)
    if role is None:
        return
    user, _ = actor_of(context)
    link = await deps.conversations.find_link(PLATFORM, place.channel, message_id)
    reactions_store = Reactions(deps.assistant, deps.conversations)
    for signal in signals:
        if link is None:
            if signal is Signal.APPROVE:
                await _approve_reply(deps, place.channel, message_id, user)
            continue
        if link.kind != "answer":
            continue
        try:
            await reactions_store.on_answer(
                PLATFORM, link, message_ts=message_id, user=user, role=role, signal=signal
            )
        except AssistantError as exc:
            log.info("reaction on %s refused: %s", link.answer_id, type(exc).__name__)


async def _approve_reply(deps: TeamsDeps, channel: str, message_id: str, user: str) -> None:
    """An approve reaction on an agent's candidate reply: an agent teaching it, or the customer
    saying it solved it (private to the account either way)."""
    learning = ReplyLearning(deps.assistant, deps.conversations)
    candidate = await learning.candidate(PLATFORM, channel, message_id)
    if candidate is None or candidate.event_id is not None:
        return
    try:
        event = await learning.promote(candidate, by=user)
    except AssistantError as exc:
        log.info("reaction on reply %s refused: %s", message_id, type(exc).__name__)
        return
    if event is None:
        return
    await Reactions(deps.assistant, deps.conversations).remember(
        PLATFORM,
        channel_id=channel,
        message_ts=message_id,
        user=user,
        signal=Signal.APPROVE,
        event_id=event.id,
    )
    log.info("reply %s taught by a reaction: %s", message_id, event.id)


async def on_reactions_removed(
    deps: TeamsDeps, context: TurnContext, reactions: Sequence[MessageReaction] | None
) -> None:
    activity = context.activity
    message_id = str(activity.reply_to_id or "")
    if not message_id:
        return
    place = place_of(activity)
    user, _ = actor_of(context)
    for signal in _signals(deps, reactions):
        await Reactions(deps.assistant, deps.conversations).take_back(
            PLATFORM, channel_id=place.channel, message_ts=message_id, user=user, signal=signal
        )
