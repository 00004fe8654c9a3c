"""Applies learning signals: approvals, rejections, corrections, resolutions, teaching, forgetting.

Each signal becomes one ``LearningChange`` (event, new items, status and feedback changes, the
answer's outcome) that the store writes atomically, and the engine indexes at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.learning.signals import (
    IMPLICIT_ACCEPTANCE_WEIGHT,
    OUTCOME_WEIGHTS,
    feedback_delta,
    normalise_answer,
    text_resolution_key,
)
from assistant.learning.spot_checks import drawn_for_spot_check
from assistant.models import (
    Answer,
    ItemKind,
    ItemStatus,
    KnowledgeItem,
    LearningEvent,
    Role,
    Signal,
    new_id,
    utcnow,
)
from assistant.ports import KnowledgeStore, LearningChange
from assistant.retrieval.vectors import sentence_part

if TYPE_CHECKING:
    from datetime import datetime

    from assistant.service import Assistant

AGENT_ONLY = frozenset({Signal.CORRECT, Signal.RESOLVE, Signal.TEACH, Signal.FORGET})
SAME_QUESTION_SIMILARITY = 0.95
SAME_ANSWER_SIMILARITY = 0.9
LEARNED_TITLE = "Answer learned from a support agent"
MAX_ANSWER_CHARS = 20_000

_OUTCOME = {
    Signal.APPROVE: True,
    Signal.HELPED: True,
    Signal.REJECT: False,
    Signal.CORRECT: False,
    Signal.NOT_HELPED: False,
}



async def forget_target(store: KnowledgeStore, target_id: str) -> LearningEvent | KnowledgeItem:
    """The learning event or knowledge item ``forget`` would act on, or NotFoundError: a store
    lookup, so a mistyped id is refused before anything heavy is started."""
    event = await store.get_event(target_id)
    if event is not None:
        return event
    item = (await store.get_items([target_id])).get(target_id)
    if item is None:
        raise NotFoundError(f"Nothing learned has the id {target_id}.")
    return item

class Teacher:
    """Turns people's signals into knowledge changes."""

    def __init__(self, *, assistant: Assistant) -> None:
        self._assistant = assistant

    async def feedback(
        self,
        answer_id: str,
        signal: Signal,
        *,
        actor: str,
        role: Role,
        text: str | None = None,
        resolution_key: str | None = None,
        make_global: bool | None = None,
        at: datetime | None = None,
        thread: str | None = None,
    ) -> LearningEvent:
        """Apply one signal about an answer; returns the event that records it."""
        if signal in AGENT_ONLY and role is not Role.AGENT:
            raise PermissionDeniedError("Only support agents can correct or resolve answers.")
        if signal in (Signal.TEACH, Signal.FORGET):
            raise InvalidInputError(f"'{signal}' is not feedback on an answer.")
        store = self._assistant.store
        answer = await self._assistant.get_answer(answer_id)
        question = await self._assistant.get_question(answer.question_id)
        engine = self._assistant.engine
        rested = (
            (await engine.get_items(answer.item_ids[:1])).get(answer.item_ids[0]) if answer.item_ids else None
        )
        when = at or utcnow()
        event = LearningEvent(
            id=new_id("evt"),
            signal=signal,
            actor=actor,
            role=role,
            effect="",
            account=answer.account,
            answer_id=answer.id,
            created_at=when,
        )
        change = LearningChange(event=event)
        outcome = _OUTCOME.get(signal)
        if rested is not None:
            delta = feedback_delta(signal, role)
            if delta is not None:
                change.feedback_deltas.append((rested.id, delta))
            event.affected_item_id = rested.id

        new_text = None
        key = None
        account_scope = answer.account
        if signal in (Signal.CORRECT, Signal.RESOLVE):
            new_text = self._assistant.private(_clean_answer(text))
            if signal is Signal.RESOLVE:
                outcome = await self._draft_was_right(answer, new_text, resolution_key)
            key = (
                resolution_key
                or (answer.resolution_key if outcome else None)
                or text_resolution_key(new_text)
            )
            # Scope is never widened by inference: only an agent's choice, or the very text of a
            # global draft, makes an agent's words global knowledge.
            same_text = new_text == (answer.text or "").strip()
            shared = same_text and rested is not None and rested.account is None
            account_scope = None if (make_global if make_global is not None else shared) else answer.account
        elif signal is Signal.APPROVE and role is Role.AGENT and rested is not None:
            new_text = rested.text
            key = answer.resolution_key or rested.resolution_key
            account_scope = rested.account

        vector = None
        if new_text is not None and key is not None and question is not None and question.text:
            vector = (await self._assistant.embedder.embed([question.text]))[0]
            item = KnowledgeItem(
                id=new_id("kn"),
                kind=ItemKind.RESOLUTION,
                text=new_text,
                resolution_key=key,
                source=f"{signal.value}:{answer.id}",
                title=LEARNED_TITLE,
                question=question.text,
                account=account_scope,
                taught_by=actor,
                thread=thread or question.thread,
                created_at=when,
            )
            change.new_items.append((item, vector))
            event.item_id = item.id
            replaces = signal is Signal.CORRECT and rested is not None and rested.kind is ItemKind.RESOLUTION
            if replaces and rested is not None and await self._same_question(vector, rested):
                # A correction supersedes only an item of its own scope; a private correction of
                # a global item shadows it for its account alone (``RetrievalEngine``).
                item.supersedes = rested.id
                if rested.account == item.account:
                    change.status_changes.append((rested.id, ItemStatus.SUPERSEDED))

        weight = OUTCOME_WEIGHTS.get((signal, role))
        if outcome is not None and weight is not None:
            change.answer_outcome = (answer.id, outcome, weight)
        event.effect = _describe(signal, change, key)
        written = await store.apply_learning(change)
        for item_id, record in written.items():
            engine.update_feedback(item_id, record)
        await engine.index(change.new_items)
        await engine.unindex([item_id for item_id, _ in change.status_changes])
        if change.answer_outcome is not None:
            await self._assistant.outcome_recorded()
        return event

    async def teach(
        self,
        question: str,
        answer: str,
        *,
        actor: str,
        role: Role,
        account: str | None = None,
        private: bool = False,
        resolution_key: str | None = None,
        at: datetime | None = None,
    ) -> LearningEvent:
        """An agent teaches a question and its answer directly."""
        if role is not Role.AGENT:
            raise PermissionDeniedError("Only support agents can teach the assistant.")
        question = question.strip()
        if not question:
            raise InvalidInputError("The question to teach is empty.")
        if private and not account:
            raise InvalidInputError("A private answer needs the account it belongs to.")
        text = self._assistant.private(_clean_answer(answer))
        question = self._assistant.private(question)
        when = at or utcnow()
        vector = (await self._assistant.embedder.embed([question]))[0]
        item = KnowledgeItem(
            id=new_id("kn"),
            kind=ItemKind.RESOLUTION,
            text=text,
            resolution_key=resolution_key or text_resolution_key(text),
            source="teach",
            title=LEARNED_TITLE,
            question=question,
            account=account if private else None,
            taught_by=actor,
            created_at=when,
        )
        scope = f"private to {account}" if private else "for everyone"
        event = LearningEvent(
            id=new_id("evt"),
            signal=Signal.TEACH,
            actor=actor,
            role=role,
            effect=f"taught a new answer ({scope})",
            account=account,
            item_id=item.id,
            created_at=when,
        )
        await self._assistant.store.apply_learning(LearningChange(event=event, new_items=[(item, vector)]))
        await self._assistant.engine.index([(item, vector)])
        return event

    async def forget(self, target_id: str, *, actor: str, role: Role) -> LearningEvent:
        """Undo a learning event, or forget one knowledge item, by id."""
        if role is not Role.AGENT:
            raise PermissionDeniedError("Only support agents can make the assistant forget.")
        store = self._assistant.store
        item = await forget_target(store, target_id)
        if isinstance(item, LearningEvent):
            return await self._undo(item)
        if item.status is not ItemStatus.ACTIVE:
            raise InvalidInputError(f"{target_id} is already {item.status.value}.")
        forget_event = LearningEvent(
            id=new_id("evt"),
            signal=Signal.FORGET,
            actor=actor,
            role=role,
            effect="forgot a knowledge item",
            account=item.account,
            affected_item_id=item.id,
        )
        change = LearningChange(event=forget_event, status_changes=[(item.id, ItemStatus.FORGOTTEN)])
        await store.apply_learning(change)
        await self._assistant.engine.unindex([item.id])
        return forget_event

    async def retract(self, event_id: str) -> LearningEvent | None:
        """Undo an event because the signal that made it was taken back (a reaction removed);
        None when it is unknown or already undone."""
        event = await self._assistant.store.get_event(event_id)
        if event is None or event.undone_at is not None:
            return None
        return await self._undo(event)

    async def accept_silent_answers(self, *, before: datetime) -> int:
        """Answers without an objection by ``before`` count as right, marked as silence: the
        calibrator discounts it, or reads it from how often people correct (``ASSISTANT_SILENCE``),
        until the verdicts on the share of them drawn for a spot check say what it means."""
        store = self._assistant.store
        ids = await store.unlabelled_answers_before(before, 5000)
        changed = 0
        if ids:
            changed = await store.set_outcomes_if_unknown(ids, True, IMPLICIT_ACCEPTANCE_WEIGHT, silent=True)
            share = self._assistant.settings.spot_check_share
            if share > 0:
                messages = await store.message_ids(ids)
                drawn = [i for i in ids if drawn_for_spot_check(messages.get(i) or i, share)]
                if drawn:
                    await store.mark_spot_checks(drawn)
        if changed:
            await self._assistant.outcome_recorded(changed)
        return changed

    async def _undo(self, event: LearningEvent) -> LearningEvent:
        if event.undone_at is not None:
            raise InvalidInputError(f"{event.id} was already undone.")
        store = self._assistant.store
        ids = [i for i in (event.item_id, event.affected_item_id) if i]
        items = await store.get_items(ids)
        status_changes: list[tuple[str, ItemStatus]] = []
        feedback_deltas = []
        restored: list[KnowledgeItem] = []
        if event.item_id and event.item_id in items:
            status_changes.append((event.item_id, ItemStatus.FORGOTTEN))
        affected = items.get(event.affected_item_id or "")
        if affected is not None:
            superseded_here = event.signal is Signal.CORRECT and affected.status is ItemStatus.SUPERSEDED
            if superseded_here or event.signal is Signal.FORGET:
                status_changes.append((affected.id, ItemStatus.ACTIVE))
                restored.append(affected)
            delta = feedback_delta(event.signal, event.role, sign=-1)
            if delta is not None:
                feedback_deltas.append((affected.id, delta))
        written = await store.undo_event(event.id, status_changes, feedback_deltas)
        for item_id, record in written.items():
            self._assistant.engine.update_feedback(item_id, record)
        if event.item_id:
            await self._assistant.engine.unindex([event.item_id])
        if restored:
            vectors = await self._assistant.embedder.embed([item.match_text for item in restored])
            await self._assistant.engine.index(list(zip(restored, vectors, strict=True)))
        return event

    async def _draft_was_right(self, answer: Answer, reply: str, resolution_key: str | None) -> bool:
        """Whether the agent's reply after a hand-off says the draft was right."""
        if resolution_key is not None:
            return resolution_key == answer.resolution_key
        if not answer.text:
            return False
        if normalise_answer(reply) == normalise_answer(answer.text):
            return True
        embedder = self._assistant.embedder
        vectors = sentence_part(await embedder.embed([reply, answer.text]), embedder.sentence_dimension)
        return float(np.dot(vectors[0], vectors[1])) >= SAME_ANSWER_SIMILARITY

    async def _same_question(self, vector: np.ndarray, item: KnowledgeItem) -> bool:
        if not item.question:
            return False
        embedder = self._assistant.embedder
        other = (await embedder.embed([item.question]))[0]
        vectors = sentence_part(np.vstack([vector, other]), embedder.sentence_dimension)
        return float(np.dot(vectors[0], vectors[1])) >= SAME_QUESTION_SIMILARITY


def _clean_answer(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInputError("The answer text is empty.")
    if len(cleaned) > MAX_ANSWER_CHARS:
        raise InvalidInputError(
            f"The answer is {len(cleaned):,} characters long; the limit is {MAX_ANSWER_CHARS:,}."
        )
    return cleaned


def _describe(signal: Signal, change: LearningChange, key: str | None) -> str:
    parts = {
        Signal.APPROVE: "approved the answer",
        Signal.REJECT: "rejected the answer",
        Signal.CORRECT: "corrected the answer",
        Signal.RESOLVE: "resolved a hand-off",
        Signal.HELPED: "customer said it helped",
        Signal.NOT_HELPED: "customer still needed help",
    }
    text = parts.get(signal, signal.value)
    if change.new_items:
        item = change.new_items[0][0]
        scope = "for everyone" if item.account is None else f"private to {item.account}"
        text += f"; learned it for similar questions ({scope})"
    if change.status_changes:
        text += "; replaced the earlier answer"
    elif change.new_items and change.new_items[0][0].supersedes:
        item = change.new_items[0][0]
        text += f"; the shared answer is no longer given to {item.account}"
    return text
