"""Where the assistant's exchanges live in a chat platform: channels, messages, threads, events.

Chat adapters (Slack, Teams) need to remember which channel belongs to which customer account,
which posted message carries which answer, which platform events were already handled and who took
a hand-off. This module only names those facts and the store that keeps them; adapters implement
``ConversationStore`` (the SQL one lives in ``adapters.storage.sql.conversations``).

Message ids are the platform's own (Slack's ``ts``, Teams' activity ids), kept as opaque strings.
A conversation reference (Teams) is the platform's own JSON: where a proactive message goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from assistant.errors import InvalidInputError

ChannelKind = Literal["customer", "internal"]
LinkKind = Literal["answer", "handoff", "question"]

CHANNEL_KINDS: tuple[ChannelKind, ...] = ("customer", "internal")
LINK_KINDS: tuple[LinkKind, ...] = ("answer", "handoff", "question")


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


class ConversationStore(Protocol):
    """Durable conversation state for chat adapters; every method is one transaction."""

    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the store answers a trivial query."""
        ...

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Record an event id; True the first time only (durable, unique across processes)."""
        ...

    async def bind_channel(self, binding: ChannelBinding) -> None:
        """Create or replace what a channel is."""
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
