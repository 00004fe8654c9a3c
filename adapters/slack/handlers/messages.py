"""Messages in customer channels: questions get answers or hand-offs, agents' replies teach,
deleted questions are forgotten.

* A customer's top-level message, or a message in a thread that has no answer yet, is a question
  (unless it is small talk: ``assistant.learning.replies.is_small_talk``).
* An agent's reply in a thread after the assistant's answer or a hand-off is only a *candidate*
  (``assistant.learning.candidates``): nothing is learned until a deliberate signal ("Teach this"
  in the private note the agent gets, ✅ on the reply, the resolution of the conversation). Notes,
  holding replies, questions back and small talk (``assistant.learning.replies``) are not even
  kept.
* Identity decides, not location: a customer whose organisation does not belong to the channel's
  account (``SlackDeps.belongs``), or who asks in an unmapped channel shared with several
  organisations, is not answered from any knowledge; they get the hand-off notice and agents an
  alert in the hand-off channel.
* Bots, edits and other subtypes are acknowledged and ignored.
* Limits: a question over ``max_question_chars`` is not answered; the asker is told and the
  hand-off channel alerted, so a person reads it. A customer asking faster than the per-user or
  per-channel rate (``assistant.limits``) is told when to ask again.
* The inbox (``adapters.slack.work``) may run a question again after a crash or a Slack outage:
  the answer already stored for the message is reused and nothing already posted is posted again.
  When Slack cannot take the answer (5xx, 429 after the client's retries) or the database fails
  while asking, ``RetryLater`` leaves the event pending for the inbox's next sweep (after
  ``inbox_max_attempts`` people are told in the hand-off channel).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

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
from adapters.slack.replies import Notify, ephemeral, guarded, hand_off, post_answer
from adapters.slack.steps import or_retry_later
from adapters.slack.text import slack_time
from adapters.slack.work import RetryLater
from assistant.conversations import ChannelBinding, MessageLink
from assistant.errors import ServiceUnavailableError
from assistant.learning.candidates import ReplyLearning
from assistant.learning.replies import is_small_talk
from assistant.models import Answer, Question, Role

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.event({"type": "message", "subtype": "message_deleted"})(
        after_ack(deps, "message_deleted", on_deleted)
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
        return
    role = await deps.members.role_of(user)
    if role is None:
        return
    link = None
    if is_thread_reply(event):
        link = await deps.conversations.find_thread(PLATFORM, channel, thread_root(event))
    notify = ephemeral(client, channel, user, thread_root(event))
    if role is Role.AGENT:
        if link is not None:
            await guarded(_keep_reply(deps, client, event, link, user), notify, "agent reply")
        return
    if link is not None or is_small_talk(event["text"]):
        return
    asker_orgs = frozenset(org for org in (user_team,) if org) | await deps.members.orgs_of(user)
    if not await deps.belongs(client, binding, asker_orgs):  # identity decides, not the channel
        log.info("question in %s from %s: organisation not of account %s", channel, user, binding.account)
        alert = texts.stranger_handoff(channel, user, binding.account, str(event["text"]))
        await _hand_off_unanswered(deps, client, event, binding, alert)
        return
    prior = await deps.conversations.find_link(PLATFORM, channel, str(event["ts"]))
    if prior is None and not await _admitted(deps, client, event, binding, user, notify):
        return
    await guarded(_answer(deps, client, event, binding, user, prior), notify, "question")


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
) -> None:
    channel, ts, root = binding.channel_id, str(event["ts"]), thread_root(event)
    if prior is not None and prior.kind == "question":  # asked before a crash or an outage
        answer = await deps.assistant.get_answer(prior.answer_id)
        posted = await deps.conversations.find_thread(PLATFORM, channel, root)
        if posted is not None and posted.answer_id == answer.id and posted.kind == "answer":
            return
        # a hand-off's two posts, or a post whose fate is unknown: each is looked for in Slack
        await _deliver(deps, client, answer, event["text"], binding, root, resuming=True)
        return
    question = Question(
        text=event["text"],
        account=binding.account,
        channel=channel,
        user=user,
        thread=root,
        external_id=external_id(channel, ts),
        asked_at=slack_time(ts),
    )
    try:
        answer = await deps.assistant.ask(question)
        await deps.conversations.link_message(
            PLATFORM, channel, ts, root, answer.id, answer.question_id, "question"
        )
    except ServiceUnavailableError as exc:  # e.g. SQLite's lock wait ran out: asked again later
        raise RetryLater(f"question in {channel}: {type(exc).__name__}") from exc
    log.info(
        "question %s in %s: %s (%.2f)", answer.question_id, channel, answer.decision.value, answer.confidence
    )
    await _deliver(deps, client, answer, question.text, binding, root)


async def _deliver(
    deps: SlackDeps,
    client: AsyncWebClient,
    answer: Answer,
    question: str,
    binding: ChannelBinding,
    root: str,
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
            notice=texts.HANDOFF_NOTICE,
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
