"""What the app posts after it did something: answers, hand-offs, drafts sent by agents.

Shared by the handlers: each function calls the service or the conversation store, renders with
``blocks`` and posts with the request's ``AsyncWebClient``, then remembers which message carries
which answer (``link_message``) so reactions, replies and shortcuts on it find the exchange.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, texts
from adapters.slack.api_errors import slack_error
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.payloads import AnswerRef, HandoffRef
from adapters.slack.posted import find_posted, post_metadata
from adapters.slack.steps import Steps, claimed
from assistant.conversations import ChannelBinding
from assistant.dialogue import Where
from assistant.errors import AssistantError
from assistant.learning.candidates import resolution_claim as resolution_key  # one claim everywhere
from assistant.models import Answer, Role, Signal
from assistant.service_levels import CSAT_SCALE
from assistant.threads import Conversation, ThreadState

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[Any]]


async def guarded(work: Awaitable[Any], notify: Notify | None, what: str) -> None:
    """Run ``work``; tell the user a known error's message, or that something failed."""
    try:
        await work
    except AssistantError as exc:
        log.info("%s refused: %s", what, type(exc).__name__)
        if notify is not None:
            await _quietly(notify(texts.error(exc.message)))
    except SlackApiError as exc:
        log.error("%s: Slack said %s", what, slack_error(exc))
        if notify is not None:
            await _quietly(notify(texts.error(texts.FAILED)))


async def _quietly(call: Awaitable[Any]) -> None:
    try:
        await call
    except SlackApiError as exc:
        log.warning("could not tell the user: %s", slack_error(exc))


def ephemeral(
    client: AsyncWebClient, channel: str | None, user: str, thread_ts: str | None = None
) -> Notify | None:
    """A notifier that answers ``user`` privately in ``channel``."""
    if not channel or not user:
        return None

    def notify(text: str) -> Coroutine[Any, Any, Any]:
        return client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)

    return notify


async def post_answer(
    deps: SlackDeps,
    client: AsyncWebClient,
    answer: Answer,
    channel: str,
    thread_ts: str,
    *,
    resuming: bool = False,
) -> str:
    """The answer in the customer's thread, with the customer's buttons (``resuming``: an earlier
    attempt may have posted it; then it is found, not posted again)."""
    ts = None
    if resuming:
        ts = await find_posted(
            client, channel=channel, answer_id=answer.id, kind="answer", thread_ts=thread_ts
        )
    if ts is None:
        ref = AnswerRef(answer_id=answer.id, channel=channel, thread_ts=thread_ts)
        posted = await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            metadata=post_metadata(answer.id, "answer"),
            **blocks.answer_message(answer, ref, show_confidence=deps.settings.show_confidence),
        )
        ts = str(posted["ts"])
    await deps.conversations.link_message(
        PLATFORM, channel, ts, thread_ts, answer.id, answer.question_id, "answer"
    )
    return ts


async def hand_off(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    answer: Answer,
    question: str,
    binding: ChannelBinding,
    thread_ts: str,
    notice: str,
    asker: str | None = None,
    resuming: bool = False,
) -> None:
    """Tell the customer a person will follow up, and post the hand-off to the internal channel
    (``resuming``: an earlier attempt may have posted either; what it posted is not posted again).

    The hand-off post is the conversation's ticket card: the asker, the account's name, a link to
    the customer's thread and the draft; relays of later customer messages go under it."""
    channel, metadata = binding.channel_id, post_metadata(answer.id, "handoff")
    notice_ts = None
    if resuming:
        notice_ts = await find_posted(
            client, channel=channel, answer_id=answer.id, kind="handoff", thread_ts=thread_ts
        )
    if notice_ts is None:
        posted = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, metadata=metadata, **blocks.notice_message(notice)
        )
        notice_ts = str(posted["ts"])
    await deps.conversations.link_message(
        PLATFORM, channel, notice_ts, thread_ts, answer.id, answer.question_id, "handoff"
    )
    target = deps.handoff_channel(binding)
    if target is None:
        log.warning("no hand-off channel for %s; answer %s waits in the thread", channel, answer.id)
        return
    ts = None
    if resuming:  # posted after the customer's thread began: no older message can be it
        ts = await find_posted(client, channel=target, answer_id=answer.id, kind="handoff", oldest=thread_ts)
    conversation = await deps.threads.conversation(
        Where(PLATFORM, channel, thread_ts), account=binding.account, asker=asker
    )
    card = replace(await card_of(deps, client, conversation), state=ThreadState.HANDED_OFF.value)
    if ts is None:
        ref = HandoffRef(answer_id=answer.id, channel=channel, thread_ts=thread_ts)
        message = blocks.handoff_message(
            question=question, account=binding.account, answer=answer, ref=ref, card=card
        )
        posted = await client.chat_postMessage(channel=target, metadata=metadata, **message)
        ts = str(posted["ts"])
    await deps.conversations.link_message(PLATFORM, target, ts, ts, answer.id, answer.question_id, "handoff")
    await deps.threads.handoff_posted(conversation, channel=target, post=ts, link=card.link)


