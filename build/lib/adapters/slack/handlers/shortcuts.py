"""The "Correct this answer" message shortcut and its modal.

On one of the assistant's answers, an agent opens a modal with the answer's text and a scope
(this account only / everyone); submitting posts the corrected answer in the thread and teaches
it (Signal.CORRECT, ``make_global`` by the scope). The submission is kept in the inbox until
both happened, each once (``adapters.slack.steps``): when the database or Slack fails, the sweep
runs it again and does what is left.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, texts
from adapters.slack import constants as ids
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import user_id, view_scope, view_text
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import HandoffRef
from adapters.slack.replies import ephemeral, guarded, resolution_key
from adapters.slack.steps import Steps, claimed, or_retry_later
from assistant.learning.candidates import correction_claim
from assistant.models import Role, Signal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.shortcut(ids.CORRECT_SHORTCUT)(after_ack(deps, ids.CORRECT_SHORTCUT, on_correct_shortcut))
    app.view(ids.CORRECT_VIEW)(after_ack(deps, ids.CORRECT_VIEW, on_correct_submitted))


async def on_correct_shortcut(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    channel = str((body.get("channel") or {}).get("id", ""))
    message_ts = str((body.get("message") or {}).get("ts") or body.get("message_ts") or "")
    user = user_id(body)
    notify = ephemeral(client, channel, user)
    link = await deps.conversations.find_link(PLATFORM, channel, message_ts)
    if link is None or link.kind != "answer":
        if notify is not None:
            await notify(texts.NOT_AN_ANSWER)
        return
    if not await deps.members.is_agent(user):
        if notify is not None:
            await notify(texts.AGENTS_ONLY)
        return

    async def open_modal() -> None:
        answer = await deps.assistant.get_answer(link.answer_id)
        ref = HandoffRef(answer_id=answer.id, channel=channel, thread_ts=link.thread_ts)
        await client.views_open(
            trigger_id=body["trigger_id"], view=blocks.correct_modal(answer.text, ref, answer.account)
        )

    await guarded(open_modal(), notify, "correct shortcut")


async def on_correct_submitted(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    view = body["view"]
    ref = HandoffRef.parse(view.get("private_metadata"))
    user = user_id(body)
    text = view_text(view)
    if ref is None or not text or not await deps.members.is_agent(user):
        return
    notify = ephemeral(client, ref.channel, user, ref.thread_ts)
    steps = Steps.of(deps.conversations, body)
    make_global = view_scope(view) == ids.SCOPE_EVERYONE

    async def learn() -> bool:
        async def taught() -> None:
            learned = await deps.assistant.feedback(
                ref.answer_id, Signal.CORRECT, actor=user, role=Role.AGENT, text=text, make_global=make_global
            )
            log.info(
                "answer %s corrected by %s (global=%s): %s", ref.answer_id, user, make_global, learned.id
            )

        # the same correction submitted twice (two open copies of the form) teaches once
        if await claimed(deps.conversations, correction_claim(ref.answer_id, text, make_global), taught):
            return True
        if notify is not None:
            await notify(texts.ALREADY_HANDLED)
        return False

    async def post() -> str | None:
        message = blocks.agent_answer_message(text, user)
        posted = await client.chat_postMessage(channel=ref.channel, thread_ts=ref.thread_ts, **message)
        return str(posted["ts"])

    async def correct() -> None:
        if not await steps.once("learn", learn, before=True):
            return
        # An explicit correction also closes the thread to later replies being learned again.
        await deps.conversations.claim_event(PLATFORM, resolution_key(ref.answer_id))
        answer = await deps.assistant.get_answer(ref.answer_id)
        ts = await steps.until_done("post", post, before=None)
        if ts is not None:
            await deps.conversations.link_message(
                PLATFORM, ref.channel, ts, ref.thread_ts, answer.id, answer.question_id, "answer"
            )

    await guarded(or_retry_later(correct(), "correction"), notify, "correction")
