"""Deliberate learning from agents' replies: a free-text reply is a candidate, not knowledge.

An agent's reply in a customer thread (after the assistant's answer or hand-off) is kept as a
``ReplyCandidate`` when ``assistant.learning.replies`` says it reads as an answer (holding replies,
questions back to the customer, notes and small talk are never kept). It is learned only when
something says it is the answer:

* an agent's explicit action on it ("Teach this", ✅ on the reply): private to the thread's account
  unless the agent chooses global;
* the customer confirming it solved their problem (✅ on the reply): private to the account;
* the conversation being resolved with it: ``ReplyLearning.promote_thread`` (the hook conversation
  state calls on resolution; it promotes the thread's latest open candidate).

Promotion is once per reply (a conditional update on the candidate) and once per answer (the same
claim that "Send draft", the correction form and earlier replies take), so double clicks, retries
and a reaction plus a button cannot teach twice. ``withdraw`` undoes a promotion (the reaction
that made it was removed).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from assistant.errors import InvalidInputError, ServiceUnavailableError
from assistant.learning.replies import ReplyKind, classify_reply, clean_reply
from assistant.models import LearningEvent, Role, Signal, utcnow

if TYPE_CHECKING:
    from assistant.conversations import ConversationStore, MessageLink
    from assistant.service import Assistant

log = logging.getLogger(__name__)

#: A candidate's event while its promotion is under way.
PROMOTING = "promoting"


def resolution_claim(answer_id: str) -> str:
    """The event id claimed when an answer's thread teaches (replies, Send draft, the correction form)."""
    return f"resolution:{answer_id}"


