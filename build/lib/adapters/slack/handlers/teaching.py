"""Teaching an agent's reply on purpose: the "Teach this" buttons, and ✅ on the reply itself.

An agent's reply in a customer thread is only a candidate (``assistant.learning.candidates``);
these are the deliberate signals that make it knowledge in Slack:

* "Teach this" / "Teach for everyone" in the private note the agent got after replying (agents
  only): private to the thread's account, or global by the agent's choice;
* ✅ (an approve reaction) on the reply: by an agent, or by the customer saying it solved their
  problem; always private to the account. Removing that reaction withdraws what it taught.

Each promotion happens once (a conditional update on the candidate, and the exchange's resolution
claim), so double clicks, retried events and a button plus a reaction teach once. The agent sees
what was learned with its undo command; with ``SLACK_LEARNED_REACTION`` the reply also gets a
:mortar_board: mark (customers see reactions, so it is off by default).
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import constants as ids
from adapters.slack import texts
from adapters.slack.deps import SlackDeps
from adapters.slack.events import action_value, container, user_id
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import ReplyRef
from adapters.slack.replies import Notify, ephemeral, guarded
from adapters.slack.steps import or_retry_later
from assistant.learning.candidates import ReplyCandidate, ReplyLearning
from assistant.models import LearningEvent

log = logging.getLogger(__name__)

LEARNED_REACTION = "mortar_board"


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.action(ids.TEACH_REPLY)(after_ack(deps, ids.TEACH_REPLY, on_teach))
    app.action(ids.TEACH_REPLY_GLOBAL)(after_ack(deps, ids.TEACH_REPLY_GLOBAL, on_teach_global))


async def on_teach(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _teach(deps, client, body, make_global=False)


async def on_teach_global(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _teach(deps, client, body, make_global=True)


async def _teach(deps: SlackDeps, client: AsyncWebClient, body: Body, *, make_global: bool) -> None:
    user = user_id(body)
    ref = ReplyRef.parse(action_value(body))
    channel = ref.channel if ref is not None else container(body)[0]
    notify = ephemeral(client, channel, user)
    if ref is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return
    if not await deps.members.is_agent(user):
        if notify is not None:
            await notify(texts.AGENTS_ONLY)
        return
    learning = ReplyLearning(deps.assistant, deps.conversations)
    candidate = await learning.candidate("slack", ref.channel, ref.ts)
    if candidate is None:
        if notify is not None:
            await notify(texts.NOT_A_CANDIDATE)
        return
    work = promote(deps, client, candidate, by=user, make_global=make_global, notify=notify)
    await guarded(or_retry_later(work, "teach reply"), notify, "teach reply")


async def promote(
    deps: SlackDeps,
    client: AsyncWebClient,
    candidate: ReplyCandidate,
    *,
    by: str,
    make_global: bool = False,
    notify: Notify | None,
) -> LearningEvent | None:
    """Teach a candidate once; tell ``notify`` (the person who said so) what was learned."""
    learning = ReplyLearning(deps.assistant, deps.conversations)
    event = await learning.promote(candidate, by=by, make_global=make_global)
    if event is None:
        if notify is not None:
            await notify(texts.ALREADY_HANDLED)
        return None
    if deps.settings.learned_reaction:  # customers see reactions: an opt-in mark
        await client.reactions_add(
            channel=candidate.channel_id, timestamp=candidate.message_ts, name=LEARNED_REACTION
        )
    if notify is not None:
        await notify(texts.taught(event.id, event.effect))
    return event
