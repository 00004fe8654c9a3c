"""Buttons: the customer's verdict on an answer, and the agents' hand-off buttons and modal.

* "This solved it" / "I still need help": Signal.HELPED / NOT_HELPED (Role.CUSTOMER for
  customers); "I still need help" also hands the question off.
* "Send draft": the draft goes to the customer's thread and is learned (Signal.RESOLVE).
* "Edit and send": a modal with the draft; its submission goes to the thread and is learned.
* "I'll take it": the first agent claims the hand-off (and owns the conversation); the post says who.
* The rating buttons under a resolved conversation (CSAT): the customer's score is kept on the
  conversation and counts as a weak signal on the answer that resolved it (once per customer).
* "Send to customer" (on the private note after an agent's reply under a hand-off post): the reply
  goes to the customer's thread (``adapters.slack.threads.forward``).

Every click and submission is kept in the inbox until its work is done; what it learns and posts
happens once across the inbox's replays (``adapters.slack.steps``), and a Slack outage or an
unavailable database leaves it to the next sweep (``or_retry_later``) instead of failing it.
"""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, texts
from adapters.slack import constants as ids
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import action_value, container, user_id, view_text
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import AnswerRef, CsatRef, ForwardRef, HandoffRef
from adapters.slack.replies import Notify, ephemeral, guarded, hand_off, refresh_handoff, send_to_customer
from adapters.slack.steps import Steps, claimed, or_retry_later
from adapters.slack.threads import forward
from assistant.models import Role, Signal
from assistant.service_levels import CSAT_SCALE, csat_helped


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.action(ids.HELPED)(after_ack(deps, ids.HELPED, on_helped))
    app.action(ids.NOT_HELPED)(after_ack(deps, ids.NOT_HELPED, on_not_helped))
    app.action(ids.SEND_DRAFT)(after_ack(deps, ids.SEND_DRAFT, on_send_draft))
    app.action(ids.EDIT_AND_SEND)(after_ack(deps, ids.EDIT_AND_SEND, on_edit_and_send))
    app.action(ids.TAKE_HANDOFF)(after_ack(deps, ids.TAKE_HANDOFF, on_take))
    app.view(ids.EDIT_VIEW)(after_ack(deps, ids.EDIT_VIEW, on_edit_submitted))
    app.action(ids.SEND_TO_CUSTOMER)(after_ack(deps, ids.SEND_TO_CUSTOMER, on_send_to_customer))
    app.action(re.compile(f"^{ids.CSAT_PREFIX}[0-9]+$"))(after_ack(deps, "csat", on_csat))


def _notify(client: AsyncWebClient, body: Body) -> Notify | None:
    channel, _ = container(body)
    return ephemeral(client, channel, user_id(body))


# the customer's buttons


