"""Read-only queries for the web console: activity per day, learning events and learned items by
account, text search. Nothing here writes; the console changes knowledge only through the service.

Days are bucketed in Python (UTC dates), so one query serves SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage.sql import rows
from adapters.storage.sql.conversations_schema import people
from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import answers, knowledge_items, learning_events, questions
from assistant.models import Decision, ItemKind, KnowledgeItem, LearningEvent, Signal, utcnow

CORRECTING = (Signal.CORRECT.value, Signal.RESOLVE.value)
MAX_ROWS = 500


@dataclass(slots=True)
class DayActivity:
    """One day's exchanges: answered (sent), handed off, found right, corrected by an agent."""

    day: date
    answered: int = 0
    handed_off: int = 0
    correct: int = 0
    wrong: int = 0
    corrected: int = 0

    @property
    def exchanges(self) -> int:
        return self.answered + self.handed_off

    @property
    def auto_resolution_rate(self) -> float | None:
        return (self.answered - self.wrong) / self.exchanges if self.exchanges else None

    @property
    def precision(self) -> float | None:
        judged = self.correct + self.wrong
        return self.correct / judged if judged else None


@dataclass(frozen=True, slots=True)
class LearnedEntry:
    """A learning event with what tells it apart: the question, the answer it learned (or approved),
    whom it is for, where it came from, and what it replaced. Any of these may be missing (an
    event that taught no item, a question since deleted)."""

    event: LearningEvent
    question: str | None = None
    learned: str | None = None
    for_account: str | None = None
    """The learned item's account: None is every account (when ``learned`` is set)."""
    replaced: str | None = None
    about: str | None = None
    """The item an event without an item of its own judged (an approval, a rejection, a forget)."""
    channel: str | None = None
    thread: str | None = None
    actor_name: str | None = None
    """The teacher's display name, when a chat adapter met them (else only ``event.actor``)."""


def _scoped(column: Any, scope: str | None) -> ColumnElement[bool] | None:
    """Rows a viewer scoped to ``scope`` may see: its own and global ones."""
    if scope is None:
        return None
    return or_(column == scope, column.is_(None))


