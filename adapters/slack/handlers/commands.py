"""``/assistant``: ask, teach, learned (with Undo), forget, stats, spot-check (with Right and
Wrong), help.

Sub-commands are a registry (``SUBCOMMANDS``), each marked whether only agents may run it; a
customer gets a polite refusal. Replies are ephemeral, through the command's ``response_url``.

Commands and Undo clicks are kept in the inbox until their work is done. When the sweep runs one
again (after a crash, or Slack or the database failing), the ``response_url`` may have expired,
so the reply goes as an ephemeral message in the channel instead; what the command changed and
its reply each happen once (``adapters.slack.steps``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, texts
from adapters.slack import constants as ids
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import action_value, container, user_id
from adapters.slack.handlers.base import spawn
from adapters.slack.payloads import SpotCheckRef, UndoRef
from adapters.slack.replies import guarded, permalink
from adapters.slack.steps import Steps, or_retry_later
from adapters.slack.text import parse_command, parse_teach
from adapters.slack.work import is_replay
from assistant.errors import InvalidInputError
from assistant.learning.spot_checks import SpotCheck
from assistant.models import Question, Role, Signal

log = logging.getLogger(__name__)

Message = dict[str, Any]
Reply = Callable[..., Awaitable[Any]]  # ``respond``'s arguments: text, blocks, response_type, ...
ButtonHandler = Callable[[SlackDeps, AsyncWebClient, dict[str, Any], Reply, Steps], Coroutine[Any, Any, None]]
LEARNED_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Invocation:
    deps: SlackDeps
    client: AsyncWebClient
    user: str
    channel: str
    args: str


@dataclass(frozen=True, slots=True)
class Subcommand:
    run: Callable[[Invocation], Awaitable[Message]]
    agents_only: bool


def _text(text: str) -> Message:
    return {"text": text}


async def _ask(call: Invocation) -> Message:
    """A private answer. The same per-person and per-channel limits as questions in a channel;
    nothing is handed off from here, so the reply never says it was: an agent sees the preview
    and the draft, a customer is told to ask in the channel, where a person will see it."""
    if not call.args:
        raise InvalidInputError("Use: /assistant ask <question>")
    decision = call.deps.limits.check(user=call.user, channel=call.channel)
    if not decision.allowed:
        log.info("/assistant ask refused: %s rate limit", decision.scope)
        return _text(texts.rate_limited(decision.retry_after, decision.scope))
    binding = await call.deps.conversations.get_channel(PLATFORM, call.channel)
    account = binding.account if binding is not None else None
    answer = await call.deps.assistant.ask(
        Question(text=call.args, account=account, channel=call.channel, user=call.user)
    )
    if answer.handed_off:
        if not await call.deps.members.is_agent(call.user):
            return _text(texts.ASK_NOT_ANSWERED)
        note = texts.ask_preview_handoff(texts.confidence(answer.confidence))
        draft = blocks.draft_message(answer)["blocks"] if answer.text else []
        return {"text": note, "blocks": [{"type": "section", "text": blocks.mrkdwn(note)}, *draft]}
    return blocks.draft_message(answer)


async def _teach(call: Invocation) -> Message:
    args = parse_teach(call.args)
    binding = await call.deps.conversations.get_channel(PLATFORM, call.channel)
    account = binding.account if binding is not None and binding.kind == "customer" else None
    if args.private and account is None:
        raise InvalidInputError(texts.NEED_ACCOUNT)
    event = await call.deps.assistant.teach(
        args.question, args.answer, actor=call.user, role=Role.AGENT, account=account, private=args.private
    )
    return _text(texts.taught(event.id, event.effect))


async def _learned(call: Invocation) -> Message:
    return blocks.learned_message(await call.deps.assistant.learned(limit=LEARNED_LIMIT))


async def _forget(call: Invocation) -> Message:
    target = call.args.split()[0] if call.args.split() else ""
    if not target:
        raise InvalidInputError("Use: /assistant forget ID")
    event = await call.deps.assistant.forget(target, actor=call.user, role=Role.AGENT)
    return _text(texts.undone(event.id))


async def _stats(call: Invocation) -> Message:
    return _text(blocks.stats_text(await call.deps.assistant.store.stats()))


async def _spot_check(call: Invocation) -> Message:
    return await _spot_check_message(call.deps, call.client)


async def _spot_check_message(deps: SlackDeps, client: AsyncWebClient, note: str = "") -> Message:
    """The newest answer waiting for a spot check, with a link to its thread."""
    waiting = await deps.assistant.spot_checks(limit=1)
    check = waiting[0] if waiting else None
    return blocks.spot_check_message(check, note, link=await _thread_link(client, check))


async def _thread_link(client: AsyncWebClient, check: SpotCheck | None) -> str | None:
    """The link to the Slack thread a spot-checked answer was given in (None for a question that
    came another way, or was deleted)."""
    question = check.question if check is not None else None
    if question is None or not question.channel or not question.thread:
        return None
    if not (question.external_id or "").startswith(f"{PLATFORM}:"):
        return None
    return await permalink(client, question.channel, question.thread)


async def _help(call: Invocation) -> Message:
    return _text(texts.HELP)


SUBCOMMANDS: dict[str, Subcommand] = {
    "ask": Subcommand(_ask, agents_only=False),
    "teach": Subcommand(_teach, agents_only=True),
    "learned": Subcommand(_learned, agents_only=True),
    "forget": Subcommand(_forget, agents_only=True),
    "stats": Subcommand(_stats, agents_only=True),
    "spot-check": Subcommand(_spot_check, agents_only=True),
    "help": Subcommand(_help, agents_only=False),
}


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_command(
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        channel, user = command.get("channel_id"), str(command.get("user_id") or "")
        reply = replier(respond, client, context, channel, user)
        job = run_command(deps, client, command, reply, Steps.of(deps.conversations, command))
        spawn(deps, context, job, f"command:{channel}")

    def on_button(action_id: str, handle: ButtonHandler) -> Callable[..., Awaitable[None]]:
        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            respond: AsyncRespond,
            client: AsyncWebClient,
            context: dict[str, Any],
        ) -> None:
            await ack()
            reply = replier(respond, client, context, container(body)[0], user_id(body))
            steps = Steps.of(deps.conversations, body)
            spawn(deps, context, handle(deps, client, body, reply, steps), action_id)

        return listener

    app.command(ids.COMMAND)(on_command)
    app.action(ids.UNDO_LEARNED)(on_button(ids.UNDO_LEARNED, undo_learned))
    app.action(ids.SPOT_CHECK_RIGHT)(on_button(ids.SPOT_CHECK_RIGHT, partial(judge_spot_check, right=True)))
    app.action(ids.SPOT_CHECK_WRONG)(on_button(ids.SPOT_CHECK_WRONG, partial(judge_spot_check, right=False)))


def replier(
    respond: AsyncRespond, client: AsyncWebClient, context: dict[str, Any], channel: Any, user: str
) -> Reply:
    """How a reply reaches the user: the ``response_url`` (``respond``), or on the inbox's replay,
    when it may have expired (or when the payload carries no usable one), ``chat.postEphemeral``
    in the channel."""
    url = str(getattr(respond, "response_url", None) or "")  # Bolt gives None without one
    if not is_replay(context) and url.startswith(("https://", "http://")):
        return respond

    async def ephemeral(**message: Any) -> None:
        if not channel or not user:
            log.info("reply to a replayed request dropped: no channel or user")
            return
        text, rich = str(message.get("text") or ""), message.get("blocks")
        await client.chat_postEphemeral(channel=str(channel), user=user, text=text, blocks=rich)

    return ephemeral


async def run_command(
    deps: SlackDeps, client: AsyncWebClient, command: dict[str, Any], respond: Reply, steps: Steps
) -> None:
    parsed = parse_command(str(command.get("text") or ""))
    user, channel = str(command.get("user_id", "")), str(command.get("channel_id", ""))

    async def tell(**message: Any) -> None:  # once, across the inbox's replays
        async def send() -> None:
            await respond(response_type="ephemeral", **message)

        await steps.once("reply", send, before=None)

    subcommand = SUBCOMMANDS.get(parsed.name)
    if subcommand is None:
        await tell(text=f"{texts.UNKNOWN_COMMAND}\n\n{texts.HELP}")
        return
    if subcommand.agents_only and not await deps.members.is_agent(user):
        log.info("/assistant %s refused for %s (not an agent)", parsed.name, user)
        await tell(text=texts.AGENTS_ONLY)
        return

    async def run() -> Message | None:
        invocation = Invocation(deps=deps, client=client, user=user, channel=channel, args=parsed.args)
        return await subcommand.run(invocation)

    async def reply() -> None:
        message = await steps.once("run", run, before=None)
        await tell(**(message or {"text": texts.done_earlier(f"{ids.COMMAND} {parsed.name}")}))

    async def notify(text: str) -> None:
        await tell(text=text)

    what = f"/assistant {parsed.name}"
    await guarded(or_retry_later(reply(), what), notify, what)


@dataclass(frozen=True, slots=True)
class ButtonReplies:
    """How an agent's button click is answered: ``tell`` sends a message (once, across the inbox's
    replays), ``notify`` a line only the clicker sees."""

    respond: Reply
    steps: Steps

    async def tell(self, **message: Any) -> None:
        async def send() -> None:
            await self.respond(**message)

        await self.steps.once("reply", send, before=None)

    async def notify(self, text: str) -> None:
        await self.tell(text=text, response_type="ephemeral", replace_original=False)


async def _agents_button(deps: SlackDeps, user: str, ref: object | None, replies: ButtonReplies) -> bool:
    """Whether the click may go on: a stale or forged button, or a click by someone who is not
    an agent, is told so and changes nothing."""
    if ref is None:
        await replies.notify(texts.STALE_BUTTON)
        return False
    if not await deps.members.is_agent(user):
        await replies.notify(texts.AGENTS_ONLY)
        return False
    return True


async def undo_learned(
    deps: SlackDeps, client: AsyncWebClient, body: dict[str, Any], respond: Reply, steps: Steps
) -> None:
    user = user_id(body)
    ref = UndoRef.parse(action_value(body))
    replies = ButtonReplies(respond, steps)
    if not await _agents_button(deps, user, ref, replies) or ref is None:
        return

    async def forget() -> None:
        await deps.assistant.forget(ref.event_id, actor=user, role=Role.AGENT)

    async def undo() -> None:
        await steps.once("forget", forget, before=None)
        message = blocks.learned_message(await deps.assistant.learned(limit=LEARNED_LIMIT))
        await replies.tell(replace_original=True, **message)

    await guarded(or_retry_later(undo(), "undo"), replies.notify, "undo")


async def judge_spot_check(
    deps: SlackDeps,
    client: AsyncWebClient,
    body: dict[str, Any],
    respond: Reply,
    steps: Steps,
    *,
    right: bool,
) -> None:
    """Record an agent's verdict on a spot check (once, whatever the clicks and replays), then show
    the next one waiting in its place."""
    user = user_id(body)
    ref = SpotCheckRef.parse(action_value(body))
    replies = ButtonReplies(respond, steps)
    if not await _agents_button(deps, user, ref, replies) or ref is None:
        return
    answer_id = ref.answer_id

    async def record() -> str:
        judged = await deps.assistant.spot_checks(limit=1, answer_id=answer_id)
        if not judged:
            return texts.SPOT_CHECK_GONE
        signal = Signal.APPROVE if right else Signal.REJECT
        await deps.assistant.feedback(answer_id, signal, actor=user, role=Role.AGENT)
        return texts.spot_check_recorded(right, None if right else await _thread_link(client, judged[0]))

    async def judge() -> None:
        note = await steps.once("verdict", record, before=texts.spot_check_recorded(right))
        await replies.tell(replace_original=True, **await _spot_check_message(deps, client, note))

    await guarded(or_retry_later(judge(), "spot check"), replies.notify, "spot check")
