"""Teams' side of the hand-off port (``assistant.handoff``): the card in a Teams channel, and the
way back for hand-offs that agents resolve elsewhere.

* ``TeamsHandoffNotifier`` posts a hand-off as a card that starts a thread in the internal Teams
  channel (the binding's, else ``TEAMS_HANDOFF_CHANNEL``): the default destination.
* ``TeamsHandoffReturn`` is what another platform calls when its agent sends the draft or their own
  answer for a Teams customer (with ``TEAMS_HANDOFF_SLACK_CHANNEL``, Slack's "Send draft"): the
  answer goes to the customer's Teams conversation through the stored conversation reference and
  is learned once, under the same claim as Teams' own "Send draft" and thread replies.
"""

from __future__ import annotations

import logging

from adapters.markup import teams_text
from adapters.teams import cards, texts
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.messenger import Messenger, card_activity, text_activity
from adapters.teams.payloads import ExchangeRef
from adapters.teams.replies import CONNECTOR_ERRORS, send_draft
from assistant.conversations import ConversationStore
from assistant.dialogue import Threads
from assistant.errors import NotFoundError
from assistant.handoff import HandoffDeliveryError, HandoffNotice, HandoffOrigin, Relay

log = logging.getLogger(__name__)


class TeamsHandoffNotifier:
    """Hand-offs as cards in an internal Teams channel (a new thread each)."""

    def __init__(
        self, *, messenger: Messenger, conversations: ConversationStore, default_channel: str | None
    ) -> None:
        self._messenger = messenger
        self._conversations = conversations
        self._default_channel = default_channel

    async def notify_handoff(self, notice: HandoffNotice) -> None:
        target = notice.handoff_channel or self._default_channel
        if target is None:
            log.warning(
                "no hand-off channel for %s; answer %s waits in the thread",
                notice.origin.channel,
                notice.answer_id,
            )
            return
        ref = ExchangeRef.of_origin(notice.answer_id, notice.origin)
        card = cards.handoff_card(notice, ref)
        posted = await self._messenger.start_thread(
            target, card_activity(card, texts.handoff_title(notice.account))
        )
        await self._conversations.link_message(
            PLATFORM,
            target,
            posted.activity_id,
            posted.activity_id,
            notice.answer_id,
            notice.question_id,
            "handoff",
        )
        origin = notice.origin
        conversation = await self._conversations.get_conversation(
            origin.platform, origin.channel, origin.thread
        )
        if conversation is not None:  # the card's thread is where the conversation's relays go
            await Threads(store=self._conversations).handoff_posted(
                conversation, channel=target, post=posted.conversation, link=origin.link
            )
        log.info("answer %s handed off to Teams channel %s", notice.answer_id, target)

    async def relay(self, relay: Relay) -> tuple[str, str] | None:
        """The customer's new message in the conversation's hand-off thread (a new thread in the
        hand-off channel when it has none)."""
        activity = text_activity(texts.relayed(relay.author, teams_text(relay.text)))
        if relay.handoff_post is not None:
            await self._messenger.send(relay.handoff_post, activity)
            return relay.handoff_channel or "", relay.handoff_post
        target = relay.handoff_channel or self._default_channel
        if target is None:
            return None
        started = await self._messenger.start_thread(target, activity)
        return target, started.conversation


class TeamsHandoffReturn:
    """Delivers answers that agents on another platform gave to Teams customers' hand-offs."""

    def __init__(self, deps: TeamsDeps) -> None:
        self._deps = deps

    async def send_answer(
        self, origin: HandoffOrigin, answer_id: str, *, text: str | None, agent: str, agent_name: str
    ) -> bool:
        ref = await self._checked(origin, answer_id)
        try:
            return await send_draft(self._deps, ref, user=agent, name=agent_name, text=text)
        except CONNECTOR_ERRORS as exc:
            log.error("answer %s: the Bot Connector failed (%s)", answer_id, type(exc).__name__)
            raise HandoffDeliveryError() from exc

    async def _checked(self, origin: HandoffOrigin, answer_id: str) -> ExchangeRef:
        """The exchange, once ``origin`` is where the answer's question was asked: a stale or forged
        button must not reach another customer's conversation."""
        answer = await self._deps.assistant.get_answer(answer_id)
        stored = await self._deps.assistant.get_question(answer.question_id)
        chat = origin.conversation == origin.channel == origin.thread
        in_thread = origin.conversation.endswith(f";messageid={origin.thread}")
        if (
            origin.platform != PLATFORM
            or stored is None
            or (stored.channel, stored.thread) != (origin.channel, origin.thread)
            or not (chat or in_thread)
        ):
            raise NotFoundError("That hand-off is not a Teams conversation the assistant answered in.")
        return ExchangeRef.of_origin(answer_id, origin)
