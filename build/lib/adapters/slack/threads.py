"""Customer threads as conversations, in Slack's terms: relays, replies sent from the hand-off
thread, the conversation a message belongs to.

The core (``assistant.dialogue``) decides what a message gets; this module only posts it:

* ``relay``: a customer's new message in a conversation a person owns goes, once, to the hand-off
  thread (the conversation's ticket card), or to the hand-off channel when the conversation has no
  card yet (an agent answered in the thread on their own). A retry of the event looks for the relay
  in Slack first (``posted.find_posted``), so the inbox's replays never post it twice.
* ``offer_forward`` / ``forward``: an agent's reply under a hand-off post is kept; a private note
  offers *Send to customer*, which posts it in the customer's thread (once, however often clicked).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, texts
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import thread_root
from adapters.slack.payloads import ForwardRef
from adapters.slack.posted import find_posted, post_metadata
from adapters.slack.replies import Notify, permalink, refresh_card
from adapters.slack.steps import Steps
from assistant.conversations import ChannelBinding
from assistant.dialogue import Where
from assistant.threads import Conversation

log = logging.getLogger(__name__)


def where(channel: str, thread_ts: str) -> Where:
    return Where(PLATFORM, channel, thread_ts)


async def relay(
    deps: SlackDeps,
    client: AsyncWebClient,
    event: dict[str, Any],
    binding: ChannelBinding,
    conversation: Conversation,
) -> None:
    """Post a customer's message to the hand-off thread of the conversation (once)."""
    channel, ts, user = binding.channel_id, str(event["ts"]), str(event["user"])
    target = conversation.handoff_channel or deps.handoff_channel(binding)
    if target is None:
        log.error("no hand-off channel for %s: message %s of a handed-off thread not relayed", channel, ts)
        return
    key = f"{channel}:{ts}"
    root = conversation.handoff_post
    if root is not None:
        found = await find_posted(client, channel=target, answer_id=key, kind="relay", thread_ts=root)
    else:  # posted after the customer's thread began: no older message can be it
        found = await find_posted(
            client, channel=target, answer_id=key, kind="relay", oldest=conversation.thread
        )
    link = conversation.link or await permalink(client, channel, conversation.thread)
    if found is None:
        message = blocks.relay_message(user, str(event["text"]), link)
        options: dict[str, Any] = {"thread_ts": root} if root is not None else {}
        posted = await client.chat_postMessage(
            channel=target, metadata=post_metadata(key, "relay"), **options, **message
        )
        found = str(posted["ts"])
    await deps.threads.handoff_posted(conversation, channel=target, post=root or found, link=link)
    log.info("message %s in %s relayed to %s", ts, channel, target)


async def offer_forward(deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any]) -> None:
    """An agent replied under a hand-off post: keep the reply, offer to send it to the customer."""
    channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
    conversation = await deps.threads.by_post(PLATFORM, channel, thread_root(event))
    if conversation is None or not await deps.members.is_agent(user):
        return
    await deps.threads.agent_said(
        conversation, message_id=ts, agent=user, text=str(event["text"]), kind="internal_reply"
    )
    ref = ForwardRef(conversation_id=conversation.id, ts=ts)
    await client.chat_postEphemeral(
        channel=channel, user=user, thread_ts=thread_root(event), **blocks.forward_prompt(ref)
    )


async def forward(
    deps: SlackDeps,
    client: AsyncWebClient,
    ref: ForwardRef,
    *,
    user: str,
    notify: Notify | None,
    steps: Steps,
) -> None:
    """Send an agent's reply from the hand-off thread to the customer's thread: once per reply,
    across clicks, agents and the inbox's replays; the conversation then waits on the customer."""
    conversation = await deps.conversations.conversation_by_id(ref.conversation_id)
    reply = await deps.conversations.get_thread_message(ref.conversation_id, ref.ts)
    if conversation is None or reply is None or not reply.text:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return

    async def claim() -> bool:
        if await deps.conversations.claim_event(PLATFORM, f"forward:{ref.conversation_id}:{ref.ts}"):
            return True
        if notify is not None:
            await notify(texts.ALREADY_HANDLED)
        return False

    if not await steps.once("forward", claim, before=True):
        return
    key = f"{conversation.channel}:{ref.ts}"
    message = blocks.agent_answer_message(reply.text, reply.author)

    async def post() -> str:
        found = await find_posted(
            client, channel=conversation.channel, answer_id=key, kind="forward", thread_ts=conversation.thread
        )
        if found is not None:
            return found
        posted = await client.chat_postMessage(
            channel=conversation.channel,
            thread_ts=conversation.thread,
            metadata=post_metadata(key, "forward"),
            **message,
        )
        return str(posted["ts"])

    ts = await steps.until_done("post", post, before=None)
    if ts is not None:
        changed = await deps.threads.agent_said(conversation, message_id=ts, agent=user, text=reply.text)
        await refresh_card(deps, client, changed)
    if notify is not None:
        await notify(texts.SENT_TO_CUSTOMER)
