"""Messages in customer channels and chats: questions get answers or hand-offs, agents' replies teach.

* A customer's message at the top of a channel, or in a thread that has no answer yet, is a
  question (unless it is small talk); in a 1:1 chat every message from anyone is a question.
* A customer's message in a reply chain (or a 1:1 chat) that had an answer or a hand-off is a
  follow-up (``assistant.dialogue``): answered in the chain's context, or handed off with the customer
  told; while a person owns the conversation (handed off, or an agent replied) it is relayed, once,
  to the conversation's hand-off thread.
* When Teams' roster cannot say who wrote (``RosterUnavailable``), the message is retried with
  the inbox's backoff and, after ``inbox_max_attempts``, people are told in the hand-off channel.
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
  database fails anywhere in a question's work, ``RetryLater`` leaves the message pending for the
  next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.inbox import RetryLater, retried_when_unavailable
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
from adapters.teams.roles import RosterUnavailable, conversation_tenant
from adapters.teams.threads import offer_forward, relay
from adapters.wording import rate_limited  # the same wording on both platforms
from assistant.conversations import ChannelBinding, MessageLink
from assistant.dialogue import Where
from assistant.learning.candidates import ReplyLearning
from assistant.learning.replies import is_small_talk  # the same rules on both platforms
from assistant.models import Answer, Question, Role, utcnow
from assistant.threads import Conversation, route

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
    if binding is not None and binding.kind == "internal" and place.thread != activity.id:
        # an agent's reply under a hand-off card: offered to be sent to the customer
        try:
            agent = await deps.members.role_of(context) is Role.AGENT
        except RosterUnavailable:  # an agent's note, not a customer's message: they can reply again
            log.warning("reply %s in a hand-off thread: the roster failed; no offer to send it", activity.id)
            return
        if agent:
            user, _ = actor_of(context)
            spawn(
                offer_forward(deps, place, str(activity.id), user, text),
                f"teams hand-off reply {activity.id}",
            )
        return
    if binding is None or binding.kind != "customer":
        return
    try:
        role = await deps.members.role_of(context)
    except RosterUnavailable as exc:  # retried with the inbox's backoff, then people are told
        if ticket is None:
            await deps.conversations.release_event(PLATFORM, f"activity:{place.conversation}:{activity.id}")
            raise
        spawn(_retry_later(f"activity {activity.id}: {exc.message}"), f"teams roster {activity.id}")
        return
    if role is None:
        return
    user, name = actor_of(context)
    link = None
    if place.personal or place.thread != activity.id:  # a reply chain, or a chat (one long thread)
        link = await deps.conversations.find_thread(PLATFORM, place.channel, place.thread)
    if role is Role.AGENT and not place.personal:
        if link is not None:
            spawn(
                _agent_reply(deps, text, link, binding, place, user, str(activity.id)),
                f"teams reply {activity.id}",
            )
        return
    if link is None and is_small_talk(text):
        return
    prior = await deps.conversations.find_link(PLATFORM, place.channel, str(activity.id))
    owned = False
    if link is not None and prior is None:
        conversation = await _conversation_of(deps, binding, place, link)
        owned = route(conversation) == "relay"
    decision = deps.limits.check(user=user, channel=place.channel) if prior is None and not owned else None
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

    if link is not None and prior is None:  # a follow-up in a reply chain that had an exchange
        follow_up = _follow_up(deps, question, place, str(activity.id), binding, link, name)
        retried = retried_when_unavailable(follow_up, f"follow-up in {place.channel}")
        spawn(guarded(retried, notify, "follow-up"), f"teams follow-up {activity.id}")
        return
    # the database failing anywhere in the question's work leaves it for the inbox's next sweep:
    # the customer is not told "unavailable" while nobody is asked to answer
    answering = _answer(deps, question, place, str(activity.id), binding, prior, asker_name=name)
    work = guarded(retried_when_unavailable(answering, f"question in {place.channel}"), notify, "question")
    spawn(work, f"teams question {activity.id}")


async def _retry_later(why: str) -> None:
    """Work that only asks the inbox to run the activity again later (with its backoff)."""
    raise RetryLater(why)


async def _conversation_of(
    deps: TeamsDeps, binding: ChannelBinding, place: Place, link: MessageLink | None, asker: str | None = None
) -> Conversation:
    where = Where(PLATFORM, place.channel, place.thread)
    return await deps.threads.of_exchange(where, account=binding.account, asker=asker, link=link)


async def _follow_up(
    deps: TeamsDeps,
    question: Question,
    place: Place,
    message_id: str,
    binding: ChannelBinding,
    link: MessageLink,
    name: str,
) -> None:
    """A customer's message in a reply chain that had an answer or a hand-off: relayed to the
    person who owns the conversation, else answered in the chain's context (or handed off, the
    customer told). Small talk in a chain nobody owns is recorded, not answered."""
    conversation = await _conversation_of(deps, binding, place, link)
    heard = await deps.threads.customer_said(
        conversation, message_id=message_id, user=question.user or name, text=question.text
    )
    if heard.route == "relay":
        await relay(deps, binding, place, heard.conversation, message_id, name, question.text)
        return
    if is_small_talk(question.text):
        return
    context = await deps.threads.context(heard.conversation, before=message_id)
    await _answer(
        deps,
        replace(question, context=context),
        place,
        message_id,
        binding,
        None,
        notice=texts.FOLLOW_UP_HANDOFF,
        asker_name=name,
    )


async def _send(deps: TeamsDeps, conversation: str, activity: Activity) -> None:
    await deps.messenger.send(conversation, activity)


async def _answer(
    deps: TeamsDeps,
    question: Question,
    place: Place,
    message_id: str,
    binding: ChannelBinding,
    prior: MessageLink | None,
    *,
    notice: str = texts.HANDOFF_NOTICE,
    asker_name: str | None = None,
) -> None:
    """Answer a question (or a follow-up, in its context) and record it in the conversation;
    ``notice`` is what the customer is told when it is handed off, ``asker_name`` what the
    hand-off card calls the asker."""
    conversation = await _conversation_of(deps, binding, place, None, question.user)
    if prior is not None and prior.kind == "question":  # asked before a crash or an outage
        answer = await deps.assistant.get_answer(prior.answer_id)
        posted = await deps.conversations.find_thread(PLATFORM, place.channel, place.thread)
        if posted is None or posted.answer_id != answer.id:
            await _deliver(deps, answer, question.text, place, binding, notice, asker_name)
        await deps.threads.answered(conversation, answer, message_id=f"{message_id}:answer")
        return
    if question.context is None:
        await deps.threads.customer_said(
            conversation, message_id=message_id, user=question.user or "", text=question.text, kind="question"
        )
    answer = await deps.assistant.ask(question)
    await deps.conversations.link_message(
        PLATFORM, place.channel, message_id, place.thread, answer.id, answer.question_id, "question"
    )
    log.info(
        "question %s in %s: %s (%.2f)",
        answer.question_id,
        place.channel,
        answer.decision.value,
        answer.confidence,
    )
    await _deliver(deps, answer, question.text, place, binding, notice, asker_name)
    await deps.threads.answered(conversation, answer, message_id=f"{message_id}:answer")


async def _deliver(
    deps: TeamsDeps,
    answer: Answer,
    question: str,
    place: Place,
    binding: ChannelBinding,
    notice: str,
    asker_name: str | None = None,
) -> None:
    """Send the answer or the hand-off; Teams failing for a while leaves the message to the inbox."""
    ref = ExchangeRef(
        answer_id=answer.id, channel=place.channel, conversation=place.conversation, thread=place.thread
    )
    try:
        if answer.handed_off:
            await hand_off(
                deps,
                answer=answer,
                question=question,
                binding=binding,
                ref=ref,
                notice=notice,
                asker=asker_name,
            )
        else:
            await post_answer(deps, answer, ref)
    except CONNECTOR_ERRORS as exc:
        if is_transient(exc):
            raise RetryLater(f"answer {answer.id}: the Bot Connector failed ({type(exc).__name__})") from exc
        raise


async def _agent_reply(
    deps: TeamsDeps,
    text: str,
    link: MessageLink,
    binding: ChannelBinding,
    place: Place,
    user: str,
    message_id: str,
) -> None:
    """An agent wrote in the customer's reply chain: kept as a candidate answer, and the agent owns
    the conversation now (the customer's next messages go to them, not to answering)."""
    await _keep_reply(deps, text, link, user, message_id)
    conversation = await _conversation_of(deps, binding, place, link)
    await deps.threads.agent_said(conversation, message_id=message_id, agent=user, text=text)


async def _keep_reply(deps: TeamsDeps, text: str, link: MessageLink, user: str, message_id: str) -> None:
    """Keep an agent's reply as a candidate answer (nothing is learned from it yet)."""
    candidate = await ReplyLearning(deps.assistant, deps.conversations).propose(
        link, message_ts=message_id, actor=user, text=text
    )
    if candidate is not None:
        log.info("reply %s kept as a candidate for answer %s", message_id, link.answer_id)


async def on_edited(deps: TeamsDeps, context: TurnContext) -> None:
    """A person edited a message (``messageUpdate``, ``editMessage``): the conversation it belongs
    to keeps the new text."""
    activity = context.activity
    place = place_of(activity)
    text = clean_text(activity.text)
    if activity.id and text:
        await deps.threads.edited(Where(PLATFORM, place.channel, place.thread), str(activity.id), text)


async def on_deleted(deps: TeamsDeps, context: TurnContext) -> None:
    """A person deleted a message (``messageDelete``, ``softDeleteMessage``): forgotten in its
    conversation, and a stored question's text is deleted."""
    activity = context.activity
    if not activity.id:
        return
    place = place_of(activity)
    await deps.threads.edited(Where(PLATFORM, place.channel, place.thread), str(activity.id), None)
    stored = await deps.assistant.store.find_question_by_external_id(
        f"{PLATFORM}:{place.conversation}:{activity.id}"
    )
    if stored is not None and not stored.deleted:
        await deps.assistant.delete_question(stored.id)
        log.info("question %s deleted in Teams; its text was deleted", stored.id)