def correction_claim(answer_id: str, text: str, make_global: bool) -> str:
    """The event id claimed by one correction form's content: a double submit (or the same form
    submitted from two open copies) teaches once."""
    digest = hashlib.sha256(f"{make_global}:{text.strip()}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"correction:{answer_id}:{digest[:32]}"


@dataclass(frozen=True, slots=True)
class ReplyCandidate:
    """An agent's reply kept as a possible answer to the exchange ``answer_id``.

    ``signal`` is CORRECT (a reply under an answer) or RESOLVE (a reply after a hand-off);
    ``event_id`` is the learning event once it was promoted, with who promoted it.
    """

    platform: str
    channel_id: str
    message_ts: str
    thread_ts: str
    answer_id: str
    signal: Signal
    actor: str
    text: str
    created_at: datetime
    event_id: str | None = None
    promoted_by: str | None = None


class CandidateStore(Protocol):
    """Where candidates and signal marks live (the conversation store implements it)."""

    async def save_candidate(self, candidate: ReplyCandidate) -> bool:
        """Keep a candidate; False when the message was kept before (a redelivered event)."""
        ...

    async def get_candidate(
        self, platform: str, channel_id: str, message_ts: str
    ) -> ReplyCandidate | None: ...

    async def thread_candidates(self, platform: str, channel_id: str, thread_ts: str) -> list[ReplyCandidate]:
        """A thread's candidates, latest first."""
        ...

    async def swap_candidate_event(
        self,
        platform: str,
        channel_id: str,
        message_ts: str,
        *,
        expected: str | None,
        new: str | None,
        promoted_by: str | None,
    ) -> bool:
        """Set a candidate's event to ``new`` only while it is ``expected`` (a conditional update:
        of two promotions at once only one wins); True when the row changed."""
        ...

    async def record_mark(self, platform: str, mark: str, event_id: str) -> None:
        """Remember that one person's signal ``mark`` made ``event_id`` (replaces an earlier one)."""
        ...

    async def pop_mark(self, platform: str, mark: str) -> str | None:
        """The event ``mark`` made, forgetting it; None when there is none."""
        ...

    async def set_channel_orgs(self, platform: str, channel_id: str, orgs: Collection[str]) -> None:
        """Replace the organisations whose members belong to a customer channel's account."""
        ...

    async def get_channel_orgs(self, platform: str, channel_id: str) -> frozenset[str]:
        """The organisations mapped to a channel (empty: none were mapped explicitly)."""
        ...


class ReplyLearning:
    """Keeps agents' replies as candidates and promotes them on a deliberate signal."""

    def __init__(self, assistant: Assistant, conversations: ConversationStore) -> None:
        self._assistant = assistant
        self._store = conversations

    async def propose(
        self, link: MessageLink, *, message_ts: str, actor: str, text: str
    ) -> ReplyCandidate | None:
        """Keep an agent's reply in the thread of ``link`` as a candidate; None when it is not one
        (a note, a holding reply, a question, small talk) or was kept before."""
        cleaned = self._assistant.private(clean_reply(text))  # stored: redacted like questions
        kind = classify_reply(cleaned)
        if kind is not ReplyKind.ANSWER:
            log.info("reply %s in %s not kept: %s", message_ts, link.channel_id, kind.value)
            return None
        candidate = ReplyCandidate(
            platform=link.platform,
            channel_id=link.channel_id,
            message_ts=message_ts,
            thread_ts=link.thread_ts,
            answer_id=link.answer_id,
            signal=Signal.RESOLVE if link.kind == "handoff" else Signal.CORRECT,
            actor=actor,
            text=cleaned,
            created_at=utcnow(),
        )
        if not await self._store.save_candidate(candidate):
            return None
        return candidate

    async def candidate(self, platform: str, channel_id: str, message_ts: str) -> ReplyCandidate | None:
        return await self._store.get_candidate(platform, channel_id, message_ts)

    async def promote(
        self, candidate: ReplyCandidate, *, by: str, make_global: bool = False
    ) -> LearningEvent | None:
        """Teach a candidate (once): the event, or None when it or its exchange was taught before.

        The knowledge is the agent's (actor = the reply's author, Role.AGENT); ``by`` is who said it
        is the answer. Private to the exchange's account unless ``make_global``.
        """
        if classify_reply(candidate.text) is not ReplyKind.ANSWER:  # rules may have grown since
            raise InvalidInputError(
                "That reply reads as a note, a holding reply or a question; it is not taught."
            )
        key = (candidate.platform, candidate.channel_id, candidate.message_ts)
        swap = self._store.swap_candidate_event
        if not await swap(*key, expected=None, new=PROMOTING, promoted_by=by):
            return None
        claim = resolution_claim(candidate.answer_id)
        if not await self._store.claim_event(candidate.platform, claim):
            await swap(*key, expected=PROMOTING, new=None, promoted_by=None)
            return None
        try:
            event = await self._assistant.feedback(
                candidate.answer_id,
                candidate.signal,
                actor=candidate.actor,
                role=Role.AGENT,
                text=candidate.text,
                make_global=make_global,
                thread=candidate.thread_ts,
            )
        except BaseException as exc:
            await self._store.release_event(candidate.platform, claim)
            await swap(*key, expected=PROMOTING, new=None, promoted_by=None)
            if isinstance(exc, ServiceUnavailableError):
                log.info("promotion of %s failed; may be tried again", candidate.message_ts)
            raise
        await swap(*key, expected=PROMOTING, new=event.id, promoted_by=by)
        log.info("reply %s promoted by %s: %s", candidate.message_ts, by, event.id)
        return event

    async def promote_thread(
        self, platform: str, channel_id: str, thread_ts: str, *, by: str
    ) -> LearningEvent | None:
        """The conversation in a thread was resolved: teach its latest open candidate, if any
        (the hook conversation state calls on resolution)."""
        for candidate in await self._store.thread_candidates(platform, channel_id, thread_ts):
            if candidate.event_id is None:
                return await self.promote(candidate, by=by)
        return None

    async def withdraw(self, candidate: ReplyCandidate, *, event_id: str) -> bool:
        """Undo a promotion (the signal that made it was taken back): the knowledge is forgotten and
        the candidate and its exchange may be taught again. False when it was not this promotion."""
        current = await self._store.get_candidate(
            candidate.platform, candidate.channel_id, candidate.message_ts
        )
        if current is None or current.event_id != event_id or event_id == PROMOTING:
            return False
        await self._assistant.teacher.retract(event_id)
        key = (candidate.platform, candidate.channel_id, candidate.message_ts)
        await self._store.swap_candidate_event(*key, expected=event_id, new=None, promoted_by=None)
        await self._store.release_event(candidate.platform, resolution_claim(candidate.answer_id))
        return True
