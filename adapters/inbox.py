"""A chat platform's inbox, shared by Slack and Teams: no event is lost between the ack and the answer.

The platform adapter stores each received event (``receive``: its body, status ``pending``,
leased to this process) before the platform gets its acknowledgement; a redelivery of the same id
(the platform's retries, another instance) is refused, so it is acknowledged and skipped. The work
an event starts takes the event's ``InboxTicket``, which marks the event ``done`` once the work
returned; an event no work took (ignored traffic) is done as soon as its turn ends (``settle``).

Work that raises (``RetryLater``: the platform down after its client's retries; the core's
``ServiceUnavailableError``: the database locked or gone, wherever in the work it surfaced; or the
process killed) leaves the event pending. After either error its lease is shortened to
``retry_delay`` (one sweep interval, doubling with each attempt, at most the lease), so a brief
outage delays an answer by a sweep or two, not by a whole lease; shortening it is tried
``_SHORTEN_ATTEMPTS`` times, since the database that failed the work may still be busy.
``sweep``, run at start and every ``inbox_sweep_seconds``, claims the pending events whose lease
ran out (one instance each: ``ConversationStore.claim_pending_events``) and hands each to the
platform's ``replay``, which runs it through the same handlers again. After ``inbox_max_attempts``
the event is given up: the platform's ``give_up`` tells people, so nothing is dropped silently.

What is kept, and for how long (personal data): a body is stored with its people-written texts
redacted (``stored_body``: every ``text``, ``url``, ``title``… string, as questions are), a
deletion event's ``previous_message`` reduced to its ``ts`` (it would store the deleted text
again), and the body is emptied as soon as the event is done or given up (only its id stays, to
refuse redeliveries). Finished rows are pruned by each sweep once ``inbox_retention_hours`` have
passed (``DEFAULT_RETENTION``, a day, by default; never less than an hour, the platforms'
redelivery window).

Handlers must be safe to run again for the same event (a question reuses the answer already
stored for its message and posts nothing twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from assistant.conversations import ConversationStore, InboxEvent
from assistant.errors import ServiceUnavailableError
from assistant.models import utcnow
from assistant.privacy.redaction import redact

__all__ = [
    "DEDUPE_WINDOW",
    "DEFAULT_RETENTION",
    "Inbox",
    "InboxSettings",
    "InboxTicket",
    "RetryLater",
    "retried_when_unavailable",
    "stored_body",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_RETENTION = timedelta(hours=24)  # platforms redeliver within minutes; finished rows kept a day
DEDUPE_WINDOW = DEFAULT_RETENTION  # the name older callers use
MIN_RETENTION = timedelta(hours=1)
SWEEP_BATCH = 50
#: Tries at shortening a failed event's lease, a second apart and more: under a burst SQLite's lock
#: that failed the work is often still held (tests/adapters/slack/test_load.py).
_SHORTEN_ATTEMPTS = 3
_SHORTEN_PAUSE_SECONDS = 1.0
# Keys whose string values people wrote (message text, rich-text elements, links, attachments).
# Ids, timestamps and channel names are never redacted: a replay needs them as they were.
# A modal's typed text (Slack ``plain_text_input``'s ``value``, its ``initial_value``) and a Teams
# card's answer box (``answer_text``) are people's words too; buttons' ``value`` (ids, stamps) is not.
_WRITTEN_KEYS = frozenset(
    {"text", "url", "title", "fallback", "pretext", "footer", "initial_value", "answer_text"}
)
_TYPED_INPUTS = frozenset({"plain_text_input", "rich_text_input"})


def stored_body(body: Any) -> Any:
    """``body`` as the inbox may keep it: people-written strings redacted, and a Slack deletion
    event's ``previous_message`` (the deleted message itself) reduced to its ``ts``."""

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            kept: dict[str, Any] = {}
            deletion = value.get("subtype") == "message_deleted"
            typed = value.get("type") in _TYPED_INPUTS
            for name, inner in value.items():
                if deletion and name == "previous_message" and isinstance(inner, dict):
                    kept[name] = {"ts": inner["ts"]} if "ts" in inner else {}
                elif typed and name == "value" and isinstance(inner, str):
                    kept[name] = redact(inner)
                else:
                    kept[name] = walk(inner, str(name))
            return kept
        if isinstance(value, list):
            return [walk(inner, key) for inner in value]
        if isinstance(value, str) and key in _WRITTEN_KEYS:
            return redact(value)
        return value

    return walk(body)


class RetryLater(Exception):
    """A service failed for a while (the platform after its client's retries, the database); the
    event stays pending and the inbox's sweep runs it again.

    Deliberately not a platform error or an ``AssistantError``: handlers tell the user of those
    and the work counts as done, while this one leaves the inbox event pending. (A
    ``ServiceUnavailableError`` no handler caught leaves it pending too.)
    """


async def retried_when_unavailable(work: Awaitable[T], what: str) -> T:
    """``await work``; the database failing anywhere in it becomes ``RetryLater``, so the event is
    run again a sweep later rather than the user told "unavailable" while nobody acts on it."""
    try:
        return await work
    except ServiceUnavailableError as exc:
        raise RetryLater(f"{what}: {type(exc).__name__}") from exc


