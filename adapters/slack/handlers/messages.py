"""Messages in customer channels: questions get answers or hand-offs, agents' replies teach,
deleted questions are forgotten.

* A customer's top-level message, or a message in a thread that has no answer yet, is a question
  (unless it is small talk: ``assistant.learning.replies.is_small_talk``). A direct message to the
  app (``message.im``) is a 1:1 conversation: anyone's message there is a question
  (``SlackDeps.direct_binding``).
* A customer's message in a thread that had an answer or a hand-off is a follow-up
  (``assistant.dialogue``): answered in the thread's context, or handed off with the customer told;
  while a person owns the conversation it is relayed, once, to its hand-off thread
  (``adapters.slack.threads``). An agent's reply under a hand-off post is offered to be sent to the
  customer.
* An agent's reply in a thread after the assistant's answer or a hand-off is only a *candidate*
  (``assistant.learning.candidates``): nothing is learned until a deliberate signal ("Teach this"
  in the private note the agent gets, ✅ on the reply, the resolution of the conversation). Notes,
  holding replies, questions back and small talk (``assistant.learning.replies``) are not even
  kept.
* Identity decides, not location: a customer whose organisation does not belong to the channel's
  account (``SlackDeps.belongs``), or who asks in an unmapped channel shared with several
  organisations, is not answered from any knowledge; they get the hand-off notice and agents an
  alert in the hand-off channel.
* Edits and deletions of a message of a conversation update it there (``assistant.dialogue``); a
  deleted question's text is deleted from the store. Bots and other subtypes are acknowledged and
  ignored.
* Limits: a question over ``max_question_chars`` is not answered; the asker is told and the
  hand-off channel alerted, so a person reads it. A customer asking faster than the per-user or
  per-channel rate (``assistant.limits``) is told when to ask again.
* The inbox (``adapters.slack.work``) may run a question again after a crash or a Slack outage:
  the answer already stored for the message is reused and nothing already posted is posted again.
  When Slack cannot take the answer (5xx, 429 after the client's retries) or the database fails
  anywhere in a question's work, ``RetryLater`` leaves the event pending for the inbox's next sweep (after
  ``inbox_max_attempts`` people are told in the hand-off channel).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inbox import retried_when_unavailable
from adapters.slack import blocks, texts
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import (
    PERSON_SUBTYPES,
    external_id,
    is_person_message,
    is_thread_reply,
    thread_root,
)
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import ReplyRef
from adapters.slack.replies import Notify, ephemeral, guarded, hand_off, post_answer, refresh_card
from adapters.slack.steps import or_retry_later
from adapters.slack.text import slack_time
from adapters.slack.threads import offer_forward, relay, where
from assistant.context import ConversationContext
from assistant.conversations import ChannelBinding, MessageLink
from assistant.learning.candidates import ReplyLearning
from assistant.learning.replies import is_small_talk
from assistant.models import Answer, Question, Role
from assistant.threads import Conversation

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.event({"type": "message", "subtype": "message_deleted"})(
        after_ack(deps, "message_deleted", on_deleted)
    )
    app.event({"type": "message", "subtype": "message_changed"})(
        after_ack(deps, "message_changed", on_changed, accept=_is_person_edit)
    )
    app.event({"type": "message", "subtype": [None, *sorted(PERSON_SUBTYPES)]})(
        after_ack(deps, "message", on_message, accept=lambda body: is_person_message(body["event"]))
    )
    app.event("message")(_ignore)


async def _ignore(ack: AsyncAck) -> None:
    """Edits, joins, bot messages: acknowledged so Slack does not retry, otherwise ignored."""
    await ack()


async def on_message(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    event: dict[str, Any] = body["event"]
    channel, user = str(event["channel"]), str(event["user"])
    user_team = event.get("user_team") or await deps.members.team_of(user)
    binding = await deps.binding(client, channel, user_team)
    direct = event.get("channel_type") == "im"  # a DM to the app: a 1:1 conversation, like Teams'
    if binding is None and direct:
        binding = await deps.direct_binding(channel, user_team)
    if binding is None:
        if not is_thread_reply(event) and not is_small_talk(str(event.get("text") or "")):
            orgs = await deps.needs_mapping(client, channel, user_team)
            if orgs:  # shared with several organisations: never bound by guess
                await _hand_off_unanswered(
                    deps,
                    client,
                    event,
                    None,
                    texts.unmapped_handoff(channel, user, sorted(orgs), str(event["text"])),
                )
        return
    if binding.kind != "customer":
        if is_thread_reply(event):  # an agent's reply under a hand-off post: offer to send it
            await or_retry_later(offer_forward(deps, client, event), f"reply in {channel}")
        return
    role = await deps.members.role_of(user)
    if role is None:
        return
    link = None
    if is_thread_reply(event):
        link = await deps.conversations.find_thread(PLATFORM, channel, thread_root(event))
    notify = ephemeral(client, channel, user, thread_root(event))
    if role is Role.AGENT and not direct:  # in a DM everyone asks
        if link is not None:
            kept = retried_when_unavailable(_keep_reply(deps, client, event, link, user), "agent reply")
            await guarded(kept, notify, "agent reply")
            await or_retry_later(_agent_in_thread(deps, client, event, binding, link, user), "agent reply")
        return
    if link is None and is_small_talk(event["text"]):
        return
    asker_orgs = frozenset(org for org in (user_team,) if org) | await deps.members.orgs_of(user)
    if not await deps.belongs(client, binding, asker_orgs):  # identity decides, not the channel
        log.info("question in %s from %s: organisation not of account %s", channel, user, binding.account)
        alert = texts.stranger_handoff(channel, user, binding.account, str(event["text"]))
        await _hand_off_unanswered(deps, client, event, binding, alert)
        return
    prior = await deps.conversations.find_link(PLATFORM, channel, str(event["ts"]))
    if link is not None and prior is None:  # a follow-up in a thread that had an exchange
        work = or_retry_later(_follow_up(deps, client, event, binding, user, link, notify), "follow-up")
        await guarded(work, notify, "follow-up")
        return
    if prior is None and not await _admitted(deps, client, event, binding, user, notify):
        return
    # the database failing anywhere in the question's work leaves it for the inbox's next sweep:
    # the customer is not told "unavailable" while nobody is asked to answer
    answering = _answer(deps, client, event, binding, user, prior)
    work = retried_when_unavailable(answering, f"question in {channel}")
    await guarded(work, notify, "question")


async def _conversation_of(
    deps: SlackDeps, binding: ChannelBinding, root: str, link: MessageLink | None, asker: str | None
) -> Conversation:
    return await deps.threads.of_exchange(
        where(binding.channel_id, root), account=binding.account, asker=asker, link=link
    )


async def _follow_up(
    deps: SlackDeps,
    client: AsyncWebClient,
    event: dict[str, Any],
    binding: ChannelBinding,
    user: str,
    link: MessageLink,
    notify: Notify | None,
) -> None:
    """A customer's message in a thread that had an answer or a hand-off: relayed to the person
    who owns the conversation, else answered in the context of the thread (or handed off, the
    customer told). Small talk in a thread nobody owns is recorded, not answered."""
    root, text = thread_root(event), str(event["text"])
    conversation = await _conversation_of(deps, binding, root, link, None)
    heard = await deps.threads.customer_said(conversation, message_id=str(event["ts"]), user=user, text=text)
    if heard.route == "relay":
        await relay(deps, client, event, binding, heard.conversation)
        return
    if is_small_talk(text):
        log.info("small talk in answered thread %s of %s: recorded", root, binding.channel_id)
        return
    if not await _admitted(deps, client, event, binding, user, notify):
        return
    context = await deps.threads.context(heard.conversation, before=str(event["ts"]))
    await _answer(deps, client, event, binding, user, None, context=context, notice=texts.FOLLOW_UP_HANDOFF)


async def _agent_in_thread(
    deps: SlackDeps,
    client: AsyncWebClient,
    event: dict[str, Any],
    binding: ChannelBinding,
    link: MessageLink,
    user: str,
) -> None:
    """An agent wrote in the customer's thread (an answer or a holding reply): a person has the
    conversation now; the customer's next messages go to them, not to answering. Its ticket card
    says so."""
    conversation = await _conversation_of(deps, binding, thread_root(event), link, None)
    changed = await deps.threads.agent_said(
        conversation, message_id=str(event["ts"]), agent=user, text=str(event["text"])
    )
    await refresh_card(deps, client, changed)


async def _hand_off_unanswered(
    deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any], binding: ChannelBinding | None, alert: str
) -> None:
    """A question not answered from any account's knowledge: the asker gets the hand-off notice in
    the thread, agents the alert in the hand-off channel (once, however often the event runs)."""
    channel, ts = str(event["channel"]), str(event["ts"])
    if not await deps.conversations.claim_event(PLATFORM, f"unanswered:{channel}:{ts}"):
        return
    target = deps.handoff_channel(binding) if binding is not None else deps.settings.handoff_channel
    if target is not None:
        await or_retry_later(client.chat_postMessage(channel=target, text=alert), f"alert {channel}")
    await or_retry_later(
        client.chat_postMessage(channel=channel, thread_ts=thread_root(event), text=texts.HANDOFF_NOTICE),
        f"notice {channel}",
    )


async def _admitted(
    deps: SlackDeps,
    client: AsyncWebClient,
    event: dict[str, Any],
    binding: ChannelBinding,
    user: str,
    notify: Notify | None,
) -> bool:
    """Whether a new question is within the limits; if not, the asker (and for an over-long
    question, the hand-off channel) is told."""
    channel, length = binding.channel_id, len(str(event["text"]).strip())
    limit = deps.assistant.settings.max_question_chars
    if length > limit:
        log.info("question in %s not answered: %d characters (limit %d)", channel, length, limit)
        target = deps.handoff_channel(binding)
        if target is not None:
            await client.chat_postMessage(channel=target, text=texts.too_long_handoff(channel, user, length))
        if notify is not None:
            await notify(texts.too_long(length, limit))
        return False
    decision = deps.limits.check(user=user, channel=channel)
    if not decision.allowed:
        log.info("question in %s refused: %s rate limit", channel, decision.scope)
        if notify is not None:
            await notify(texts.rate_limited(decision.retry_after, decision.scope))
        return False
    return True


async def _answer(
    deps: SlackDeps,
    client: AsyncWebClient,
    event: dict[str, Any],
    binding: ChannelBinding,
    user: str,
    prior: MessageLink | None,
    *,
    context: ConversationContext | None = None,
    notice: str = texts.HANDOFF_NOTICE,
) -> None:
    """Answer a question (or a follow-up, in ``context``) and record it in the conversation;
    ``notice`` is what the customer is told when it is handed off."""
    channel, ts, root = binding.channel_id, str(event["ts"]), thread_root(event)
    conversation = await _conversation_of(deps, binding, root, None, user)
    if prior is not None and prior.kind == "question":  # asked before a crash or an outage
        answer = await deps.assistant.get_answer(prior.answer_id)
        posted = await deps.conversations.find_thread(PLATFORM, channel, root)
        if not (posted is not None and posted.answer_id == answer.id and posted.kind == "answer"):
            # a hand-off's two posts, or a post whose fate is unknown: each is looked for in Slack
            await _deliver(deps, client, answer, event["text"], binding, root, notice, user, resuming=True)
        await deps.threads.answered(conversation, answer, message_id=f"{ts}:answer")
        return
    if context is None:
        await deps.threads.customer_said(
            conversation,
            message_id=ts,
            user=user,
            text=str(event["text"]),
            kind="question",
        )
    question = Question(
        text=event["text"],
        account=binding.account,
        channel=channel,
        user=user,
        thread=root,
        external_id=external_id(channel, ts),
        asked_at=slack_time(ts),
        context=context,
    )
    answer = await deps.assistant.ask(question)
    await deps.conversations.link_message(
        PLATFORM, channel, ts, root, answer.id, answer.question_id, "question"
    )
    log.info(
        "question %s in %s: %s (%.2f)", answer.question_id, channel, answer.decision.value, answer.confidence
    )
    await _deliver(deps, client, answer, question.text, binding, root, notice, user)
    await deps.threads.answered(conversation, answer, message_id=f"{ts}:answer")


async def _deliver(
    deps: SlackDeps,
    client: AsyncWebClient,
    answer: Answer,
    question: str,
    binding: ChannelBinding,
    root: str,
    notice: str,
    asker: str,
    *,
    resuming: bool = False,
) -> None:
    """Post the answer or the hand-off; a Slack outage, or a post that may or may not have
    happened, leaves the event to the inbox's next sweep (which resumes it)."""
    work: Awaitable[object]
    if answer.handed_off:
        work = hand_off(
            deps,
            client,
            answer=answer,
            question=question,
            binding=binding,
            thread_ts=root,
            notice=notice,
            asker=asker,
            resuming=resuming,
        )
    else:
        work = post_answer(deps, client, answer, binding.channel_id, root, resuming=resuming)
    await or_retry_later(work, f"answer {answer.id}")


