"""The assistant: one code path for a question, whichever channel it came from.

Slack, Teams, the web console, the CLI and the replay harness all call this class; it ranks
knowledge, decides between answering and handing off, records the exchange, and applies every
learning signal so the next similar question gets the better answer at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from assistant.answering.calibration import Calibrator
from assistant.answering.offline import OfflineAnswerer
from assistant.answering.output_check import check_output
from assistant.answering.visible import visible_text
from assistant.config import Settings
from assistant.errors import NotFoundError, ServiceUnavailableError
from assistant.learning.rehearsal import (
    ANSWERED,
    HANDED_OFF,
    REHEARSAL_SAMPLE,
    rehearse,
    rehearse_handed_off,
)
from assistant.learning.spot_checks import SpotCheck
from assistant.learning.teacher import Teacher
from assistant.limits import checked_question_text
from assistant.models import (
    Answer,
    Decision,
    KnowledgeItem,
    LearningEvent,
    Question,
    Role,
    Signal,
    SourceRef,
    StoredQuestion,
    new_id,
)
from assistant.ports import Answerer, Candidate, Composition, Embedder, KnowledgeStore, VectorStore
from assistant.privacy.redaction import redact
from assistant.retrieval.engine import RetrievalEngine
from assistant.retrieval.ranking import Ranking

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Assessment:
    """How the assistant judges a question before anything is written."""

    ranking: Ranking
    items: dict[str, KnowledgeItem]
    confidence: float
    decision: Decision


CALIBRATION_HISTORY = 5000
CALIBRATION_REFIT_EVERY = 50
CALIBRATION_REFIT_SHARE = 0.05
RECENT_EXCHANGES = 2000


class Assistant:
    """Answers, hands off and learns; the facade every adapter talks to."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: KnowledgeStore,
        vectors: VectorStore,
        embedder: Embedder,
        answerer: Answerer | None = None,
        background_refit: bool = True,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.answerer: Answerer = answerer or OfflineAnswerer()
        self._fallback = OfflineAnswerer()
        self.engine = RetrievalEngine(
            store=store,
            vectors=vectors,
            dimension=embedder.dimension,
            limit=settings.retrieval_limit,
            background_refit=background_refit,
            sync_seconds=settings.sync_seconds,
            sentence_dimension=embedder.sentence_dimension,
            reembed=embedder.embed,
        )
        self.calibrator = Calibrator(
            target_precision=settings.target_precision,
            novelty_quantile=settings.novelty_quantile,
            estimate_silence=settings.silence == "estimated",
        )
        self.teacher = Teacher(assistant=self)
        self._recent: OrderedDict[str, tuple[Answer, StoredQuestion]] = OrderedDict()
        self._outcomes_since_fit = 0
        self._last_sweep: datetime | None = None
        self._last_sync = time.monotonic()

    async def start(self, *, defer_fit: bool = False) -> None:
        """Open the store, load the index and the calibration learned so far; ``defer_fit`` leaves
        the resolution head unfitted until the first question is ranked (commands that never rank)."""
        await self.store.initialize()
        await self.engine.load(defer_fit=defer_fit)
        await self.refit_calibration()

    async def close(self) -> None:
        await self.engine.close()
        await self.store.close()

    def private(self, text: str) -> str:
        """``text`` as it may be stored: personal data redacted (``redact_personal_data``, on by
        default). Every text a person wrote goes through here before it is stored or learned."""
        return redact(text) if self.settings.redact_personal_data else text

    async def ask(self, question: Question) -> Answer:
        """Answer a customer's question, or draft an answer and hand it to a person."""
        text = checked_question_text(question.text, max_chars=self.settings.max_question_chars)
        text = self.private(text)
        context = question.context
        if context is not None and self.settings.redact_personal_data:
            turns = tuple(replace(turn, text=self.private(turn.text)) for turn in context.turns)
            context = replace(context, turns=turns)
        question = replace(question, text=text, context=context)
        await self._sweep_silent_answers(question.asked_at)
        await self.sync()
        assessment = await self._assess_in_context(question)
        ranking, items, confidence = assessment.ranking, assessment.items, assessment.confidence
        decision = assessment.decision
        features = ranking.features

        candidates = [
            Candidate(resolution_key=c.resolution_key, item=items[c.item_id], score=c.score)
            for c in ranking.candidates[:3]
        ]
        composition = None
        if candidates:
            try:
                composition = await self.answerer.compose(question, candidates)
            except ServiceUnavailableError as exc:
                log.warning(
                    "answerer %s failed (%s); using the offline answer",
                    self.answerer.name,
                    type(exc).__name__,
                )
                composition = await self._fallback.compose(question, candidates)
        withheld = False
        if composition is not None:
            composition, withheld = await self._checked(question, candidates, composition)
        answer_text = composition.text if composition else ""
        cited = [items[i] for i in (composition.item_ids if composition else []) if i in items]
        answer = Answer(
            id=new_id("ans"),
            question_id=new_id("q"),
            text=answer_text,
            decision=decision if answer_text and not withheld else Decision.HANDOFF,
            confidence=round(confidence, 4),
            resolution_key=ranking.best.resolution_key if ranking.best else None,
            item_ids=[item.id for item in cited],
            sources=[SourceRef(item_id=i.id, title=i.title, url=i.url, kind=i.kind) for i in cited],
            account=question.account,
            created_at=question.asked_at,
            features=features,
        )
        await self.store.save_exchange(answer.question_id, question, answer)
        self._remember(answer, question)
        return answer

    async def _assess_in_context(self, question: Question) -> Assessment:
        """The assessment of a question; a follow-up is ranked on its own and with the thread
        and account around it (``ConversationContext.retrieval_text``), and the more confident
        ranking wins: "what about on the Pro plan?" needs the thread, a new question in an old
        thread does not. A ranking the calibrator would answer from beats one it would not."""
        alone = await self.assess(question.text, question.account)
        context = question.context
        if context is None or context.empty:
            return alone
        searched = context.retrieval_text(question.text)
        if searched == question.text:
            return alone
        within = await self.assess(searched, question.account)

        def preferred(assessment: Assessment) -> tuple[bool, float]:
            return assessment.decision is Decision.ANSWER, assessment.confidence

        return within if preferred(within) > preferred(alone) else alone

    async def _checked(
        self, question: Question, candidates: list[Candidate], composition: Composition
    ) -> tuple[Composition | None, bool]:
        """The composition if it passes the output check; else a hand-off (True) with the offline
        draft for the agent when that passes, or no draft."""
        allowed = [c.item for c in candidates]
        # What is checked is what is posted: the text as a chat client will show it.
        composition = Composition(text=visible_text(composition.text), item_ids=composition.item_ids)
        verdict = check_output(
            composition, allowed, account=question.account, confidential=self.answerer.confidential
        )
        if verdict.ok:
            return composition, False
        log.warning("answer withheld, handed off: it %s", "; ".join(verdict.problems))
        draft = await self._fallback.compose(question, candidates)
        draft = Composition(text=visible_text(draft.text), item_ids=draft.item_ids)
        return (draft if check_output(draft, allowed, account=question.account).ok else None), True

    async def sync(self, *, force: bool = False) -> int:
        """Catch up with what other instances wrote, at most every ``sync_seconds``."""
        now = time.monotonic()
        if not force and now - self._last_sync < self.settings.sync_seconds:
            return 0
        self._last_sync = now
        return await self.engine.sync()

    async def assess(self, text: str, account: str | None) -> Assessment:
        """Rank and judge a question without recording anything (replay checkpoints, previews)."""
        vector = (await self.embedder.embed([text]))[0]
        ranking, items = await self.engine.rank(vector, text, account)
        best = ranking.best
        confidence = self.calibrator.probability(ranking.features, best.resolution_key) if best else 0.0
        answer = best is not None and self.calibrator.should_answer(
            confidence, ranking.features, best.resolution_key
        )
        return Assessment(
            ranking=ranking,
            items=items,
            confidence=confidence,
            decision=Decision.ANSWER if answer else Decision.HANDOFF,
        )

    async def feedback(self, answer_id: str, signal: Signal, **kwargs: Any) -> LearningEvent:
        """Apply a person's signal about an answer (see Teacher.feedback)."""
        return await self.teacher.feedback(answer_id, signal, **kwargs)

    async def teach(self, question: str, answer: str, **kwargs: Any) -> LearningEvent:
        """An agent teaches a question and its answer (see Teacher.teach)."""
        return await self.teacher.teach(question, answer, **kwargs)

    async def forget(self, target_id: str, *, actor: str, role: Role) -> LearningEvent:
        """Undo a learning event or forget an item by id."""
        return await self.teacher.forget(target_id, actor=actor, role=role)

    async def learned(self, *, limit: int = 50, include_undone: bool = False) -> list[LearningEvent]:
        """What was learned, newest first."""
        return await self.store.list_events(limit=limit, include_undone=include_undone)

    async def spot_checks(self, *, limit: int = 20, answer_id: str | None = None) -> list[SpotCheck]:
        """Silent answers drawn for a person to judge, newest first (just ``answer_id`` if it is
        waiting); a verdict is ``feedback``."""
        checks = []
        for waiting in await self.store.pending_spot_checks(limit, answer_id=answer_id):
            answer = await self.get_answer(waiting)
            checks.append(SpotCheck(answer=answer, question=await self.get_question(answer.question_id)))
        return checks

    async def get_answer(self, answer_id: str) -> Answer:
        """An answer by id (recent ones from memory: feedback usually follows within minutes)."""
        recent = self._recent.get(answer_id)
        if recent is not None:
            return recent[0]
        answer = await self.store.get_answer(answer_id)
        if answer is None:
            raise NotFoundError(f"No answer has the id {answer_id}.")
        return answer

    async def get_question(self, question_id: str) -> StoredQuestion | None:
        for answer, question in reversed(self._recent.values()):
            if answer.question_id == question_id:
                return question
        return await self.store.get_question(question_id)

    async def delete_question(self, question_id: str) -> None:
        """Delete a question's stored text (the customer deleted the message)."""
        await self.store.delete_question_text(question_id)
        for answer_id, (answer, _) in list(self._recent.items()):
            if answer.question_id == question_id:
                del self._recent[answer_id]

    def _remember(self, answer: Answer, question: Question) -> None:
        self._recent[answer.id] = (
            answer,
            StoredQuestion(
                id=answer.question_id,
                text=question.text,
                account=question.account,
                channel=question.channel,
                user=question.user,
                thread=question.thread,
                external_id=question.external_id,
                asked_at=question.asked_at,
            ),
        )
        while len(self._recent) > RECENT_EXCHANGES:
            self._recent.popitem(last=False)

    async def outcome_recorded(self, count: int = 1) -> None:
        """Refit calibration as outcomes accumulate: often at first, then every few percent."""
        self._outcomes_since_fit += count
        due = max(CALIBRATION_REFIT_EVERY, CALIBRATION_REFIT_SHARE * self.calibrator.state.outcomes)
        if self._outcomes_since_fit >= due:
            await self.refit_calibration()

    async def refit_calibration(self) -> None:
        """Fit confidence on the latest outcomes; until the deployment's own outnumber those
        rehearsed from its imported tickets, on both (a fresh install answers from day one)."""
        outcomes = await self.store.labelled_outcomes(CALIBRATION_HISTORY)
        rehearsed = await self.store.rehearsed_outcomes()
        on_rehearsal = len(outcomes) < len(rehearsed)
        chosen = rehearsed + outcomes if on_rehearsal else outcomes
        # Off the event loop: reading silence and choosing the pull take tens of milliseconds.
        await asyncio.to_thread(self.calibrator.fit, chosen, rehearsed=on_rehearsal)
        self._outcomes_since_fit = 0

    async def rehearse(self, handed_off: Sequence[tuple[str, str | None]] = ()) -> int:
        """Rehearse the imported tickets against what is known now (``learning.rehearsal``), add
        the newly imported tickets a person had to handle (``handed_off``: question and account),
        and refit; called when the knowledge changes. Returns how many outcomes there are now."""
        await self.engine.settled()
        answered = await rehearse(self.engine, self.embedder)
        await self.store.replace_rehearsal_outcomes(ANSWERED, answered)
        kept = await self.store.rehearsed_outcomes(HANDED_OFF)
        if handed_off:
            new = await rehearse_handed_off(self.engine, self.embedder, handed_off)
            kept = (kept + new)[-REHEARSAL_SAMPLE:]
            await self.store.replace_rehearsal_outcomes(HANDED_OFF, kept)
        await self.refit_calibration()
        return len(answered) + len(kept)

    async def _sweep_silent_answers(self, now: datetime) -> None:
        """Answers nobody objected to within the acceptance window count as weakly right."""
        window = timedelta(hours=self.settings.implicit_acceptance_hours)
        if self._last_sweep is not None and now - self._last_sweep < window / 4:
            return
        self._last_sweep = now
        await self.teacher.accept_silent_answers(before=now - window)