class ConsoleQueries:
    """The console's read-only view of the SQL store; ``close`` at the end."""

    def __init__(self, url: str) -> None:
        self._engine = connect(url)

    async def close(self) -> None:
        await self._engine.dispose()

    async def activity(
        self, *, days: int = 90, scope: str | None = None, until: datetime | None = None
    ) -> list[DayActivity]:
        """Every day with exchanges in the last ``days`` days, oldest first."""
        since = (until or utcnow()) - timedelta(days=days)
        exchange_query = select(answers.c.created_at, answers.c.decision, answers.c.outcome).where(
            answers.c.created_at >= since
        )
        event_query = select(learning_events.c.created_at).where(
            learning_events.c.created_at >= since,
            learning_events.c.undone_at.is_(None),
            learning_events.c.signal.in_(CORRECTING),
        )
        if scope is not None:
            exchange_query = exchange_query.where(answers.c.account == scope)
            event_query = event_query.where(learning_events.c.account == scope)
        by_day: dict[date, DayActivity] = {}

        def day(at: datetime) -> DayActivity:
            key = at.date()
            return by_day.setdefault(key, DayActivity(day=key))

        async with self._engine.begin() as conn:
            for created, decision, outcome in await conn.execute(exchange_query):
                bucket = day(created)
                if decision == Decision.ANSWER:
                    bucket.answered += 1
                    bucket.correct += outcome is True
                    bucket.wrong += outcome is False
                else:
                    bucket.handed_off += 1
            for (created,) in await conn.execute(event_query):
                day(created).corrected += 1
        return [by_day[key] for key in sorted(by_day)]

    async def exchanges(
        self, *, scope: str | None = None, limit: int = 500
    ) -> list[tuple[bool, bool | None]]:
        """The latest exchanges, oldest first: (answered, outcome) each (outcome None: not judged)."""
        query = (
            select(answers.c.decision, answers.c.outcome)
            .order_by(answers.c.created_at.desc(), answers.c.id)
            .limit(min(limit, 10 * MAX_ROWS))
        )
        if scope is not None:
            query = query.where(answers.c.account == scope)
        async with self._engine.begin() as conn:
            found = [
                (decision == Decision.ANSWER, outcome) for decision, outcome in await conn.execute(query)
            ]
        return list(reversed(found))

    async def learned(
        self, *, scope: str | None = None, search: str = "", limit: int = 100
    ) -> list[LearnedEntry]:
        """Learning events newest first with their question, learned text and what they replaced;
        ``search`` matches any of those texts, the effect or who taught it."""
        learned_item = knowledge_items.alias("learned_item")
        affected_item = knowledge_items.alias("affected_item")
        actor_name = (  # the teacher's display name, where a chat adapter met them (``people``)
            select(people.c.name)
            .where(people.c.user_id == learning_events.c.actor)
            .order_by(people.c.updated_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(
                learning_events,
                actor_name.label("actor_name"),
                learned_item.c.text.label("learned_text"),
                learned_item.c.question.label("learned_question"),
                learned_item.c.account.label("learned_account"),
                affected_item.c.text.label("affected_text"),
                affected_item.c.question.label("affected_question"),
                questions.c.text.label("asked_text"),
                questions.c.deleted.label("asked_deleted"),
                questions.c.channel.label("asked_channel"),
                questions.c.thread.label("asked_thread"),
            )
            .select_from(
                learning_events.outerjoin(learned_item, learned_item.c.id == learning_events.c.item_id)
                .outerjoin(affected_item, affected_item.c.id == learning_events.c.affected_item_id)
                .outerjoin(answers, answers.c.id == learning_events.c.answer_id)
                .outerjoin(questions, questions.c.id == answers.c.question_id)
            )
            .order_by(learning_events.c.created_at.desc(), learning_events.c.id)
        )
        if (condition := _scoped(learning_events.c.account, scope)) is not None:
            query = query.where(condition)
        if search:
            pattern = f"%{_escape(search)}%"
            texts = (
                learning_events.c.effect,
                learning_events.c.actor,
                actor_name,
                learned_item.c.text,
                learned_item.c.question,
                affected_item.c.text,
                questions.c.text,
            )
            query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in texts)))
        async with self._engine.begin() as conn:
            found = await conn.execute(query.limit(min(limit, MAX_ROWS)))
            return [_entry(row) for row in found]

    async def items(
        self, *, scope: str | None = None, search: str = "", learned_only: bool = True, limit: int = 100
    ) -> list[KnowledgeItem]:
        """Knowledge items newest first, with their feedback record, that the scope may see."""
        query = select(knowledge_items).order_by(knowledge_items.c.created_at.desc(), knowledge_items.c.id)
        if learned_only:
            query = query.where(knowledge_items.c.kind == ItemKind.RESOLUTION)
        if (condition := _scoped(knowledge_items.c.account, scope)) is not None:
            query = query.where(condition)
        if search:
            pattern = f"%{_escape(search)}%"
            query = query.where(
                or_(
                    knowledge_items.c.text.ilike(pattern, escape="\\"),
                    knowledge_items.c.question.ilike(pattern, escape="\\"),
                    knowledge_items.c.title.ilike(pattern, escape="\\"),
                )
            )
        async with self._engine.begin() as conn:
            found = await conn.execute(query.limit(min(limit, MAX_ROWS)))
            return [rows.item_from(row) for row in found]

    async def accounts(self) -> list[str]:
        """Every account that asked or owns knowledge, sorted."""
        query = union(
            select(questions.c.account).where(questions.c.account.is_not(None)).distinct(),
            select(knowledge_items.c.account).where(knowledge_items.c.account.is_not(None)).distinct(),
        )
        async with self._engine.begin() as conn:
            return sorted(str(value) for (value,) in await conn.execute(query))

    async def event_accounts(self, event_ids: list[str]) -> dict[str, str | None]:
        """The account of each event (to check a scoped viewer's Undo)."""
        if not event_ids:
            return {}
        query = select(learning_events.c.id, learning_events.c.account).where(
            learning_events.c.id.in_(event_ids)
        )
        async with self._engine.begin() as conn:
            return {event_id: account for event_id, account in await conn.execute(query)}


def _entry(row: Any) -> LearnedEntry:
    event = rows.event_from(row)
    asked = None if row.asked_deleted else row.asked_text
    replaced = row.affected_text if row.affected_text != row.learned_text else None
    return LearnedEntry(
        event=event,
        question=row.learned_question or asked or row.affected_question,
        learned=row.learned_text,
        for_account=row.learned_account,
        replaced=replaced if event.item_id else None,
        about=None if event.item_id else row.affected_text,
        channel=row.asked_channel,
        thread=row.asked_thread,
        actor_name=row.actor_name,
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
