"""Where the assistant's exchanges live in a chat platform: channels, messages, threads, events.

Chat adapters (Slack, Teams) need to remember which channel belongs to which customer account,
which posted message carries which answer, which platform events were already handled and who took
a hand-off, and which received events still wait to be processed (the inbox: an event is stored
before it is acknowledged, so a crash between the acknowledgement and the answer loses nothing).
This module only names those facts and the store that keeps them; adapters implement
``ConversationStore`` (the SQL one lives in ``adapters.storage.sql.conversations``).

Message ids are the platform's own (Slack's ``ts``, Teams' activity ids), kept as opaque strings.
A conversation reference (Teams) is the platform's own JSON: where a proactive message goes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from assistant.errors import InvalidInputError
from assistant.learning.candidates import CandidateStore
from assistant.threads import ThreadStore

ChannelKind = Literal["customer", "internal"]
LinkKind = Literal["answer", "handoff", "question"]

CHANNEL_KINDS: tuple[ChannelKind, ...] = ("customer", "internal")
LINK_KINDS: tuple[LinkKind, ...] = ("answer", "handoff", "question")
InboxStatus = Literal["pending", "done", "failed"]


@dataclass(frozen=True, slots=True)
class ChannelBinding:
    """What a channel is to the assistant.

    A ``customer`` channel belongs to ``account`` and hands off to ``handoff_channel`` (an internal
    channel); an ``internal`` channel is where agents work and where no question is answered.
    """

    platform: str
    channel_id: str
    account: str | None
    kind: ChannelKind
    handoff_channel: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CHANNEL_KINDS:
            raise InvalidInputError(f"A channel is 'customer' or 'internal', not {self.kind!r}.")
        if self.kind == "customer" and not self.account:
            raise InvalidInputError(f"Customer channel {self.channel_id} needs the account it belongs to.")
        if self.handoff_channel is not None and self.handoff_channel == self.channel_id:
            raise InvalidInputError("A channel cannot hand off to itself.")


@dataclass(frozen=True, slots=True)
class MessageLink:
    """A posted (or received) message and the exchange it belongs to.

    ``kind`` says what the message is: the assistant's ``answer``, a ``handoff`` (the notice in the
    customer's thread or the post in the internal channel) or the customer's ``question``.
    """

    platform: str
    channel_id: str
    message_ts: str
    thread_ts: str
    answer_id: str
    question_id: str
    kind: LinkKind
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A received platform event, kept until its work is done.

    ``attempts`` counts the times its processing started (the first delivery included); ``body``
    is the platform's payload as received, so it can be processed again after a crash.
    """

    platform: str
    event_id: str
    body: dict[str, Any]
    status: InboxStatus
    attempts: int
    created_at: datetime


class ConversationStore(CandidateStore, ThreadStore, Protocol):
    """Durable conversation state for chat adapters; every method is one transaction (agents'
    candidate replies included: ``assistant.learning.candidates``; customer threads as
    conversations: ``assistant.threads``)."""

    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the store answers a trivial query."""
        ...

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Record an event id; True the first time only (durable, unique across processes)."""
        ...

    async def release_event(self, platform: str, event_id: str) -> None:
        """Undo ``claim_event`` when the claimed work failed before it changed anything (the same
        id may be claimed again)."""
        ...

    async def receive_event(
        self, platform: str, event_id: str, body: Mapping[str, Any], *, lease_seconds: float
    ) -> bool:
        """Store a received event as pending, leased to the caller for ``lease_seconds``; True the
        first time only (a redelivery of the same id is False, across processes and restarts)."""
        ...

    async def claim_pending_events(
        self, platform: str, *, lease_seconds: float, limit: int = 100, exclude: Collection[str] = ()
    ) -> list[InboxEvent]:
        """Pending events whose lease ran out, each now leased to the caller (``attempts`` counted),
        except ``exclude`` (the ids the caller is still processing).

        Claiming is a conditional update, so two instances sweeping at once never take the same one.
        """
        ...

    async def retry_event_after(self, platform: str, event_id: str, seconds: float) -> None:
        """A pending event whose work failed for a while: its lease now ends in ``seconds``, so a
        sweep retries it then rather than when the original lease runs out."""
        ...

    async def finish_event(self, platform: str, event_id: str, status: InboxStatus = "done") -> None:
        """Mark a received event ``done`` (its work happened) or ``failed`` (given up, people told);
        its body is emptied (only the id is kept, to refuse redeliveries)."""
        ...

    async def forget_message(self, platform: str, channel_id: str, message_ts: str) -> int:
        """A message its author deleted: empty every inbox body that holds it (the message, its
        edits) and drop it as a reply candidate; how many rows changed."""
        ...

    async def prune_events(self, platform: str, before: datetime) -> int:
        """Forget finished events older than ``before`` (past the redelivery window); how many."""
        ...

    async def bind_channel(self, binding: ChannelBinding) -> None:
        """Create or replace what a channel is."""
        ...

    async def unbind_channel(self, platform: str, channel_id: str) -> bool:
        """Forget what a channel is (and its organisations), e.g. once a Slack Connect channel was
        disconnected; False when it was not bound."""
        ...

    async def get_channel(self, platform: str, channel_id: str) -> ChannelBinding | None: ...

    async def list_channels(self, platform: str) -> list[ChannelBinding]: ...

    async def link_message(
        self,
        platform: str,
        channel_id: str,
        message_ts: str,
        thread_ts: str,
        answer_id: str,
        question_id: str,
        kind: LinkKind,
    ) -> None:
        """Remember which exchange a message belongs to (replaces an earlier link of the message)."""
        ...

    async def find_link(self, platform: str, channel_id: str, message_ts: str) -> MessageLink | None: ...

    async def find_thread(self, platform: str, channel_id: str, thread_ts: str) -> MessageLink | None:
        """The latest ``answer`` or ``handoff`` link in a thread, or None."""
        ...

    async def claim_handoff(self, answer_id: str, agent: str) -> bool:
        """Mark a hand-off as taken by ``agent``; True only for the first agent."""
        ...

    async def save_reference(self, platform: str, conversation_id: str, reference: Mapping[str, Any]) -> None:
        """Create or replace where proactive messages to ``conversation_id`` go (JSON-serialisable)."""
        ...

    async def get_reference(self, platform: str, conversation_id: str) -> dict[str, Any] | None: ...

    async def remember_name(self, platform: str, user_id: str, name: str) -> None:
        """Keep a person's display name (what ``assistant learned`` shows for who taught what)."""
        ...

    async def forget_references(self, platform: str, conversation_id: str) -> int:
        """Delete the reference of ``conversation_id`` and of every conversation whose id starts
        with it (a channel's threads), when the app is uninstalled there; how many were deleted."""
        ...
