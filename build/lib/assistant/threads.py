"""A customer thread is a conversation: who is in it, what was said, its state and who owns it.

A Slack thread or a Teams reply chain starts with a customer's question and goes on: follow-ups,
a second customer, an agent's holding reply, the agent's answer. Each customer message must get a
visible outcome, so the core keeps the thread as one ``Conversation`` and decides, for every new
customer message, what happens to it (``route``): answered in the context of the thread (the
earlier turns and the account's profile go with the question), or relayed to the person who owns
the conversation. Adapters only translate: they record messages, call ``route`` and render.

States::

    open ──▶ answered ──▶ waiting_on_customer ──▶ resolved
      │          │  ▲               ▲   │             │
      └──────────┴─▶ handed_off ────┘   └─▶ ...       └─▶ open (the customer writes again)

``answered``: the assistant replied; ``handed_off``: a person must reply (a hand-off post exists,
or an agent took the thread); ``waiting_on_customer``: a person replied to the customer;
``resolved``: closed by an agent (or by the customer's "This solved it").

``ThreadStore`` keeps conversations and their messages (the SQL one is in
``adapters.storage.sql.threads``); message ids are the platform's own, so a redelivered event
records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from assistant.accounts import AccountProfile
from assistant.context import ConversationContext, Speaker, Turn
from assistant.errors import InvalidInputError
from assistant.models import new_id, utcnow


class ThreadState(StrEnum):
    """Where a conversation is."""

    OPEN = "open"
    ANSWERED = "answered"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    HANDED_OFF = "handed_off"
    RESOLVED = "resolved"


#: Every change of state a conversation may make; anything else is a bug (``InvalidInputError``).
TRANSITIONS: dict[ThreadState, frozenset[ThreadState]] = {
    ThreadState.OPEN: frozenset(
        {ThreadState.ANSWERED, ThreadState.HANDED_OFF, ThreadState.WAITING_ON_CUSTOMER, ThreadState.RESOLVED}
    ),
    ThreadState.ANSWERED: frozenset(
        {ThreadState.ANSWERED, ThreadState.HANDED_OFF, ThreadState.WAITING_ON_CUSTOMER, ThreadState.RESOLVED}
    ),
    ThreadState.HANDED_OFF: frozenset(
        {ThreadState.HANDED_OFF, ThreadState.WAITING_ON_CUSTOMER, ThreadState.RESOLVED}
    ),
    ThreadState.WAITING_ON_CUSTOMER: frozenset(
        {ThreadState.ANSWERED, ThreadState.HANDED_OFF, ThreadState.WAITING_ON_CUSTOMER, ThreadState.RESOLVED}
    ),
    ThreadState.RESOLVED: frozenset({ThreadState.OPEN, ThreadState.RESOLVED}),
}

MessageKind = Literal["question", "follow_up", "answer", "handoff", "relay", "agent_reply", "internal_reply"]
Route = Literal["answer", "relay"]

#: The characters of earlier turns a follow-up's context may carry (``summarise``).
CONTEXT_BUDGET_CHARS = 2000
#: The most any one earlier turn contributes before it is cut.
TURN_LIMIT_CHARS = 600


@dataclass(frozen=True, slots=True)
class Conversation:
    """One customer thread.

    ``thread`` is the platform's id of the thread (Slack's root ``ts``, a Teams reply chain's root
    activity id); ``answer_id`` the latest exchange in it (answer or hand-off);
    ``handoff_channel``/``handoff_post`` where its hand-off post (the ticket card) lives, where
    relays go; ``link`` opens the customer's thread; ``asker`` the customer who started it; ``csat`` the
    customer's rating once it was resolved (``assistant.service_levels.CSAT_SCALE``);
    ``waiting_since`` when people were asked to reply (handed off; later relays do not reset it).
    ``updated_at`` changes with every change: saving compares it (``ThreadStore.save_conversation``).
    """

    id: str
    platform: str
    channel: str
    thread: str
    account: str | None
    state: ThreadState
    created_at: datetime
    updated_at: datetime
    asker: str | None = None
    owner: str | None = None
    participants: tuple[str, ...] = ()
    answer_id: str | None = None
    handoff_channel: str | None = None
    handoff_post: str | None = None
    link: str | None = None
    first_response_at: datetime | None = None
    csat: int | None = None
    waiting_since: datetime | None = None

    @classmethod
    def start(
        cls, *, platform: str, channel: str, thread: str, account: str | None, asker: str | None
    ) -> Conversation:
        now = utcnow()
        return cls(
            id=new_id("conv"),
            platform=platform,
            channel=channel,
            thread=thread,
            account=account,
            state=ThreadState.OPEN,
            created_at=now,
            updated_at=now,
            asker=asker,
            participants=(asker,) if asker else (),
        )

    def moved(self, state: ThreadState, **changes: object) -> Conversation:
        """This conversation in ``state`` (with ``changes``); raises on a change ``TRANSITIONS``
        does not allow."""
        if state not in TRANSITIONS[self.state]:
            raise InvalidInputError(f"A conversation cannot go from {self.state} to {state}.")
        now = utcnow()
        first = self.first_response_at
        if first is None and state is not ThreadState.OPEN and state is not ThreadState.RESOLVED:
            first = now
        waiting = None
        if (
            state is ThreadState.HANDED_OFF
        ):  # the wait began when people were first asked, not at the last relay
            waiting = (
                self.waiting_since if self.state is ThreadState.HANDED_OFF and self.waiting_since else now
            )
        return replace(
            self,
            state=state,
            updated_at=now,
            first_response_at=first,
            waiting_since=waiting,
            **changes,  # type: ignore[arg-type]
        )

    def joined(self, user: str) -> Conversation:
        """With ``user`` among the participants."""
        if not user or user in self.participants:
            return self
        return replace(self, participants=(*self.participants, user))

    @property
    def owned(self) -> bool:
        """Whether a person has the conversation: customer messages go to them, not to answering."""
        return self.state is ThreadState.HANDED_OFF or (
            self.owner is not None and self.state is not ThreadState.RESOLVED
        )


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a conversation, as the platform identified it (``message_id``).

    ``text`` is None once the author deleted it (it is forgotten, not shown again).
    """

    conversation_id: str
    message_id: str
    author: str
    speaker: Speaker
    kind: MessageKind
    text: str | None
    created_at: datetime
    answer_id: str | None = None


