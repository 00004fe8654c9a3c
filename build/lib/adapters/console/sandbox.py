"""The sandbox: a third chat adapter, in the browser, beside Slack and Teams.

It translates the sandbox page's clicks into the calls Slack's and Teams' handlers make, on the
same ``Assistant`` and ``ConversationStore``: a customer's message is ``Assistant.ask``; an
answer or a hand-off is linked to its thread (``link_message``); agents approve, reject, correct,
send a draft or take a hand-off with ``Assistant.feedback`` and ``claim_handoff``, and only the
first resolution of an exchange counts (``claim_event`` on the same key Slack uses). Nothing
here decides or learns by itself.

The two channels (a shared channel per account, one internal channel) are what the page shows;
their messages are kept in this process's memory, the learning in the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from assistant.conversations import ConversationStore
from assistant.errors import InvalidInputError, NotFoundError
from assistant.models import Answer, LearningEvent, Question, Role, Signal, new_id, utcnow
from assistant.service import Assistant

log = logging.getLogger(__name__)

PLATFORM = "console"
INTERNAL_CHANNEL = "support-internal"
MAX_EXCHANGES = 200

Author = Literal["customer", "assistant", "agent", "notice"]
Status = Literal["answered", "handoff", "taken", "resolved"]


def shared_channel(account: str) -> str:
    return f"shared-{account}"


def resolution_claim(answer_id: str) -> str:
    """The same claim Slack uses, so one reply, draft or correction resolves an exchange."""
    return f"resolution:{answer_id}"


@dataclass(slots=True)
class Post:
    """A message in the customer's thread."""

    author: Author
    text: str
    who: str
    at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class Exchange:
    """A customer's question, what the assistant did, and what agents did about it."""

    answer: Answer
    question: str
    account: str
    user: str
    thread: str
    posts: list[Post]
    status: Status
    taken_by: str | None = None
    verdict: bool | None = None
    events: list[LearningEvent] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status in ("handoff", "taken")

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"


class Sandbox:
    """Both sides of a support conversation, driven from the browser."""

    def __init__(self, *, assistant: Assistant, conversations: ConversationStore) -> None:
        self.assistant = assistant
        self.conversations = conversations
        self._exchanges: dict[str, Exchange] = {}

    def exchanges(self, scope: str | None = None) -> list[Exchange]:
        """Newest last, only those of ``scope``'s account (every account when None)."""
        return [e for e in self._exchanges.values() if scope is None or e.account == scope]

    def get(self, answer_id: str) -> Exchange:
        found = self._exchanges.get(answer_id)
        if found is None:
            raise NotFoundError("That conversation is no longer in the sandbox; ask again.")
        return found

    async def ask(self, *, account: str, user: str, text: str) -> Exchange:
        """A customer's message in the account's shared channel."""
        account = account.strip()
        if not account:
            raise InvalidInputError("Choose the account the customer belongs to.")
        channel, thread = shared_channel(account), new_id("ts")
        answer = await self.assistant.ask(
            Question(
                text=text, account=account, channel=channel, user=user, thread=thread, external_id=thread
            )
        )
        await self.conversations.link_message(
            PLATFORM, channel, thread, thread, answer.id, answer.question_id, "question"
        )
        posts = [Post("customer", text, user)]
        if answer.handed_off:
            posts.append(
                Post("notice", "I've passed this to the support team; someone will reply here.", "assistant")
            )
            await self.conversations.link_message(
                PLATFORM, INTERNAL_CHANNEL, new_id("ts"), thread, answer.id, answer.question_id, "handoff"
            )
        else:
            posts.append(Post("assistant", answer.text, "assistant"))
            await self.conversations.link_message(
                PLATFORM, channel, new_id("ts"), thread, answer.id, answer.question_id, "answer"
            )
        exchange = Exchange(
            answer=answer,
            question=text,
            account=account,
            user=user,
            thread=thread,
            posts=posts,
            status="handoff" if answer.handed_off else "answered",
        )
        self._exchanges[answer.id] = exchange
        while len(self._exchanges) > MAX_EXCHANGES:
            self._exchanges.pop(next(iter(self._exchanges)))
        log.info(
            "sandbox question %s: %s (%.2f)", answer.question_id, answer.decision.value, answer.confidence
        )
        return exchange

    # the customer's buttons

    async def verdict(self, answer_id: str, *, helped: bool) -> Exchange:
        """ "This solved it" / "I still need help" (weak signals); the latter hands off."""
        exchange = self.get(answer_id)
        if exchange.verdict is not None:
            return exchange
        signal = Signal.HELPED if helped else Signal.NOT_HELPED
        exchange.events.append(
            await self.assistant.feedback(answer_id, signal, actor=exchange.user, role=Role.CUSTOMER)
        )
        exchange.verdict = helped
        if not helped and not exchange.resolved:
            exchange.status = "handoff"
            exchange.posts.append(
                Post("notice", "Sorry about that; a person from support will follow up.", "assistant")
            )
            await self.conversations.link_message(
                PLATFORM,
                INTERNAL_CHANNEL,
                new_id("ts"),
                exchange.thread,
                answer_id,
                exchange.answer.question_id,
                "handoff",
            )
        return exchange

    # the agents' buttons

    async def approve(self, answer_id: str, *, agent: str) -> LearningEvent:
        return await self._signal(answer_id, Signal.APPROVE, agent)

    async def reject(self, answer_id: str, *, agent: str) -> LearningEvent:
        return await self._signal(answer_id, Signal.REJECT, agent)

    async def take(self, answer_id: str, *, agent: str) -> bool:
        """The first agent takes the hand-off; False when someone already has."""
        exchange = self.get(answer_id)
        if not await self.conversations.claim_handoff(answer_id, agent):
            return False
        exchange.taken_by = agent
        if exchange.status == "handoff":
            exchange.status = "taken"
        return True

    async def reply(
        self, answer_id: str, *, agent: str, text: str | None, share: bool | None = None
    ) -> LearningEvent | None:
        """An agent's answer goes to the customer's thread and is learned: the resolution of a
        hand-off (``text`` None sends the draft) or the correction of a sent answer.

        None when the exchange was already resolved by someone else.
        """
        exchange = self.get(answer_id)
        final = (text if text is not None else exchange.answer.text).strip()
        if not final:
            raise InvalidInputError("Write the answer the customer should get.")
        if not await self.conversations.claim_event(PLATFORM, resolution_claim(answer_id)):
            return None
        signal = Signal.CORRECT if exchange.status == "answered" else Signal.RESOLVE
        event = await self.assistant.feedback(
            answer_id, signal, actor=agent, role=Role.AGENT, text=final, make_global=share
        )
        exchange.events.append(event)
        exchange.status = "resolved"
        exchange.posts.append(Post("agent", final, agent))
        await self.conversations.link_message(
            PLATFORM,
            shared_channel(exchange.account),
            new_id("ts"),
            exchange.thread,
            answer_id,
            exchange.answer.question_id,
            "answer",
        )
        return event

    async def teach(
        self, *, agent: str, question: str, answer: str, account: str | None, private: bool
    ) -> LearningEvent:
        """An agent teaches a question and its answer (``/assistant teach`` in Slack)."""
        return await self.assistant.teach(
            question, answer, actor=agent, role=Role.AGENT, account=account or None, private=private
        )

    async def _signal(self, answer_id: str, signal: Signal, agent: str) -> LearningEvent:
        exchange = self.get(answer_id)
        event = await self.assistant.feedback(answer_id, signal, actor=agent, role=Role.AGENT)
        exchange.events.append(event)
        return event
