"""``KnowledgeStore`` on SQLAlchemy Core: SQLite (aiosqlite) for one machine, PostgreSQL (asyncpg)
for scale, one schema for both.

Every public method is one transaction (``_transaction``), so a crash leaves all of a change or
none of it, and keeps to a handful of statements (``executemany`` for rows in bulk): a replay
pushes tens of thousands of exchanges and learning changes through here. Database failures leave
as the core's errors: a conflict with stored rows as ``InvalidInputError`` (nothing was written),
a broken connection as ``ServiceUnavailableError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.sql import queries, rows
from adapters.storage.sql.migrate import SQLITE_BEGIN, connect, upgrade_engine
from adapters.storage.sql.schema import (
    answers,
    documents,
    item_changes,
    item_vectors,
    knowledge_items,
    learning_events,
    questions,
    rehearsal_outcomes,
)
from assistant.errors import InvalidInputError, NotFoundError, ServiceUnavailableError
from assistant.models import (
    Answer,
    Decision,
    Document,
    FeedbackRecord,
    ItemKind,
    ItemStatus,
    KnowledgeItem,
    LearningEvent,
    Question,
    Signal,
    StoredQuestion,
    utcnow,
)
from assistant.ports import ItemChanges, LabelledOutcome, LearningChange

#: How a transaction starts on SQLite (see ``migrate``): ``read`` opens a snapshot with BEGIN;
#: ``write`` lets the first statement, which must be an INSERT, UPDATE or DELETE, begin it.
Mode = Literal["read", "write"]
_BEGIN: dict[Mode, str] = {"read": "BEGIN", "write": ""}


class SqlKnowledgeStore:
    """Durable state in a SQL database; call ``initialize`` once before use, ``close`` at the end."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self._engine = connect(url, echo=echo)
        # Engines sharing one pool; the option matters on SQLite only.
        self._engines = {
            mode: self._engine.execution_options(**{SQLITE_BEGIN: begin}) for mode, begin in _BEGIN.items()
        }

    async def initialize(self) -> None:
        """Create or upgrade the schema (idempotent); every failure here means no usable database."""
        try:
            await upgrade_engine(self._engine)
        except (DBAPIError, OSError) as exc:
            where = self._engine.url.render_as_string(hide_password=True)
            raise ServiceUnavailableError(
                f"The database at {where} could not be opened or migrated."
            ) from exc

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def _transaction(self, mode: Mode = "read") -> AsyncIterator[AsyncConnection]:
        try:
            async with self._engines[mode].begin() as connection:
                yield connection
        except (IntegrityError, DataError) as exc:
            raise InvalidInputError(
                "The change conflicts with stored data (a duplicate id, a missing reference) or holds "
                "a value the database refuses; nothing was written."
            ) from exc
        except (OperationalError, InterfaceError, OSError) as exc:
            raise ServiceUnavailableError("The database is unavailable.") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise ServiceUnavailableError("The database connection was lost.") from exc
            raise

    # documents and items

    async def get_document_by_source(self, source: str) -> Document | None:
        query = (
            select(documents)
            .where(documents.c.source == source)
            .order_by(documents.c.updated_at.desc(), documents.c.version.desc())
            .limit(1)
        )
        async with self._transaction() as conn:
            row = (await conn.execute(query)).first()
        return rows.document_from(row) if row is not None else None

    async def list_documents(self) -> list[Document]:
        async with self._transaction() as conn:
            result = await conn.execute(select(documents).order_by(documents.c.source, documents.c.version))
            return [rows.document_from(row) for row in result]

    async def replace_document(
        self,
        document: Document,
        items: Sequence[tuple[KnowledgeItem, np.ndarray]],
        retire_item_ids: Sequence[str],
    ) -> None:
        """Upsert the document, add its new chunks, and mark the old version's chunks superseded.

        Only chunks still ACTIVE are superseded: a chunk forgotten on request stays forgotten.
        """
        values = rows.document_row(document)
        insert = (postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert)(
            documents
        )
        upsert = insert.values(values).on_conflict_do_update(
            index_elements=[documents.c.id],
            set_={name: insert.excluded[name] for name in values if name != "id"},
        )
        async with self._transaction("write") as conn:
            await queries.lock_changes(conn)
            await conn.execute(upsert)
            await queries.insert_items(conn, items)
            changed = [item.id for item, _ in items]
            for chunk in queries.chunks(retire_item_ids):
                result = await conn.execute(
                    update(knowledge_items)
                    .where(knowledge_items.c.id.in_(chunk), knowledge_items.c.status == ItemStatus.ACTIVE)
                    .values(status=ItemStatus.SUPERSEDED)
                    .returning(knowledge_items.c.id)
                )
                changed.extend(result.scalars())
            await queries.log_changes(conn, changed)

    async def retire_document(self, document_id: str) -> list[str]:
        """Mark the document retired and its active items RETIRED; return those items' ids."""
        async with self._transaction("write") as conn:
            await queries.lock_changes(conn)
            found = await conn.execute(
                update(documents).where(documents.c.id == document_id).values(retired=True)
            )
            if found.rowcount == 0:
                raise NotFoundError(f"No document {document_id!r}.")
            result = await conn.execute(
                update(knowledge_items)
                .where(
                    knowledge_items.c.document_id == document_id,
                    knowledge_items.c.status == ItemStatus.ACTIVE,
                )
                .values(status=ItemStatus.RETIRED)
                .returning(knowledge_items.c.id)
            )
            retired = sorted(result.scalars())
            await queries.log_changes(conn, retired)
            return retired

    async def add_items(self, items: Sequence[tuple[KnowledgeItem, np.ndarray]]) -> None:
        if items:
            async with self._transaction("write") as conn:
                await queries.lock_changes(conn)
                await queries.insert_items(conn, items)
                await queries.log_changes(conn, [item.id for item, _ in items])

    async def replace_vectors(self, vectors: Sequence[tuple[str, np.ndarray]]) -> None:
        if vectors:
            async with self._transaction("write") as conn:
                await queries.replace_vectors(conn, vectors)

    async def get_items(self, item_ids: Sequence[str]) -> dict[str, KnowledgeItem]:
        found: dict[str, KnowledgeItem] = {}
        async with self._transaction() as conn:
            for chunk in queries.chunks(item_ids):
                result = await conn.execute(select(knowledge_items).where(knowledge_items.c.id.in_(chunk)))
                found.update((row.id, rows.item_from(row)) for row in result)
        return found

    async def active_items_for_document(self, document_id: str) -> list[KnowledgeItem]:
        query = (
            select(knowledge_items)
            .where(
                knowledge_items.c.document_id == document_id,
                knowledge_items.c.status == ItemStatus.ACTIVE,
            )
            .order_by(knowledge_items.c.created_at, knowledge_items.c.id)
        )
        async with self._transaction() as conn:
            return [rows.item_from(row) for row in await conn.execute(query)]

    async def list_items(
        self, *, kind: ItemKind | None = None, status: ItemStatus | None = None, limit: int = 100
    ) -> list[KnowledgeItem]:
        """The newest items first, optionally of one kind and status."""
        query = select(knowledge_items).order_by(knowledge_items.c.created_at.desc(), knowledge_items.c.id)
        if kind is not None:
            query = query.where(knowledge_items.c.kind == kind)
        if status is not None:
            query = query.where(knowledge_items.c.status == status)
        async with self._transaction() as conn:
            return [rows.item_from(row) for row in await conn.execute(query.limit(max(limit, 0)))]

    async def load_active_entries(self) -> list[tuple[KnowledgeItem, np.ndarray]]:
        """Every active item with its vector, in one joined query (the in-process index's start)."""
        query = (
            select(knowledge_items, item_vectors.c.vector)
            .join(item_vectors, item_vectors.c.item_id == knowledge_items.c.id)
            .where(knowledge_items.c.status == ItemStatus.ACTIVE)
            .order_by(knowledge_items.c.created_at, knowledge_items.c.id)
        )
        async with self._transaction() as conn:
            result = await conn.execute(query)
            return [(rows.item_from(row), rows.vector_from(row.vector)) for row in result]

    async def count_items(self) -> dict[str, int]:
        """Counts keyed ``"kind:status"``, every combination present (zero when none)."""
        counts = {f"{kind}:{status}": 0 for kind in ItemKind for status in ItemStatus}
        query = select(knowledge_items.c.kind, knowledge_items.c.status, func.count()).group_by(
            knowledge_items.c.kind, knowledge_items.c.status
        )
        async with self._transaction() as conn:
            for kind, status, count in await conn.execute(query):
                counts[f"{kind}:{status}"] = count
        return counts

    # the change feed

    async def change_cursor(self) -> int:
        """The newest change's number (0 for none): where an instance that just loaded starts."""
        async with self._transaction() as conn:
            return int(
                (await conn.execute(select(func.coalesce(func.max(item_changes.c.seq), 0)))).scalar_one()
            )

    async def changes_since(self, cursor: int, *, limit: int = 1000) -> ItemChanges:
        """Items changed after ``cursor``, each once, as they are now, with their vectors.

        One indexed range read when nothing changed (the common case on every ask). When the
        first change found is not the next number, the feed may have been pruned past the
        cursor: then the page says ``reload`` (a gap a rolled-back write left costs a reload).
        """
        async with self._transaction() as conn:
            found = (
                await conn.execute(
                    select(item_changes.c.seq, item_changes.c.item_id)
                    .where(item_changes.c.seq > cursor)
                    .order_by(item_changes.c.seq)
                    .limit(limit + 1)
                )
            ).all()
            more = len(found) > limit
            found = found[:limit]
            if not found:
                return ItemChanges(cursor=cursor, items=[])
            if found[0].seq > cursor + 1 and await queries.pruned_past(conn, cursor):
                return ItemChanges(cursor=cursor, items=[], reload=True)
            items: list[tuple[KnowledgeItem, np.ndarray]] = []
            for chunk in queries.chunks([row.item_id for row in found]):
                result = await conn.execute(
                    select(knowledge_items, item_vectors.c.vector)
                    .join(item_vectors, item_vectors.c.item_id == knowledge_items.c.id)
                    .where(knowledge_items.c.id.in_(chunk))
                )
                items.extend((rows.item_from(row), rows.vector_from(row.vector)) for row in result)
        return ItemChanges(cursor=int(found[-1].seq), items=items, more=more)

    async def prune_changes(self, before: datetime) -> int:
        """Forget changes logged before ``before`` (every instance synced them long ago)."""
        async with self._transaction("write") as conn:
            return await queries.prune_changes(conn, before)

    # questions and answers

    async def save_exchange(self, question_id: str, question: Question, answer: Answer) -> None:
        if answer.question_id != question_id:
            raise InvalidInputError(f"Answer {answer.id!r} belongs to another question than {question_id!r}.")
        async with self._transaction("write") as conn:
            await conn.execute(questions.insert(), rows.question_row(question_id, question))
            await conn.execute(answers.insert(), rows.answer_row(answer))

    async def get_answer(self, answer_id: str) -> Answer | None:
        async with self._transaction() as conn:
            row = (await conn.execute(select(answers).where(answers.c.id == answer_id))).first()
        return rows.answer_from(row) if row is not None else None

    async def get_question(self, question_id: str) -> StoredQuestion | None:
        return await self._one_question(questions.c.id == question_id)

    async def find_question_by_external_id(self, external_id: str) -> StoredQuestion | None:
        return await self._one_question(questions.c.external_id == external_id)

    async def _one_question(self, condition: Any) -> StoredQuestion | None:
        async with self._transaction() as conn:
            row = (await conn.execute(select(questions).where(condition))).first()
        return rows.question_from(row) if row is not None else None

    async def delete_question_text(self, question_id: str) -> None:
        """Forget what was asked everywhere it is kept (the row stays, for counts; a deleted question
        reads as ``""``): the question, the question of a resolution learned from its answer (which
        then matches on its answer's text), and the bug reports' examples quoting it."""
        async with self._transaction("write") as conn:
            result = await conn.execute(
                update(questions).where(questions.c.id == question_id).values(text=None, deleted=True)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"No question {question_id!r}.")
            answered = (
                await conn.execute(select(answers.c.id).where(answers.c.question_id == question_id))
            ).scalars()
            sources = [f"{signal.value}:{answer_id}" for answer_id in answered for signal in Signal]
            learned = (
                (
                    await conn.execute(
                        select(knowledge_items.c.id).where(
                            knowledge_items.c.source.in_(sources), knowledge_items.c.question.is_not(None)
                        )
                    )
                )
                .scalars()
                .all()
                if sources
                else []
            )
            if learned:
                await queries.lock_changes(conn)
                await conn.execute(
                    update(knowledge_items).where(knowledge_items.c.id.in_(learned)).values(question=None)
                )
                await queries.log_changes(conn, list(learned))
            await queries.forget_bug_examples(conn, question_id)

    async def labelled_outcomes(self, limit: int) -> list[LabelledOutcome]:
        """The newest ``limit`` labelled answers, returned oldest first (the calibrator's order)."""
        query = (
            select(
                answers.c.features,
                answers.c.outcome,
                answers.c.outcome_weight,
                answers.c.outcome_silent,
                answers.c.spot_check,
                answers.c.decision,
                answers.c.resolution_key,
            )
            .where(answers.c.outcome.is_not(None))
            .order_by(answers.c.created_at.desc(), answers.c.id.desc())
            .limit(max(limit, 0))
        )
        async with self._transaction() as conn:
            found = (await conn.execute(query)).all()
        return [
            LabelledOutcome(
                features=rows.features_from(row.features),
                correct=bool(row.outcome),
                weight=row.outcome_weight,
                answered=row.decision == Decision.ANSWER,
                silent=bool(row.outcome_silent),
                spot_checked=bool(row.spot_check) and not row.outcome_silent,
                resolution_key=row.resolution_key,
            )
            for row in reversed(found)
        ]

    async def replace_rehearsal_outcomes(self, kind: str, outcomes: Sequence[LabelledOutcome]) -> None:
        """Keep only these rehearsed outcomes of ``kind`` (what they were rehearsed on changed)."""
        now = utcnow()
        async with self._transaction("write") as conn:
            await conn.execute(rehearsal_outcomes.delete().where(rehearsal_outcomes.c.kind == kind))
            if outcomes:
                await conn.execute(
                    rehearsal_outcomes.insert(),
                    [
                        {
                            "kind": kind,
                            "features": rows.features_to_store(o.features),
                            "correct": o.correct,
                            "weight": o.weight,
                            "created_at": now,
                        }
                        for o in outcomes
                    ],
                )

    async def rehearsed_outcomes(self, kind: str | None = None) -> list[LabelledOutcome]:
        """The outcomes rehearsed from imported tickets (of one ``kind``, or all), oldest first."""
        query = select(rehearsal_outcomes).order_by(rehearsal_outcomes.c.id)
        if kind is not None:
            query = query.where(rehearsal_outcomes.c.kind == kind)
        async with self._transaction() as conn:
            found = (await conn.execute(query)).all()
        return [
            LabelledOutcome(
                features=rows.features_from(row.features), correct=bool(row.correct), weight=row.weight
            )
            for row in found
        ]

    async def set_outcomes_if_unknown(
        self, answer_ids: Sequence[str], correct: bool, weight: float, *, silent: bool = False
    ) -> int:
        """Label answers that have no outcome yet, in one transaction; returns how many changed.
        ``silent``: the label is silence past the acceptance window, not a person's verdict."""
        changed = 0
        async with self._transaction("write") as conn:
            for chunk in queries.chunks(answer_ids):
                result = await conn.execute(
                    update(answers)
                    .where(answers.c.id.in_(chunk), answers.c.outcome.is_(None))
                    .values(outcome=bool(correct), outcome_weight=float(weight), outcome_silent=silent)
                )
                changed += result.rowcount or 0
        return changed

    async def message_ids(self, answer_ids: Sequence[str]) -> dict[str, str | None]:
        """The chat message id (``external_id``) each answer's question came with."""
        found: dict[str, str | None] = {}
        async with self._transaction() as conn:
            for chunk in queries.chunks(answer_ids):
                query = (
                    select(answers.c.id, questions.c.external_id)
                    .join(questions, questions.c.id == answers.c.question_id)
                    .where(answers.c.id.in_(chunk))
                )
                found.update({row.id: row.external_id for row in await conn.execute(query)})
        return found

    async def mark_spot_checks(self, answer_ids: Sequence[str]) -> None:
        """Put these silent answers to a person; one labelled since keeps its verdict unchecked."""
        async with self._transaction("write") as conn:
            for chunk in queries.chunks(answer_ids):
                await conn.execute(
                    update(answers)
                    .where(answers.c.id.in_(chunk), answers.c.outcome_silent.is_(True))
                    .values(spot_check=True)
                )

    async def pending_spot_checks(self, limit: int, *, answer_id: str | None = None) -> list[str]:
        """Answers put to a person and still silent, newest first (only ``answer_id``, if given)."""
        query = (
            select(answers.c.id)
            .where(answers.c.spot_check.is_(True), answers.c.outcome_silent.is_(True))
            .order_by(answers.c.created_at.desc(), answers.c.id.desc())
            .limit(max(limit, 0))
        )
        if answer_id is not None:
            query = query.where(answers.c.id == answer_id)
        async with self._transaction() as conn:
            return list((await conn.execute(query)).scalars())

    async def unlabelled_answers_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Sent answers still without an outcome, asked before ``cutoff``, oldest first."""
        query = (
            select(answers.c.id)
            .where(
                answers.c.decision == Decision.ANSWER,
                answers.c.outcome.is_(None),
                answers.c.created_at < cutoff,
            )
            .order_by(answers.c.created_at, answers.c.id)
            .limit(max(limit, 0))
        )
        async with self._transaction() as conn:
            return list((await conn.execute(query)).scalars())

    # learning

    async def apply_learning(self, change: LearningChange) -> dict[str, FeedbackRecord]:
        """Write the event and everything it changes at once; feedback deltas are added in SQL
        (concurrent signals all count) and the counters written are returned.

        What the change wrote is kept in the event's ``details`` (see ``rows.change_details``),
        which ``undo_event`` reads to take the answer's label back.
        """
        async with self._transaction("write") as conn:
            await conn.execute(
                learning_events.insert(), rows.event_row(change.event, rows.change_details(change))
            )
            await queries.lock_changes(conn)
            await queries.insert_items(conn, change.new_items)
            await queries.update_items(conn, change.status_changes)
            written = await queries.add_feedback(conn, change.feedback_deltas)
            await queries.log_changes(
                conn,
                [item.id for item, _ in change.new_items]
                + [item_id for item_id, _ in change.status_changes]
                + [item_id for item_id, _ in change.feedback_deltas],
            )
            if change.answer_outcome is not None:
                answer_id, correct, weight = change.answer_outcome
                found = await conn.execute(
                    queries.SET_OUTCOME,
                    {"b_id": answer_id, "b_outcome": bool(correct), "b_weight": float(weight)},
                )
                if found.rowcount == 0:
                    raise NotFoundError(f"No answer {answer_id!r}.")
        return written

    async def get_event(self, event_id: str) -> LearningEvent | None:
        async with self._transaction() as conn:
            row = (
                await conn.execute(select(learning_events).where(learning_events.c.id == event_id))
            ).first()
        return rows.event_from(row) if row is not None else None

    async def list_events(self, *, limit: int = 50, include_undone: bool = False) -> list[LearningEvent]:
        """The newest events first."""
        query = select(learning_events).order_by(learning_events.c.created_at.desc(), learning_events.c.id)
        if not include_undone:
            query = query.where(learning_events.c.undone_at.is_(None))
        async with self._transaction() as conn:
            return [rows.event_from(row) for row in await conn.execute(query.limit(max(limit, 0)))]

    async def undo_event(
        self,
        event_id: str,
        status_changes: Sequence[tuple[str, ItemStatus]],
        feedback_deltas: Sequence[tuple[str, FeedbackRecord]],
    ) -> dict[str, FeedbackRecord]:
        """Mark the event undone and write the caller's inverse changes (feedback deltas added in
        SQL), all at once; returns the counters written.

        The label the event gave its answer is taken back too (``queries.restore_outcome``): the
        protocol's undo carries no outcome. Undoing an event twice is refused, so that inverse
        changes computed from stale state are never applied.
        """
        async with self._transaction("write") as conn:
            event = (
                await conn.execute(
                    update(learning_events)
                    .where(learning_events.c.id == event_id, learning_events.c.undone_at.is_(None))
                    .values(undone_at=utcnow())
                    .returning(learning_events)
                )
            ).first()
            if event is None:
                exists = await conn.execute(
                    select(learning_events.c.id).where(learning_events.c.id == event_id)
                )
                if exists.first() is None:
                    raise NotFoundError(f"No learning event {event_id!r}.")
                raise InvalidInputError(f"Learning event {event_id!r} has already been undone.")
            await queries.lock_changes(conn)
            await queries.update_items(conn, status_changes)
            written = await queries.add_feedback(conn, feedback_deltas)
            await queries.log_changes(conn, [i for i, _ in status_changes] + [i for i, _ in feedback_deltas])
            await queries.restore_outcome(conn, event)
        return written

    async def stats(self, since: datetime | None = None) -> dict[str, float]:
        """Counts and rates since ``since`` (all time when None); undefined rates are NaN.

        Rates are over exchanges (answered + handed off); ``auto_resolution_rate`` counts answers
        sent and not found wrong; ``learned_items`` counts active resolutions learned in the period.
        """
        async with self._transaction() as conn:
            return await queries.stats(conn, since)


def create_store(url: str) -> SqlKnowledgeStore:
    """A store for ``url`` (``sqlite+aiosqlite://...`` or ``postgresql+asyncpg://...``)."""
    return SqlKnowledgeStore(url)
