"""Messages in customer channels and chats: questions get answers or hand-offs, agents' replies teach.

* A customer's message at the top of a channel, or in a thread that has no answer yet, is a
  question (unless it is small talk); in a 1:1 chat every message from anyone is a question.
* An agent's reply in a channel thread after the assistant's answer or a hand-off is only a
  *candidate* (``assistant.learning.candidates``): it is learned when the conversation is resolved
  with it, never by being typed. Notes, holding replies, questions back and small talk
  (``assistant.learning.replies``) are not even kept. Agents teach on purpose with the answer
  card's "Correct this" form and "Send and teach" on a hand-off.
* A customer asking faster than the per-user or per-channel rate (``assistant.limits``) is told
  when to ask again.
* The turn only decides; the answer is composed and sent in the background (``BackgroundWork``),
  so the Bot Connector hears back at once. The message is kept in the inbox
  (``adapters.teams.inbox``) until that work is done: a redelivered activity is skipped there, and
  a message the sweep runs again after a crash or an outage reuses the answer already stored for
  it and posts nothing twice. When Teams cannot take the reply (5xx, 429, unreachable) or the
  database fails while asking, ``RetryLater`` leaves the message pending for the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.inbox import RetryLater
from adapters.teams import texts
from adapters.teams.activities import Place, clean_text, place_of
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.inbox import ticket_of
from adapters.teams.messenger import text_activity
from adapters.teams.payloads import ExchangeRef
from adapters.teams.replies import (
    CONNECTOR_ERRORS,
    guarded,
    hand_off,
    is_transient,
    post_answer,
)
from adapters.teams.roles import conversation_tenant
from adapters.wording import rate_limited  # the same wording on both platforms
from assistant.conversations import ChannelBinding, MessageLink
from assistant.errors import ServiceUnavailableError
from assistant.learning.candidates import ReplyLearning
from assistant.learning.replies import is_small_talk  # the same rules on both platforms
from assistant.models import Answer, Question, Role, utcnow

log = logging.getLogger(__name__)


def actor_of(context: TurnContext) -> tuple[str, str]:
    """(stable id, display name) of the sender: the AAD object id when Teams gives one."""
    sender = context.activity.from_property
    return str(sender.aad_object_id or sender.id), str(sender.name or sender.id)


async def on_message(deps: TeamsDeps, context: TurnContext) -> None:
    activity = context.activity
    place = place_of(activity)
    ticket = ticket_of(context)  # kept in the inbox, which skipped a redelivery already
    if ticket is None and not await deps.conversations.claim_event(
        PLATFORM, f"activity:{place.conversation}:{activity.id}"
    ):
        log.info("activity %s already handled; skipped", activity.id)
        return

    def spawn(work: Coroutine[Any, Any, None], name: str) -> None:
        deps.work.spawn(ticket.take(work) if ticket is not None else work, name=name)

    text = clean_text(activity.text)
    if not text:
        return
    binding = await deps.binding(place.channel, personal=place.personal, tenant=conversation_tenant(context))
    if binding is None or binding.kind != "customer":
        return
    role = await deps.members.role_of(context)
    if role is None:
        return
    user, _ = actor_of(context)
    link = None
    if not place.personal and place.thread != activity.id:
        link = await deps.conversations.find_thread(PLATFORM, place.channel, place.thread)
    if role is Role.AGENT and not place.personal:
        if link is not None:
            spawn(_keep_reply(deps, text, link, user, str(activity.id)), f"teams reply {activity.id}")
        return
    if link is not None or is_small_talk(text):
        return
    prior = await deps.conversations.find_link(PLATFORM, place.channel, str(activity.id))
    decision = deps.limits.check(user=user, channel=place.channel) if prior is None else None
    if decision is not None and not decision.allowed:  # told when to ask again, never silently dropped
        log.info("question in %s refused: %s rate limit", place.channel, decision.scope)
        refusal = text_activity(rate_limited(decision.retry_after, decision.scope))
        spawn(_send(deps, place.conversation, refusal), f"teams limit {activity.id}")
        return
    asked_at = activity.timestamp if isinstance(activity.timestamp, datetime) else utcnow()
    question = Question(
        text=text,
        account=binding.account,
        channel=place.channel,
        user=user,
        thread=place.thread,
        external_id=f"{PLATFORM}:{place.conversation}:{activity.id}",
        asked_at=asked_at,
    )

    async def notify(message: str) -> None:
        await deps.messenger.send(place.conversation, text_activity(message))

    work = guarded(_answer(deps, question, place, str(activity.id), binding, prior), notify, "question")
    spawn(work, f"teams question {activity.id}")


async def _send(deps: TeamsDeps, conversation: str, activity: Activity) -> None:
    await deps.messenger.send(conversation, activity)


async def _answer(
    deps: TeamsDeps,
    question: Question,
    place: Place,
    message_id: str,
    binding: ChannelBinding,
    prior: MessageLink | None,
) -> None:
    if prior is not None and prior.kind == "question":  # asked before a crash or an outage
        answer = await deps.assistant.get_answer(prior.answer_id)
        posted = await deps.conversations.find_thread(PLATFORM, place.channel, place.thread)
        if posted is None or posted.answer_id != answer.id:
            await _deliver(deps, answer, question.text, place, binding)
        return
    try:
        answer = await deps.assistant.ask(question)
        await deps.conversations.link_message(
            PLATFORM, place.channel, message_id, place.thread, answer.id, answer.question_id, "question"
        )
    except ServiceUnavailableError as exc:  # e.g. SQLite's lock wait ran out: asked again later
        raise RetryLater(f"question in {place.channel}: {type(exc).__name__}") from exc
    log.info(
        "question %s in %s: %s (%.2f)",
        answer.question_id,
        place.channel,
        answer.decision.value,
        answer.confidence,
    )
    await _deliver(deps, answer, question.text, place, binding)


async def _deliver(
    deps: TeamsDeps, answer: Answer, question: str, place: Place, binding: ChannelBinding
) -> None:
    """Send the answer or the hand-off; Teams failing for a while leaves the message to the inbox."""
    ref = ExchangeRef(
        answer_id=answer.id, channel=place.channel, conversation=place.conversation, thread=place.thread
    )
    try:
        if answer.handed_off:
            await hand_off(
                deps, answer=answer, question=question, binding=binding, ref=ref, notice=texts.HANDOFF_NOTICE
            )
        else:
            await post_answer(deps, answer, ref)
    except CONNECTOR_ERRORS as exc:
        if is_transient(exc):
            raise RetryLater(f"answer {answer.id}: the Bot Connector failed ({type(exc).__name__})") from exc
        raise


async def _keep_reply(deps: TeamsDeps, text: str, link: MessageLink, user: str, message_id: str) -> None:
    """Keep an agent's reply as a candidate answer (nothing is learned from it yet)."""
    candidate = await ReplyLearning(deps.assistant, deps.conversations).propose(
        link, message_ts=message_id, actor=user, text=text
    )
    if candidate is not None:
        log.info("reply %s kept as a candidate for answer %s", message_id, link.answer_id)