class InboxSettings(Protocol):
    """How long a lease lasts, how often to sweep, how many attempts before people are told."""

    @property
    def inbox_lease_seconds(self) -> float: ...

    @property
    def inbox_sweep_seconds(self) -> float: ...

    @property
    def inbox_max_attempts(self) -> int: ...


@dataclass(slots=True)
class InboxTicket:
    """One received event's completion: ``take`` wraps the work that marks it done."""

    inbox: Inbox
    event_id: str
    attempts: int = 1  # the attempt this is (1: the first delivery)
    taken: bool = False

    def take(self, work: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        self.taken = True
        self.inbox.in_flight.add(self.event_id)
        return self._run(work)

    async def _run(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
            await self.inbox.finish(self.event_id)
        except (RetryLater, ServiceUnavailableError):
            await self.inbox.retry_soon(self.event_id, self.attempts)
            raise
        finally:
            self.inbox.in_flight.discard(self.event_id)

    async def settle(self) -> None:
        """The event's turn ended: if no work took the ticket (ignored traffic), it is done now."""
        if not self.taken:
            await self.inbox.finish(self.event_id)


class Inbox:
    """Received events of one platform, stored before the ack and retried until done or given up.

    Subclasses say how an event is run again (``replay``) and how people are told when it is
    given up (``tell_given_up``); ``skipped`` are the errors after which a sweep leaves the event
    pending and goes on with the next one.
    """

    skipped: tuple[type[BaseException], ...] = (OSError, TimeoutError)

    def __init__(self, *, platform: str, conversations: ConversationStore, settings: InboxSettings) -> None:
        self.platform = platform
        self.conversations = conversations
        self.settings = settings
        self.in_flight: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def receive(self, event_id: str, body: dict[str, Any]) -> bool:
        """Store a received event as pending, leased to this process; False for a redelivery.

        What is stored is ``stored_body(body)`` (redacted); this delivery goes on with ``body``."""
        return await self.conversations.receive_event(
            self.platform, event_id, stored_body(body), lease_seconds=self.settings.inbox_lease_seconds
        )

    @property
    def retention(self) -> timedelta:
        """How long a finished event's row is kept (``inbox_retention_hours``, at least an hour)."""
        hours = getattr(self.settings, "inbox_retention_hours", None)
        kept = DEFAULT_RETENTION if hours is None else timedelta(hours=float(hours))
        return max(kept, MIN_RETENTION)

    def ticket(self, event_id: str, attempts: int = 1) -> InboxTicket:
        return InboxTicket(self, event_id, attempts)

    def retry_delay(self, attempts: int) -> float:
        """Seconds before a sweep retries an event whose ``attempts``-th attempt failed for a while."""
        doubled = self.settings.inbox_sweep_seconds * 2 ** min(max(attempts - 1, 0), 16)
        return min(doubled, self.settings.inbox_lease_seconds)

    async def retry_soon(self, event_id: str, attempts: int) -> None:
        """Shorten the lease of an event whose work failed for a while (best effort: if the store
        fails every try, the lease runs its course and the event is retried then)."""
        delay = self.retry_delay(attempts)
        for attempt in range(1, _SHORTEN_ATTEMPTS + 1):
            try:
                await self.conversations.retry_event_after(self.platform, event_id, delay)
                return
            except Exception as exc:
                if attempt == _SHORTEN_ATTEMPTS:
                    log.warning("event %s keeps its lease: %s", event_id, type(exc).__name__)
                    return
                await asyncio.sleep(_SHORTEN_PAUSE_SECONDS * attempt)

    async def finish(self, event_id: str) -> None:
        await self.conversations.finish_event(self.platform, event_id)

    async def replay(self, event: InboxEvent) -> None:
        """Run ``event`` through the platform's handlers again."""
        raise NotImplementedError

    async def tell_given_up(self, event: InboxEvent, attempts: int) -> None:
        """Tell people (the hand-off channel) that ``event`` failed ``attempts`` times."""
        raise NotImplementedError

    # the sweep

    def start(self) -> None:
        """Sweep now and every ``inbox_sweep_seconds`` until ``close``."""
        if self._sweeper is None:
            name = f"{self.platform} inbox sweep"
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever(), name=name)

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
            except Exception as exc:  # the database or the platform failing: the next sweep tries again
                log.warning("%s inbox sweep failed: %s", self.platform, type(exc).__name__)
                log.debug("inbox sweep traceback", exc_info=exc)
            await asyncio.sleep(self.settings.inbox_sweep_seconds)

    async def sweep(self) -> int:
        """Process again the pending events whose lease ran out; how many were dispatched."""
        events = await self.conversations.claim_pending_events(
            self.platform,
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
                await self.replay(event)
                dispatched += 1
            except self.skipped as exc:
                log.warning("event %s not retried yet: %s", event.event_id, type(exc).__name__)
        await self.conversations.prune_events(self.platform, utcnow() - self.retention)
        return dispatched

    async def _give_up(self, event: InboxEvent) -> None:
        """Tell people, then mark the event failed (if telling fails, the event stays pending and
        the next sweep tries again)."""
        attempts = event.attempts - 1
        await self.tell_given_up(event, attempts)
        await self.conversations.finish_event(self.platform, event.event_id, "failed")
        log.warning("event %s given up after %d attempts; people were told", event.event_id, attempts)
