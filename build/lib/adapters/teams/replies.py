"""What the bot posts after it did something: answers, hand-offs, drafts and corrections.

Shared by the handlers: each function calls the service or the conversation store, renders with
``cards`` and sends with the ``Messenger`` (stored references, so it works from any turn and after
a restart), then remembers which message carries which answer (``link_message``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams import cards, texts
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.messenger import card_activity, text_activity
from adapters.teams.payloads import ExchangeRef
from assistant.conversations import ChannelBinding
from assistant.errors import AssistantError
from assistant.handoff import HandoffNotice
from assistant.learning.candidates import correction_claim
from assistant.learning.candidates import resolution_claim as resolution_key  # one claim everywhere
from assistant.models import Answer, Role, Signal

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[Any]]

#: What the Bot Connector client raises when Teams refuses or cannot be reached.
CONNECTOR_ERRORS = (HttpOperationError, ClientRequestError, requests.RequestException, PermissionError)


def is_transient(exc: BaseException) -> bool:
    """A Bot Connector failure worth retrying later: throttled (429), a server error (5xx) or the
    connector unreachable; not a refusal (403, 404) nor the bot's own credentials (PermissionError)."""
    if isinstance(exc, HttpOperationError):
        response = exc.response
        status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
        return int(status) == 429 or int(status) >= 500
    return isinstance(exc, ClientRequestError | requests.RequestException)


async def guarded(work: Awaitable[Any], notify: Notify | None, what: str) -> None:
    """Run ``work``; tell the user a known error's message, or that something failed."""
    try:
        await work
    except AssistantError as exc:
        log.info("%s refused: %s", what, type(exc).__name__)
        if notify is not None:
            await _quietly(notify(texts.error(exc.message)))
    except CONNECTOR_ERRORS as exc:
        log.error("%s: the Bot Connector failed (%s)", what, type(exc).__name__)
        if notify is not None:
            await _quietly(notify(texts.error(texts.FAILED)))


async def _quietly(call: Awaitable[Any]) -> None:
    try:
        await call
    except CONNECTOR_ERRORS as exc:
        log.warning("could not tell the user: %s", type(exc).__name__)


async def post_answer(deps: TeamsDeps, answer: Answer, ref: ExchangeRef) -> str:
    """The answer card in the customer's thread: the customers' view, which the agents the bot
    knows refresh to their own (``cards.agent_view``)."""
    shown = cards.answer_card(
        answer, ref, show_confidence=deps.settings.show_confidence, agents=deps.members.known_agents
    )
    sent = await deps.messenger.send(ref.conversation, card_activity(shown, answer.text))
    await deps.conversations.link_message(
        PLATFORM, ref.channel, sent.activity_id, ref.thread, answer.id, answer.question_id, "answer"
    )
    return sent.activity_id


async def hand_off(
    deps: TeamsDeps,
    *,
    answer: Answer,
    question: str,
    binding: ChannelBinding,
    ref: ExchangeRef,
    notice: str,
    asker: str | None = None,
) -> None:
    """Tell the customer a person will follow up, and hand the question to the agents: a card in the
    internal Teams channel, or a post wherever ``deps.handoffs`` sends it (``assistant.handoff``);
    the card names the account (its profile's name) and ``asker``, and links the thread."""
    sent = await deps.messenger.send(ref.conversation, text_activity(notice))
    await deps.conversations.link_message(
        PLATFORM, ref.channel, sent.activity_id, ref.thread, answer.id, answer.question_id, "handoff"
    )
    profile = await deps.threads.profile(binding.account) if binding.account else None
    handoff = HandoffNotice.of(
        answer,
        question=question,
        origin=ref.origin(),
        handoff_channel=binding.handoff_channel,
        account_name=profile.name if profile is not None else None,
        asker=asker,
    )
    await deps.handoffs.notify_handoff(handoff)


async def handoff_card(
    deps: TeamsDeps, ref: ExchangeRef, *, taken_by: str | None = None, done: str | None = None
) -> cards.Card:
    """The hand-off card redrawn as taken or done."""
    answer = await deps.assistant.get_answer(ref.answer_id)
    stored = await deps.assistant.get_question(answer.question_id)
    question = stored.text if stored is not None and not stored.deleted else ""
    profile = await deps.threads.profile(answer.account) if answer.account else None
    name = profile.name if profile is not None else None
    notice = HandoffNotice.of(answer, question=question, origin=ref.origin(), account_name=name)
    return cards.handoff_card(notice, ref, taken_by=taken_by, done=done)


async def send_draft(
    deps: TeamsDeps, ref: ExchangeRef, *, user: str, name: str, text: str | None = None
) -> bool:
    """An agent resolves a hand-off with the draft (``text`` None) or their own answer: it goes to
    the customer's thread and is learned (Signal.RESOLVE); False when the exchange was resolved
    already (by a draft, a correction or a reply, on whichever platform)."""
    if not await deps.conversations.claim_event(PLATFORM, resolution_key(ref.answer_id)):
        return False
    answer = await deps.assistant.get_answer(ref.answer_id)
    edited = text is not None and text.strip() != answer.text.strip()
    final = text.strip() if text is not None and edited else answer.text
    await deps.assistant.feedback(answer.id, Signal.RESOLVE, actor=user, role=Role.AGENT, text=final)
    card = (
        cards.agent_answer_card(final, name)
        if edited
        else cards.draft_card(answer, show_confidence=deps.settings.show_confidence)
    )
    sent = await deps.messenger.send(ref.conversation, card_activity(card, final))
    await deps.conversations.link_message(
        PLATFORM, ref.channel, sent.activity_id, ref.thread, answer.id, answer.question_id, "answer"
    )
    conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread)
    if conversation is not None:
        resolved = await deps.threads.resolved(conversation, user)
        rating = cards.csat_card(resolved.id, ref)
        await deps.messenger.send(ref.conversation, card_activity(rating, texts.CSAT_QUESTION))
    log.info("answer %s: %s sent by %s", answer.id, "an edited answer" if edited else "the draft", user)
    return True


async def send_correction(
    deps: TeamsDeps, ref: ExchangeRef, *, text: str, make_global: bool, user: str, name: str
) -> bool:
    """An agent's corrected answer: learned (Signal.CORRECT) and posted in the customer's thread;
    False (nothing done) when the same correction was submitted before (a double submit)."""
    claim = correction_claim(ref.answer_id, text, make_global)
    if not await deps.conversations.claim_event(PLATFORM, claim):
        return False
    try:
        learned = await deps.assistant.feedback(
            ref.answer_id, Signal.CORRECT, actor=user, role=Role.AGENT, text=text, make_global=make_global
        )
    except BaseException:
        await deps.conversations.release_event(PLATFORM, claim)
        raise
    # An explicit correction also closes the thread to later replies being learned again.
    await deps.conversations.claim_event(PLATFORM, resolution_key(ref.answer_id))
    answer = await deps.assistant.get_answer(ref.answer_id)
    sent = await deps.messenger.send(
        ref.conversation, card_activity(cards.agent_answer_card(text, name), text)
    )
    await deps.conversations.link_message(
        PLATFORM, ref.channel, sent.activity_id, ref.thread, answer.id, answer.question_id, "answer"
    )
    log.info("answer %s corrected by %s (global=%s): event %s", answer.id, user, make_global, learned.id)
    return True
