"""The Slack app's background work, and its inbox: no event is lost between the ack and the answer.

``BackgroundWork`` (``adapters.work``, shared with Teams) runs what a listener spawns after the
ack. The inbox (``adapters.inbox``, shared with Teams: the lease, the sweep, giving up) makes that
work durable; here is what is Slack's:

* ``Inbox.middleware`` stores every ``event_callback``, button click, modal submission and slash
  command (its body, status ``pending``, leased to this process) before the listener acks it,
  keyed by ``interactions.inbox_key``; a redelivery of the same key (Slack's retries, the other
  instance behind the load balancer) finds the row and is acked as a no-op.
* The listener (``handlers.base.after_ack``) takes the request's ``InboxTicket`` when it spawns
  work; the ticket marks the event ``done`` once the work returned. An event no listener took
  (ignored traffic) is marked done as soon as ``SlackApp.dispatch`` returns (``Inbox.settle``;
  in Socket Mode, whose handler dispatches to Bolt directly, by the sweep's dispatch later).
* Work that raises (Slack down after the client's retries, the database gone, the process killed)
  leaves the event pending; the sweep dispatches it through the same Bolt listeners again
  (``Inbox.replay``). After ``inbox_max_attempts`` people are told in the hand-off channel.

Handlers must be safe to run again for the same event (the question handler reuses the answer
already stored for a message, and posts nothing twice; clicks, submissions and commands do each
effect once through ``adapters.slack.steps``, and reply through the Web API on a replay,
``is_replay``, since the ``response_url`` may have expired).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inbox import DEDUPE_WINDOW, InboxTicket, RetryLater
from adapters.inbox import Inbox as BaseInbox
from adapters.markup import slack_text
from adapters.slack import texts
from adapters.slack.api_errors import is_transient as is_transient  # where callers found it
from adapters.slack.constants import PLATFORM
from adapters.slack.interactions import describe, inbox_key
from adapters.slack.settings import SlackSettings
from adapters.wording import truncate
from adapters.work import BackgroundWork
from assistant.conversations import ConversationStore, InboxEvent
from assistant.errors import AssistantError

__all__ = [
    "DEDUPE_WINDOW",
    "INBOX_TICKET",
    "BackgroundWork",
    "Inbox",
    "InboxTicket",
    "RetryLater",
    "is_replay",
    "is_transient",
]

log = logging.getLogger(__name__)

INBOX_TICKET = "inbox_ticket"  # the Bolt context key of the request's ticket
_REPLAY = "inbox_replay"  # set on requests the sweep dispatches again
_ATTEMPTS = "inbox_attempts"  # and which attempt that is
GIVE_UP_EXCERPT = 300

Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


def is_replay(context: Mapping[str, Any]) -> bool:
    """Whether a Bolt request is the sweep's replay of a kept one (its ``response_url`` may have
    expired: reply with the Web API instead)."""
    return bool(context.get(_REPLAY))


class Inbox(BaseInbox):
    """The Slack app's received events: stored before the ack, retried until done or given up."""

    skipped = (SlackApiError, AssistantError, OSError, TimeoutError)

    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: SlackSettings,
        client: AsyncWebClient,
        dispatch: Dispatch,
    ) -> None:
        super().__init__(platform=PLATFORM, conversations=conversations, settings=settings)
        self.slack_settings = settings
        self.client = client
        self.dispatch = dispatch

    def middleware(self) -> Callable[..., Awaitable[BoltResponse | None]]:
        """Global Bolt middleware: store the event (or skip a redelivery), hand the listener a ticket."""

        async def inbox(
            body: dict[str, Any],
            request: AsyncBoltRequest,
            context: dict[str, Any],
            next: Callable[[], Awaitable[None]],
        ) -> BoltResponse | None:
            event_id = inbox_key(body)  # an event's id, or a click's, a submission's, a command's
            if not event_id:
                await next()
                return None
            if not context.get(_REPLAY) and not await self.receive(event_id, body):
                retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
                log.info("event %s already received (retry %s); skipped", event_id, retry)
                return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
            context[INBOX_TICKET] = self.ticket(event_id, int(context.get(_ATTEMPTS) or 1))
            await next()
            return None

        return inbox

    async def settle(self, request: AsyncBoltRequest) -> None:
        """After Bolt dispatched ``request`` (listeners included): an event no listener took work
        for (ignored traffic) is done at once. Bolt runs listeners after the whole middleware
        chain, so this cannot happen in the middleware."""
        ticket = request.context.get(INBOX_TICKET)
        if isinstance(ticket, InboxTicket):
            await ticket.settle()

    async def replay(self, event: InboxEvent) -> None:
        context = {_REPLAY: True, _ATTEMPTS: event.attempts}
        request = AsyncBoltRequest(body=event.body, mode="socket_mode", context=context)
        await self.dispatch(request)

    async def tell_given_up(self, event: InboxEvent, attempts: int) -> None:
        """Tell people in the hand-off channel (the event's channel's, else the default one)."""
        channel, said = describe(event.body)
        binding = await self.conversations.get_channel(PLATFORM, str(channel)) if channel else None
        target = (binding.handoff_channel if binding else None) or self.slack_settings.handoff_channel
        if target:
            excerpt = slack_text(truncate(said, GIVE_UP_EXCERPT))
            text = texts.could_not_handle(channel, attempts, excerpt)
            await self.client.chat_postMessage(channel=target, text=text)
        else:
            log.error("event %s given up after %d attempts and no hand-off channel", event.event_id, attempts)
