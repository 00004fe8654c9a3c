"""Customer threads as conversations, in Teams' terms: relays, and replies sent from the hand-off
thread (the core, ``assistant.dialogue``, decides; this module posts).

* ``relay``: a customer's new message in a conversation a person owns goes, once, to its hand-off
  thread (a new thread in the hand-off channel when it has none yet).
* ``offer_forward`` / ``forward``: Teams has no private notes, so the bot answers an agent's reply
  in the hand-off thread with a small card ("Send to customer"); the click posts the reply in the
  customer's thread, once however often it is clicked (a claim in the conversation store, released
  when posting fails), and the conversation then waits on the customer.
"""

from __future__ import annotations

import logging

from adapters.inbox import RetryLater
from adapters.teams import cards, texts
from adapters.teams.activities import Place
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.messenger import card_activity
from adapters.teams.payloads import ExchangeRef
from adapters.teams.replies import CONNECTOR_ERRORS, is_transient
from assistant.conversations import ChannelBinding
from assistant.handoff import Relay
from assistant.threads import Conversation

log = logging.getLogger(__name__)


async def relay(
    deps: TeamsDeps,
    binding: ChannelBinding,
    place: Place,
    conversation: Conversation,
    message_id: str,
    name: str,
    text: str,
) -> None:
    """Post a customer's message in the conversation's hand-off thread, wherever hand-offs go (a
    Teams channel, or Slack: ``deps.handoffs``), starting one when it has none yet. At most once:
    the relay is claimed before it is sent and released when sending fails, so a retry of the
    activity never posts it twice."""
    mark = f"relayed:{conversation.id}:{message_id}"
    if not await deps.conversations.claim_event(PLATFORM, mark):
        return
    posted = conversation.handoff_post is not None
    handoff = Relay(
        origin=customer_ref(conversation).origin(),
        key=f"{place.channel}:{message_id}",
        author=name,
        text=text,
        handoff_channel=conversation.handoff_channel if posted else binding.handoff_channel,
        handoff_post=conversation.handoff_post,
    )
    try:
        where = await deps.handoffs.relay(handoff)
    except CONNECTOR_ERRORS as exc:
        await deps.conversations.release_event(PLATFORM, mark)
        if is_transient(exc):
            raise RetryLater(f"relay {message_id}: the Bot Connector failed ({type(exc).__name__})") from exc
        raise
    except BaseException:
        await deps.conversations.release_event(PLATFORM, mark)
        raise
    if where is None:
        log.error("no hand-off channel for %s: message %s not relayed", place.channel, message_id)
        return
    await deps.threads.handoff_posted(conversation, channel=where[0], post=where[1])
    log.info("message %s in %s relayed", message_id, place.channel)


def customer_ref(conversation: Conversation) -> ExchangeRef:
    """Where a conversation's customer thread is, in Teams' terms (a chat is its own thread)."""
    thread_conversation = (
        conversation.channel
        if conversation.channel == conversation.thread
        else f"{conversation.channel};messageid={conversation.thread}"
    )
    return ExchangeRef(
        answer_id=conversation.answer_id or "",
        channel=conversation.channel,
        conversation=thread_conversation,
        thread=conversation.thread,
    )


async def offer_forward(deps: TeamsDeps, place: Place, message_id: str, user: str, text: str) -> None:
    """An agent replied under a hand-off card: keep the reply and offer to send it to the customer."""
    conversation = await deps.threads.by_post(PLATFORM, place.channel, place.conversation)
    if conversation is None:
        return
    await deps.threads.agent_said(
        conversation, message_id=message_id, agent=user, text=text, kind="internal_reply"
    )
    offer = cards.forward_card(customer_ref(conversation), message_id)
    await deps.messenger.send(place.conversation, card_activity(offer, texts.FORWARD_OFFER))


async def forward(deps: TeamsDeps, ref: ExchangeRef, reply_id: str, *, user: str, name: str) -> str | None:
    """Send the agent's reply ``reply_id`` to the customer's thread; the message to show instead
    of the card when it was not sent (None: sent)."""
    conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread)
    reply = (
        await deps.conversations.get_thread_message(conversation.id, reply_id)
        if conversation is not None
        else None
    )
    if conversation is None or reply is None or not reply.text:
        return texts.STALE_BUTTON
    claim = f"forward:{conversation.id}:{reply_id}"
    if not await deps.conversations.claim_event(PLATFORM, claim):
        return texts.ALREADY_HANDLED
    try:
        sent = await deps.messenger.send(
            ref.conversation, card_activity(cards.agent_answer_card(reply.text, name), reply.text)
        )
    except BaseException:
        await deps.conversations.release_event(PLATFORM, claim)
        raise
    await deps.threads.agent_said(conversation, message_id=sent.activity_id, agent=user, text=reply.text)
    log.info("reply %s sent to the customer's thread of %s by %s", reply_id, conversation.id, user)
    return None
