"""The Teams bot's inbox: no question is lost between the Bot Connector's answer and the bot's reply.

The lease, the sweep and giving up are ``adapters.inbox``'s (shared with Slack); here is what is
Teams':

* ``admit`` stores each incoming message activity (key: its conversation and id, body: the
  activity's JSON) as the turn starts, after the request was authenticated and before the
  endpoint answers; a redelivery of the same activity (the connector's retries, another instance)
  is refused, and the bot skips the turn. When it cannot be stored the endpoint answers 500
  (``NotStored``), not an acknowledgement. Card submissions (``Action.Submit``) are answered within
  their turn and are not kept.
* The turn's ``InboxTicket`` (in ``TurnContext.turn_state``) is taken by the work the message
  handler spawns; it marks the event done once the reply was sent. A message nothing was spawned
  for (not a question, say) is done when the turn ends (``settle``).
* ``replay`` runs a stored activity through the bot's own turn again: the SDK's
  ``continue_conversation`` (the app's own credentials, as every proactive message) gives a turn
  context for the activity's service URL, whose activity is then the stored one. After
  ``inbox_max_attempts`` the hand-off channel is told (a new thread there).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

import requests
from botbuilder.core import CloudAdapterBase, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.inbox import Inbox, InboxTicket
from adapters.markup import teams_text
from adapters.teams import texts
from adapters.teams.activities import card_submission, clean_text, place_of
from adapters.teams.constants import PLATFORM
from adapters.teams.messenger import Messenger, text_activity
from adapters.teams.settings import TeamsSettings
from adapters.wording import truncate  # the same excerpt rule on both platforms
from assistant.conversations import ConversationStore, InboxEvent
from assistant.errors import AssistantError

__all__ = ["INBOX_TICKET", "NotStored", "TeamsInbox", "event_key", "ticket_of"]

log = logging.getLogger(__name__)

INBOX_TICKET = "assistant.inbox_ticket"  # the TurnContext.turn_state key of the turn's ticket
GIVE_UP_EXCERPT = 300
KEY_LIMIT = 255  # inbox_events.event_id

Turn = Callable[[TurnContext], Awaitable[None]]


class NotStored(Exception):
    """The message could not be stored (the database failing): the endpoint answers 500 rather than
    acknowledge a message it may lose, so the Bot Connector can deliver it again."""


def ticket_of(context: TurnContext) -> InboxTicket | None:
    """The inbox ticket of the turn's activity (None when the activity is not kept)."""
    ticket = context.turn_state.get(INBOX_TICKET)
    return ticket if isinstance(ticket, InboxTicket) else None


def event_key(activity: Activity) -> str | None:
    """The inbox key of an activity worth keeping (a message that is not a card submission): its
    conversation and id (activity ids are unique within a conversation only). A conversation id
    too long for the store's key is replaced by its SHA-256."""
    if activity.type != ActivityTypes.message or not activity.id or card_submission(activity) is not None:
        return None
    key = f"{activity.conversation.id}|{activity.id}"
    if len(key) > KEY_LIMIT:
        key = f"{hashlib.sha256(str(activity.conversation.id).encode()).hexdigest()}|{activity.id}"
    return key[:KEY_LIMIT]


class TeamsInbox(Inbox):
    """Incoming message activities: stored before the endpoint answers, retried until done."""

    skipped = (HttpOperationError, ClientRequestError, requests.RequestException, AssistantError, OSError)

    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: TeamsSettings,
        adapter: CloudAdapterBase,
        app_id: str | None,
        messenger: Messenger,
        turn: Turn,
    ) -> None:
        super().__init__(platform=PLATFORM, conversations=conversations, settings=settings)
        self.teams_settings = settings
        self._adapter = adapter
        self._app_id = app_id or ""
        self._messenger = messenger
        self._turn = turn

    async def admit(self, context: TurnContext) -> bool:
        """Store the turn's message activity (its ticket goes in ``turn_state``); False when it was
        received before (a redelivery: the turn is skipped)."""
        if ticket_of(context) is not None:  # the sweep runs it again
            return True
        key = event_key(context.activity)
        if key is None:
            return True
        try:
            received = await self.receive(key, context.activity.serialize())
        except Exception as exc:  # whatever the store raises: the message is not kept
            raise NotStored(f"activity {context.activity.id}: {type(exc).__name__}") from exc
        if not received:
            log.info("activity %s already received; skipped", context.activity.id)
            return False
        context.turn_state[INBOX_TICKET] = self.ticket(key)
        return True

    async def settle(self, context: TurnContext) -> None:
        """After the turn: an activity no work took (ignored traffic) is done at once."""
        ticket = ticket_of(context)
        if ticket is not None:
            await ticket.settle()

    async def replay(self, event: InboxEvent) -> None:
        activity = Activity().deserialize(event.body)
        ticket = self.ticket(event.event_id, event.attempts)

        async def logic(context: TurnContext) -> None:
            context.activity = activity  # the stored activity, not the SDK's continuation event
            context.turn_state[INBOX_TICKET] = ticket
            await self._turn(context)

        reference = TurnContext.get_conversation_reference(activity)
        await self._adapter.continue_conversation(reference, logic, bot_app_id=self._app_id)

    async def tell_given_up(self, event: InboxEvent, attempts: int) -> None:
        """A new thread in the hand-off channel of the message's channel (else the default one)."""
        activity = Activity().deserialize(event.body)
        place = place_of(activity)
        binding = await self.conversations.get_channel(PLATFORM, place.channel)
        target = (binding.handoff_channel if binding else None) or self.teams_settings.handoff_channel
        if not target:
            log.error("activity %s given up after %d attempts and no hand-off channel", activity.id, attempts)
            return
        excerpt = teams_text(truncate(clean_text(activity.text), GIVE_UP_EXCERPT))
        notice = texts.could_not_handle(place.channel, attempts, excerpt)
        await self._messenger.start_thread(target, text_activity(notice))