def route(conversation: Conversation) -> Route:
    """What a new customer message in ``conversation`` gets: ``relay`` to the person who owns it,
    else ``answer`` (in the context of the thread; the answer itself may still hand off)."""
    return "relay" if conversation.owned else "answer"


def reopened(conversation: Conversation) -> Conversation:
    """A resolved conversation the customer writes in again is open again, with no owner."""
    if conversation.state is not ThreadState.RESOLVED:
        return conversation
    return conversation.moved(ThreadState.OPEN, owner=None)


def summarise(
    messages: Sequence[ThreadMessage],
    *,
    budget: int = CONTEXT_BUDGET_CHARS,
    turn_limit: int = TURN_LIMIT_CHARS,
) -> tuple[tuple[Turn, ...], int]:
    """The turns of a thread that fit ``budget`` characters, and how many were left out.

    The first customer message (what the thread is about) is always kept; then the latest turns,
    newest first, as long as they fit; each turn is cut at ``turn_limit``. Deleted messages, relays
    and hand-off notices are not turns. However long the thread, the result stays within budget.
    """
    turns = [
        Turn(m.speaker, _cut(m.text, turn_limit))
        for m in messages
        if m.text and m.kind not in ("relay", "handoff", "internal_reply")
    ]
    if not turns:
        return (), 0
    first, rest = turns[0], turns[1:]
    first = Turn(first.speaker, first.text[:budget])
    left = budget - len(first.text)
    kept: list[Turn] = []
    for turn in reversed(rest):
        if len(turn.text) > left:
            break
        kept.append(turn)
        left -= len(turn.text)
    kept.reverse()
    return (first, *kept), len(rest) - len(kept)


def context_of(
    messages: Sequence[ThreadMessage], account: AccountProfile | None, *, budget: int = CONTEXT_BUDGET_CHARS
) -> ConversationContext:
    """The context a follow-up is asked in: the thread's turns within ``budget``, the account."""
    turns, omitted = summarise(messages, budget=budget)
    return ConversationContext(turns=turns, account=account, omitted=omitted)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ThreadStore(Protocol):
    """Where conversations and their messages live; every method is one transaction."""

    async def open_conversation(self, conversation: Conversation) -> Conversation:
        """Store ``conversation`` unless its thread has one already; the stored one either way
        (two processes opening the same thread get the same conversation)."""
        ...

    async def get_conversation(self, platform: str, channel: str, thread: str) -> Conversation | None: ...

    async def conversation_by_id(self, conversation_id: str) -> Conversation | None: ...

    async def conversation_by_post(self, platform: str, channel: str, post: str) -> Conversation | None:
        """The conversation whose hand-off post is ``post`` in ``channel``."""
        ...

    async def save_conversation(
        self, conversation: Conversation, *, expected: datetime | None = None
    ) -> bool:
        """Write a conversation's state, owner, participants and posts (by id); with ``expected``,
        only if the stored one was last changed then (False: another change came first)."""
        ...

    async def add_thread_message(self, message: ThreadMessage) -> bool:
        """Record a message; False when it was recorded before (a redelivered event)."""
        ...

    async def get_thread_message(self, conversation_id: str, message_id: str) -> ThreadMessage | None: ...

    async def thread_messages(
        self, conversation_id: str, *, limit: int = 500, oldest: bool = False
    ) -> list[ThreadMessage]:
        """The conversation's messages, oldest first: the latest ``limit`` (``oldest``: the first)."""
        ...

    async def edit_thread_message(
        self, platform: str, channel: str, message_id: str, text: str | None
    ) -> int:
        """A message edited (``text``) or deleted (None) in ``channel``; how many records changed."""
        ...

    async def waiting_since(self, before: datetime, *, limit: int = 200) -> list[Conversation]:
        """Conversations handed to people and waiting since before ``before`` (longest first):
        the candidates of a service-level reminder."""
        ...

    async def list_conversations(
        self, *, account: str | None = None, state: ThreadState | None = None, limit: int = 50
    ) -> list[Conversation]:
        """Conversations, most recently updated first, filtered by account and state."""
        ...
