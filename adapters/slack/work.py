"""The Slack app's background work, and its inbox: no event is lost between the ack and the answer.

``BackgroundWork`` (``adapters.work``, shared with Teams) runs what a listener spawns after the
ack. The inbox makes that work durable:

* ``Inbox.middleware`` stores every ``event_callback`` (its body, status ``pending``, leased to
  this process) before the listener acks it; a redelivery of the same ``event_id`` (Slack's
  retries, the other instance behind the load balancer) finds the row and is acked as a no-op.
* The listener (``handlers.base.after_ack``) takes the request's ``InboxTicket`` when it spawns
  work; the ticket marks the event ``done`` once the work returned. An event no listener took
  (ignored traffic) is marked done as soon as ``SlackApp.dispatch`` returns (``Inbox.settle``;
  in Socket Mode, whose handler dispatches to Bolt directly, by the sweep's dispatch later).
* Work that raises (Slack down after the client's retries, the database gone, the process killed)
  leaves the event pending. ``Inbox.sweep``, run at start and every ``inbox_sweep_seconds``,
  claims pending events whose lease ran out (one instance each: ``claim_pending_events``) and
  dispatches them through the same Bolt listeners again. After ``inbox_max_attempts`` the event
  is given up: people are told in the hand-off channel, so nothing is dropped silently.
* Finished events are pruned once past the redelivery window (``DEDUPE_WINDOW``).

Handlers must be safe to run again for the same event (the question handler reuses the answer
already stored for a message, and posts nothing twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.markup import slack_text
from adapters.slack import texts
from adapters.slack.constants import PLATFORM
from adapters.slack.settings import SlackSettings
from adapters.slack.text import truncate
from adapters.work import BackgroundWork
from assistant.conversations import ConversationStore, InboxEvent
from assistant.errors import AssistantError
from assistant.models import utcnow

__all__ = [
    "INBOX_TICKET",
    "BackgroundWork",
    "Inbox",
    "InboxTicket",
    "RetryLater",
    "is_transient",
]

log = logging.getLogger(__name__)

INBOX_TICKET = "inbox_ticket"  # the Bolt context key of the request's ticket
_REPLAY = "inbox_replay"  # set on requests the sweep dispatches again
DEDUPE_WINDOW = timedelta(hours=24)  # Slack redelivers within minutes; finished rows kept a day
SWEEP_BATCH = 50
GIVE_UP_EXCERPT = 300

Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


class RetryLater(Exception):
    """A service failed for a while (Slack after the client's retries, the database); the event
    stays pending and the inbox's sweep runs it again.

    Deliberately not a ``SlackApiError`` or an ``AssistantError``: those are told to the user and
    the work counts as done, while this one leaves the inbox event pending.
    """


def is_transient(exc: SlackApiError) -> bool:
    """A Slack failure worth retrying later: rate limited or a server error (HTTP 429, 5xx)."""
    status = getattr(exc.response, "status_code", 200)
    return status == 429 or status >= 500 or exc.response.get("error") in ("ratelimited", "fatal_error")


@dataclass(slots=True)
class InboxTicket:
    """One received event's completion: ``take`` wraps the work that marks it done."""

    inbox: Inbox
    event_id: str
    taken: bool = False

    def take(self, work: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        self.taken = True
        self.inbox.in_flight.add(self.event_id)
        return self._run(work)

    async def _run(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
            await self.inbox.finish(self.event_id)
        finally:
            self.inbox.in_flight.discard(self.event_id)


class Inbox:
    """The Slack app's received events: stored before the ack, retried until done or given up."""

    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: SlackSettings,
        client: AsyncWebClient,
        dispatch: Dispatch,
    ) -> None:
        self.conversations = conversations
        self.settings = settings
        self.client = client
        self.dispatch = dispatch
        self.in_flight: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def middleware(self) -> Callable[..., Awaitable[BoltResponse | None]]:
        """Global Bolt middleware: store the event (or skip a redelivery), hand the listener a ticket."""

        async def inbox(
            body: dict[str, Any],
            request: AsyncBoltRequest,
            context: dict[str, Any],
            next: Callable[[], Awaitable[None]],
        ) -> BoltResponse | None:
            event_id = body.get("event_id") if body.get("type") == "event_callback" else None
            if not event_id:
                await next()
                return None
            event_id = str(event_id)
            if not context.get(_REPLAY):
                received = await self.conversations.receive_event(
                    PLATFORM, event_id, body, lease_seconds=self.settings.inbox_lease_seconds
                )
                if not received:
                    retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
                    log.info("event %s already received (retry %s); skipped", event_id, retry)
                    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
            context[INBOX_TICKET] = InboxTicket(self, event_id)
            await next()
            return None

        return inbox

    async def settle(self, request: AsyncBoltRequest) -> None:
        """After Bolt dispatched ``request`` (listeners included): an event no listener took work
        for (ignored traffic) is done at once. Bolt runs listeners after the whole middleware
        chain, so this cannot happen in the middleware."""
        ticket = request.context.get(INBOX_TICKET)
        if isinstance(ticket, InboxTicket) and not ticket.taken:
            await self.finish(ticket.event_id)

    async def finish(self, event_id: str) -> None:
        await self.conversations.finish_event(PLATFORM, event_id)

    # the sweep

    def start(self) -> None:
        """Sweep now and every ``inbox_sweep_seconds`` until ``close``."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever(), name="inbox sweep")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # the database or Slack failing: the next sweep tries again
                log.warning("inbox sweep failed: %s", type(exc).__name__)
                log.debug("inbox sweep traceback", exc_info=exc)
            await asyncio.sleep(self.settings.inbox_sweep_seconds)

    async def sweep(self) -> int:
        """Process again the pending events whose lease ran out; how many were dispatched."""
        events = await self.conversations.claim_pending_events(
            PLATFORM,
            lease_seconds=self.settings.inbox_lease_seconds,
            limit=SWEEP_BATCH,
            exclude=set(self.in_flight),  # still running here (longer than their lease)
        )
        dispatched = 0
        for event in events:
            try:
                if event.attempts > self.settings.inbox_max_attempts:
                    await self._give_up(event)
                    continue
                log.info("event %s: attempt %d", event.event_id, event.attempts)
                request = AsyncBoltRequest(body=event.body, mode="socket_mode", context={_REPLAY: True})
                await self.dispatch(request)
                dispatched += 1
            except (SlackApiError, AssistantError, OSError, TimeoutError) as exc:
                log.warning("event %s not retried yet: %s", event.event_id, type(exc).__name__)
        await self.conversations.prune_events(PLATFORM, utcnow() - DEDUPE_WINDOW)
        return dispatched

    async def _give_up(self, event: InboxEvent) -> None:
        """Tell people in the hand-off channel, then mark the event failed (if telling fails, the
        event stays pending and the next sweep tries again)."""
        inner = event.body.get("event") or {}
        channel = inner.get("channel") or (inner.get("item") or {}).get("channel")
        binding = await self.conversations.get_channel(PLATFORM, str(channel)) if channel else None
        target = (binding.handoff_channel if binding else None) or self.settings.handoff_channel
        attempts = event.attempts - 1
        if target:
            excerpt = slack_text(truncate(str(inner.get("text") or ""), GIVE_UP_EXCERPT))
            text = texts.could_not_handle(str(channel) if channel else None, attempts, excerpt)
            await self.client.chat_postMessage(channel=target, text=text)
        else:
            log.error("event %s given up after %d attempts and no hand-off channel", event.event_id, attempts)
        await self.conversations.finish_event(PLATFORM, event.event_id, "failed")
        log.warning("event %s given up after %d attempts; people were told", event.event_id, attempts)
