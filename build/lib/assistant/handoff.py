"""Hand-offs as a port: what an agent must see when the assistant is not sure, wherever agents work.

The platform a question came from (its *origin*) and the platform where agents pick hand-offs up
need not be the same: Slack and Teams share one core, so a support team that works in Slack can take
the hand-offs of Teams customers there. Three names make that possible without either adapter
knowing the other:

* ``HandoffNotice``: everything a hand-off post shows (the question, the account, the draft with its
  confidence and sources) and where the exchange lives (``HandoffOrigin``).
* ``HandoffNotifier``: posts a notice; one adapter per destination (a Teams channel, a Slack channel).
* ``HandoffReturn``: the way back. An agent on the destination platform resolves the hand-off; the
  origin platform delivers the answer to the customer's conversation and learns it, once.
* ``Relay``: a customer's new message in a conversation people own (``assistant.threads``), for
  the conversation's hand-off thread on the destination platform (``HandoffNotifier.relay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.errors import AssistantError
from assistant.models import Answer, SourceRef


class HandoffDeliveryError(AssistantError):
    """The origin platform could not be reached with an agent's answer (its service refused or is down)."""

    user_message = "The answer could not be delivered to the customer's conversation. Please try again later."


@dataclass(frozen=True, slots=True)
class HandoffOrigin:
    """Where a handed-off exchange lives, in its own platform's terms.

    ``channel`` is what channel bindings are keyed by, ``conversation`` where a reply goes and
    ``thread`` the thread's root message (all three equal in a chat); ``link`` opens the thread in
    the origin platform's client when it can be built.
    """

    platform: str
    channel: str
    conversation: str
    thread: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class HandoffNotice:
    """A question handed to a person, with the draft the assistant would have sent.

    ``handoff_channel`` is the internal channel the origin's channel binding names (in the origin
    platform), a hint for a notifier on that platform; a notifier elsewhere uses its own channel.
    ``account_name`` is the account's name for people (its profile's), ``asker`` the customer's
    display name, when known.
    """

    answer_id: str
    question_id: str
    question: str
    account: str | None
    draft: str
    confidence: float
    sources: tuple[SourceRef, ...]
    origin: HandoffOrigin
    handoff_channel: str | None = None
    account_name: str | None = None
    asker: str | None = None

    @classmethod
    def of(
        cls,
        answer: Answer,
        *,
        question: str,
        origin: HandoffOrigin,
        handoff_channel: str | None = None,
        account_name: str | None = None,
        asker: str | None = None,
    ) -> HandoffNotice:
        return cls(
            answer_id=answer.id,
            question_id=answer.question_id,
            question=question,
            account=answer.account,
            draft=answer.text,
            confidence=answer.confidence,
            sources=tuple(answer.sources),
            origin=origin,
            handoff_channel=handoff_channel,
            account_name=account_name,
            asker=asker,
        )


@dataclass(frozen=True, slots=True)
class Relay:
    """A customer's new message for the hand-off thread of a conversation people own.

    ``handoff_channel`` and ``handoff_post`` say where the conversation's hand-off thread is on the
    destination platform (None: not posted yet, the relay starts one); ``key`` names the relay
    uniquely (the origin's message), so a destination that can look for its own posts never posts
    one twice.
    """

    origin: HandoffOrigin
    key: str
    author: str
    text: str
    handoff_channel: str | None = None
    handoff_post: str | None = None


class HandoffNotifier(Protocol):
    """Posts hand-offs where agents work, and relays what customers add while people have them."""

    async def notify_handoff(self, notice: HandoffNotice) -> None:
        """Post ``notice``; raises the destination's own errors when it cannot be reached."""
        ...

    async def relay(self, relay: Relay) -> tuple[str, str] | None:
        """Post ``relay`` in the conversation's hand-off thread (or a new post); where that thread
        now is (channel, post), or None when there is nowhere to post. Raises the destination's
        own errors when it cannot be reached."""
        ...


class HandoffReturn(Protocol):
    """Delivers an agent's answer to a handed-off exchange on its origin platform."""

    async def send_answer(
        self, origin: HandoffOrigin, answer_id: str, *, text: str | None, agent: str, agent_name: str
    ) -> bool:
        """Send the draft (``text`` None) or the agent's ``text`` to the customer's conversation and
        learn it (Signal.RESOLVE); False when the exchange was resolved already. Raises
        ``NotFoundError`` when ``origin`` is not where ``answer_id`` was asked, and
        ``HandoffDeliveryError`` when the origin platform cannot be reached."""
        ...