async def card_of(deps: SlackDeps, client: AsyncWebClient, conversation: Conversation) -> blocks.Card:
    """What a hand-off post shows of its conversation: asker, account name, link, state, owner,
    and its priority (the account's tier and first-response target)."""
    profile = await deps.threads.profile(conversation.account) if conversation.account else None
    tier = profile.tier if profile is not None else None
    target = deps.assistant.settings.service_levels.target(tier)
    link = conversation.link or await permalink(client, conversation.channel, conversation.thread)
    return blocks.Card(
        asker=conversation.asker,
        account_name=profile.display_name if profile is not None else None,
        link=link,
        state=conversation.state.value,
        owner=conversation.owner,
        priority=texts.priority(tier, target),
    )


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    """The link that opens a message (``chat.getPermalink``); None when Slack will not give one
    (a link is a convenience: its absence never stops a hand-off)."""
    try:
        found = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        log.warning("no permalink for %s %s: %s", channel, ts, exc.response.get("error"))
        return None
    link = found.get("permalink")
    return str(link) if link else None


async def refresh_handoff(
    deps: SlackDeps,
    client: AsyncWebClient,
    ref: HandoffRef,
    *,
    taken_by: str | None = None,
    done: str | None = None,
) -> None:
    """Redraw the hand-off post (``chat.update``) as taken or done."""
    if not ref.handoff_channel or not ref.handoff_ts:
        return
    answer = await deps.assistant.get_answer(ref.answer_id)
    stored = await deps.assistant.store.get_question(answer.question_id)
    conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread_ts)
    card = await card_of(deps, client, conversation) if conversation is not None else None
    message = blocks.handoff_message(
        question=stored.text if stored is not None else "",
        account=answer.account,
        answer=answer,
        ref=ref,
        taken_by=taken_by,
        done=done,
        card=card,
    )
    await client.chat_update(channel=ref.handoff_channel, ts=ref.handoff_ts, **message)


async def refresh_card(deps: SlackDeps, client: AsyncWebClient, conversation: Conversation) -> None:
    """Redraw a conversation's ticket card after a change made elsewhere (an agent replied in the
    thread or sent a reply from the hand-off thread): state and owner. Nothing to do for a
    conversation without a card (its hand-off post is a relay) or a resolved one (closed already)."""
    if not conversation.handoff_channel or not conversation.handoff_post:
        return
    if conversation.state is ThreadState.RESOLVED:
        return
    link = await deps.conversations.find_link(
        PLATFORM, conversation.handoff_channel, conversation.handoff_post
    )
    if link is None or link.kind != "handoff":
        return
    ref = HandoffRef(
        answer_id=link.answer_id,
        channel=conversation.channel,
        thread_ts=conversation.thread,
        handoff_channel=conversation.handoff_channel,
        handoff_ts=conversation.handoff_post,
    )
    await refresh_handoff(deps, client, ref, taken_by=conversation.owner)


async def send_to_customer(
    deps: SlackDeps,
    client: AsyncWebClient,
    ref: HandoffRef,
    *,
    text: str | None,
    user: str,
    notify: Notify | None,
    steps: Steps | None = None,
) -> None:
    """An agent resolves a hand-off: the draft (``text`` None) or their own text goes to the
    customer's thread, and the assistant learns it (Signal.RESOLVE) for the next similar question.

    Learning and posting happen once each across the inbox's replays of the click or submission
    (``steps``): a replay after Slack failed to take the post posts it without learning again."""
    steps = steps or Steps(deps.conversations, None)
    answer = await deps.assistant.get_answer(ref.answer_id)
    edited = text is not None and text.strip() != answer.text.strip()
    final = text if text is not None else answer.text

    async def resolve() -> bool:
        async def learn() -> None:
            await deps.assistant.feedback(answer.id, Signal.RESOLVE, actor=user, role=Role.AGENT, text=final)

        if await claimed(deps.conversations, resolution_key(ref.answer_id), learn):
            return True
        if notify is not None:
            await notify(texts.ALREADY_HANDLED)
        return False

    if not await steps.once("resolve", resolve, before=True):
        return
    message = (
        blocks.agent_answer_message(final, user)
        if edited
        else blocks.draft_message(answer, show_confidence=deps.settings.show_confidence)
    )

    async def post() -> str | None:
        posted = await client.chat_postMessage(channel=ref.channel, thread_ts=ref.thread_ts, **message)
        return str(posted["ts"])

    ts = await steps.until_done("post", post, before=None)
    if ts is not None:
        await deps.conversations.link_message(
            PLATFORM, ref.channel, ts, ref.thread_ts, answer.id, answer.question_id, "answer"
        )
    conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread_ts)
    if conversation is not None:
        resolved = await deps.threads.resolved(conversation, user)

        async def ask_rating() -> None:
            message = blocks.csat_prompt(resolved.id, sorted(CSAT_SCALE))
            await client.chat_postMessage(channel=ref.channel, thread_ts=ref.thread_ts, **message)

        await steps.until_done("csat", ask_rating, before=None)
    await refresh_handoff(deps, client, ref, done=texts.sent_by(user, edited))