async def _keep_reply(
    deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any], link: MessageLink, user: str
) -> None:
    """Keep an agent's reply as a candidate answer and tell the agent, privately, how to teach it."""
    ts = str(event["ts"])
    candidate = await ReplyLearning(deps.assistant, deps.conversations).propose(
        link, message_ts=ts, actor=user, text=str(event["text"])
    )
    if candidate is None:
        return
    answer = await deps.assistant.get_answer(link.answer_id)
    message = blocks.candidate_prompt(ReplyRef(channel=link.channel_id, ts=ts), answer.account)
    await client.chat_postEphemeral(channel=link.channel_id, user=user, thread_ts=link.thread_ts, **message)


async def on_deleted(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    """A deleted message is purged from every table that holds its text: the stored question (and
    the resolution learned from it, the bug reports quoting it: ``delete_question_text``), the
    inbox (the message and its edits) and the agents' reply candidates."""
    event = body["event"]
    deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not deleted_ts:
        return
    channel = str(event["channel"])
    stored = await deps.assistant.store.find_question_by_external_id(external_id(channel, deleted_ts))
    if stored is not None and not stored.deleted:
        await deps.assistant.store.delete_question_text(stored.id)
        await deps.assistant.sync(force=True)  # a resolution learned from it changed too
        log.info("question %s deleted in Slack; its text was deleted", stored.id)
    # The inbox (the message and its edits) and the reply candidates hold it too.
    if await deps.conversations.forget_message(PLATFORM, channel, str(deleted_ts)):
        log.info("a deleted message was purged from the inbox and the reply candidates")
    if await deps.threads.edited(where(str(event["channel"]), ""), str(deleted_ts), None):
        log.info("message %s deleted in Slack; forgotten in its conversation", deleted_ts)


def _is_person_edit(body: Body) -> bool:
    message = body["event"].get("message") or {}
    return bool(message.get("ts")) and is_person_message({**message, "subtype": None})


async def on_changed(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    """A person edited a message: the conversation it belongs to keeps the new text (what the
    assistant answered stays as it was; a new question is a new message)."""
    event = body["event"]
    message = event["message"]
    if await deps.threads.edited(where(str(event["channel"]), ""), str(message["ts"]), str(message["text"])):
        log.info("message %s edited in Slack; its conversation follows", message["ts"])
