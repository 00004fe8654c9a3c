"""Reactions as signals, the same on every platform: what one person's reaction did, and undoing it.

A reaction is one person's signal on one message. On the assistant's answer it approves or rejects
(an agent's counts fully, a customer's weakly: the core weights it by role); on an agent's reply
kept as a candidate, an approve reaction says "this is the answer" and the adapter promotes it
(``ReplyLearning.promote``). Either way the learning event it made is remembered under the
reaction's *mark* (platform, channel, message, person, signal), so:

* the same reaction delivered twice (a retry, a redelivery) counts once;
* removing the reaction takes back exactly what adding it did, once, and adding it again counts again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from assistant.errors import ServiceUnavailableError
from assistant.learning.candidates import ReplyLearning
from assistant.models import LearningEvent, Role, Signal

if TYPE_CHECKING:
    from assistant.conversations import ConversationStore, MessageLink
    from assistant.service import Assistant

log = logging.getLogger(__name__)


def reaction_mark(channel_id: str, message_ts: str, user: str, signal: Signal) -> str:
    """The key one person's reaction of one kind on one message is remembered under."""
    return f"reaction:{channel_id}:{message_ts}:{user}:{signal.value}"


class Reactions:
    """Applies and takes back reactions on answers (candidates are promoted by the adapters, which
    tell the person; they record the mark here with ``remember``)."""

    def __init__(self, assistant: Assistant, conversations: ConversationStore) -> None:
        self._assistant = assistant
        self._store = conversations

    async def on_answer(
        self, platform: str, link: MessageLink, *, message_ts: str, user: str, role: Role, signal: Signal
    ) -> LearningEvent | None:
        """Apply a reaction on the assistant's answer once; None when it counted before.

        When the store fails nothing is learned and the mark is released, so a retry counts.
        """
        mark = reaction_mark(link.channel_id, message_ts, user, signal)
        if not await self._store.claim_event(platform, mark):
            return None
        try:
            event = await self._assistant.feedback(link.answer_id, signal, actor=user, role=role)
        except BaseException as exc:
            await self._store.release_event(platform, mark)
            if isinstance(exc, ServiceUnavailableError):
                log.info("reaction on %s failed; may be tried again", link.answer_id)
            raise
        await self._store.record_mark(platform, mark, event.id)
        return event

    async def remember(
        self, platform: str, *, channel_id: str, message_ts: str, user: str, signal: Signal, event_id: str
    ) -> None:
        """Remember that a reaction made ``event_id`` (a candidate promoted by it)."""
        await self._store.record_mark(platform, reaction_mark(channel_id, message_ts, user, signal), event_id)

    async def take_back(
        self, platform: str, *, channel_id: str, message_ts: str, user: str, signal: Signal
    ) -> str | None:
        """The reaction was removed: undo the event it made (a promoted candidate may then be taught
        again). The undone event's id, or None when the reaction had made nothing."""
        mark = reaction_mark(channel_id, message_ts, user, signal)
        event_id = await self._store.pop_mark(platform, mark)
        if event_id is None:
            return None
        learning = ReplyLearning(self._assistant, self._store)
        candidate = await learning.candidate(platform, channel_id, message_ts)
        if candidate is not None and candidate.event_id == event_id:
            await learning.withdraw(candidate, event_id=event_id)
        else:
            await self._assistant.teacher.retract(event_id)
        await self._store.release_event(platform, mark)
        log.info("reaction %s removed by %s: event %s undone", signal.value, user, event_id)
        return event_id
