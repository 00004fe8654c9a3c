"""Spot checks (as Slack's ``/assistant spot-check``): agents judge, Right or Wrong, the silent answers
drawn at random, one after another (``assistant.learning.spot_checks``).

* ``spot-check`` (typed in a 1:1 chat with the bot, or @mentioning it; agents only): the newest
  answer waiting, as a card in the agent's 1:1 chat, never where it was typed: a channel's
  customers must not read another customer's question.
* Right / Wrong on that card (``handlers.actions``): the verdict, Signal.APPROVE / REJECT with
  Role.AGENT, recorded once (a second click says the answer no longer waits), then the next answer
  waiting in the card's place.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from adapters.teams import cards, texts
from adapters.teams.activities import place_of, thread_conversation
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.messenger import card_activity, text_activity
from adapters.teams.payloads import ExchangeRef
from adapters.teams.replies import CONNECTOR_ERRORS
from assistant.learning.spot_checks import SpotCheck
from assistant.models import Role, Signal

log = logging.getLogger(__name__)


async def command(deps: TeamsDeps, context: TurnContext) -> None:
    """``spot-check``: the newest answer waiting, to the agent alone; a customer is refused where
    they typed it, as ``help`` is answered."""
    activity = context.activity
    try:
        if await deps.members.role_of(context) is not Role.AGENT:
            log.info("spot-check refused for %s (not an agent)", activity.from_property.id)
            await context.send_activity(text_activity(texts.AGENTS_ONLY))
            return
        card = card_activity(await newest_card(deps), texts.SPOT_CHECK_SUMMARY)
        if place_of(activity).personal:
            await context.send_activity(card)
        else:
            await deps.messenger.send_direct(activity, activity.from_property, card)
    except CONNECTOR_ERRORS as exc:
        log.warning("could not answer spot-check %s: %s", activity.id, type(exc).__name__)


async def newest_card(deps: TeamsDeps, note: str = "") -> cards.Card:
    """The newest answer waiting for a spot check (or that none is), under ``note``."""
    waiting = await deps.assistant.spot_checks(limit=1)
    check = waiting[0] if waiting else None
    return cards.spot_check_card(check, note, link=thread_link(check))


async def record(deps: TeamsDeps, answer_id: str, user: str, *, right: bool) -> str:
    """Record an agent's verdict on a spot check, once: what became of it, for the next card.

    The claim keeps two clicks at once from both finding the answer waiting; it is released after,
    so an answer waiting again (its verdict undone) can be judged again.
    """
    key = f"spot-check:{answer_id}"
    if not await deps.conversations.claim_event(PLATFORM, key):
        return texts.SPOT_CHECK_GONE
    try:
        waiting = await deps.assistant.spot_checks(limit=1, answer_id=answer_id)
        if not waiting:
            return texts.SPOT_CHECK_GONE
        signal = Signal.APPROVE if right else Signal.REJECT
        await deps.assistant.feedback(answer_id, signal, actor=user, role=Role.AGENT)
    finally:
        await deps.conversations.release_event(PLATFORM, key)
    return texts.spot_check_recorded(right, None if right else thread_link(waiting[0]))


def thread_link(check: SpotCheck | None) -> str | None:
    """The deep link to the Teams channel thread a spot-checked answer was given in; None for a
    chat (Teams has no such link), a question that came another way, or none at all. Only a
    question whose message id says it was asked in that very thread gets one."""
    question = check.question if check is not None else None
    if check is None or question is None or not question.channel or not question.thread:
        return None
    conversation = thread_conversation(question.channel, question.thread)
    if not (question.external_id or "").startswith(f"{PLATFORM}:{conversation}:"):
        return None
    ref = ExchangeRef(
        answer_id=check.answer.id, channel=question.channel, conversation=conversation, thread=question.thread
    )
    return ref.link()