async def on_helped(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _verdict(deps, client, body, helped=True)


async def on_not_helped(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _verdict(deps, client, body, helped=False)


async def _verdict(deps: SlackDeps, client: AsyncWebClient, body: Body, *, helped: bool) -> None:
    notify = _notify(client, body)
    ref = AnswerRef.parse(action_value(body))
    if ref is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return
    work = _record_verdict(deps, client, body, ref, helped)
    await guarded(or_retry_later(work, "verdict"), notify, "verdict")


async def _record_verdict(
    deps: SlackDeps, client: AsyncWebClient, body: Body, ref: AnswerRef, helped: bool
) -> None:
    user = user_id(body)
    steps = Steps.of(deps.conversations, body)
    signal = Signal.HELPED if helped else Signal.NOT_HELPED

    async def count() -> bool:
        role = await deps.members.role_of(user) or Role.CUSTOMER

        async def learn() -> None:
            await deps.assistant.feedback(ref.answer_id, signal, actor=user, role=role)

        return await claimed(deps.conversations, f"verdict:{ref.answer_id}:{user}", learn)

    if not await steps.once("verdict", count, before=True):
        return
    answer = await deps.assistant.get_answer(ref.answer_id)
    channel, ts = container(body)
    if channel and ts:
        shown = blocks.answer_after_feedback(
            answer, user, helped, show_confidence=deps.settings.show_confidence
        )
        await client.chat_update(channel=channel, ts=ts, **shown)
    if helped:
        conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread_ts)
        if conversation is not None and await deps.members.role_of(user) is not Role.AGENT:
            await deps.threads.confirmed(conversation, answer.id)
        return
    binding = await deps.conversations.get_channel(PLATFORM, ref.channel)
    stored = await deps.assistant.store.get_question(answer.question_id)
    if binding is None or binding.kind != "customer":
        return
    question = stored.text if stored is not None else ""

    async def handed_off() -> None:
        await hand_off(
            deps,
            client,
            answer=answer,
            question=question,
            binding=binding,
            thread_ts=ref.thread_ts,
            notice=texts.STILL_NEED_HELP,
        )

    await steps.until_done("hand-off", handed_off, before=None)


# the agents' buttons on a hand-off


async def _agent_ref(deps: SlackDeps, body: Body, notify: Notify | None) -> HandoffRef | None:
    """The hand-off a button is on, with the post's own channel and ts; None (and a reply) if the
    clicker is not an agent or the button is stale."""
    ref = HandoffRef.parse(action_value(body))
    if ref is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return None
    if not await deps.members.is_agent(user_id(body)):
        if notify is not None:
            await notify(texts.AGENTS_ONLY)
        return None
    channel, ts = container(body)
    return ref.model_copy(update={"handoff_channel": channel, "handoff_ts": ts})


async def on_send_draft(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    ref = await _agent_ref(deps, body, notify)
    if ref is not None:
        steps = Steps.of(deps.conversations, body)
        work = send_to_customer(deps, client, ref, text=None, user=user_id(body), notify=notify, steps=steps)
        await guarded(or_retry_later(work, "send draft"), notify, "send draft")


async def on_edit_and_send(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    ref = await _agent_ref(deps, body, notify)
    if ref is None:
        return

    async def open_modal() -> None:
        answer = await deps.assistant.get_answer(ref.answer_id)
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.edit_modal(answer.text, ref))

    await guarded(open_modal(), notify, "edit and send")


async def on_edit_submitted(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    view = body["view"]
    ref = HandoffRef.parse(view.get("private_metadata"))
    user = user_id(body)
    text = view_text(view)
    if ref is None or not text or not await deps.members.is_agent(user):
        return
    notify = ephemeral(client, ref.handoff_channel, user)
    steps = Steps.of(deps.conversations, body)
    work = send_to_customer(deps, client, ref, text=text, user=user, notify=notify, steps=steps)
    await guarded(or_retry_later(work, "edited answer"), notify, "edited answer")


async def on_take(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    ref = await _agent_ref(deps, body, notify)
    if ref is None:
        return
    user = user_id(body)
    steps = Steps.of(deps.conversations, body)

    async def take() -> bool:
        if await deps.conversations.claim_handoff(ref.answer_id, user):
            return True
        if notify is not None:
            await notify(texts.ALREADY_TAKEN)
        return False

    async def taken() -> None:
        if await steps.once("take", take, before=True):
            conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread_ts)
            if conversation is not None:
                await deps.threads.taken(conversation, user)
            await refresh_handoff(deps, client, ref, taken_by=user)

    await guarded(or_retry_later(taken(), "take hand-off"), notify, "take hand-off")


async def on_send_to_customer(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    ref = ForwardRef.parse(action_value(body))
    if ref is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return
    user = user_id(body)
    if not await deps.members.is_agent(user):
        if notify is not None:
            await notify(texts.AGENTS_ONLY)
        return
    steps = Steps.of(deps.conversations, body)
    work = forward(deps, client, ref, user=user, notify=notify, steps=steps)
    await guarded(or_retry_later(work, "send to customer"), notify, "send to customer")


async def on_csat(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    ref = CsatRef.parse(action_value(body))
    if ref is None or ref.score not in CSAT_SCALE:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return
    work = _rate(deps, client, body, ref, notify)
    await guarded(or_retry_later(work, "rating"), notify, "rating")


async def _rate(
    deps: SlackDeps, client: AsyncWebClient, body: Body, ref: CsatRef, notify: Notify | None
) -> None:
    user = user_id(body)
    if await deps.members.role_of(user) is not Role.CUSTOMER:
        if notify is not None:
            await notify(texts.CUSTOMERS_ONLY)
        return
    conversation = await deps.conversations.conversation_by_id(ref.conversation_id)
    if conversation is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return
    steps = Steps.of(deps.conversations, body)

    async def rate() -> bool:
        if not await deps.conversations.claim_event(PLATFORM, f"csat:{conversation.id}:{user}"):
            if notify is not None:
                await notify(texts.ALREADY_RATED)
            return False
        await deps.threads.rated(conversation, ref.score)
        helped = csat_helped(ref.score)
        if conversation.answer_id and helped is not None:  # a weak signal on the answer that resolved it
            signal = Signal.HELPED if helped else Signal.NOT_HELPED
            await deps.assistant.feedback(conversation.answer_id, signal, actor=user, role=Role.CUSTOMER)
        return True

    if not await steps.once("rate", rate, before=True):
        return
    channel, ts = container(body)
    if channel and ts:
        await client.chat_update(channel=channel, ts=ts, **blocks.csat_thanks(user, ref.score))
