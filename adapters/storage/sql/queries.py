"""Statements the store's transactions are built from, where one transaction needs several.

Each helper takes an open connection and never commits: the store decides what one transaction
holds. Bulk rows go through ``executemany`` in one statement, because on SQLite every statement
is a round trip to aiosqlite's worker thread, and that round trip, not SQLite, is the cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Float, Integer, String, bindparam, case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.sql import rows
from adapters.storage.sql.insights_schema import bug_reports
from adapters.storage.sql.schema import (
    answers,
    item_changes,
    item_vectors,
    knowledge_items,
    learning_events,
    questions,
)
from assistant.models import Decision, FeedbackRecord, ItemKind, ItemStatus, KnowledgeItem, Signal, utcnow

CHUNK = 500  # ids per IN (...) list, well below SQLite's and asyncpg's parameter limits

_UPDATABLE = {
    "status": String,
    "approvals": Float,
    "rejections": Float,
    "corrections": Integer,
    "helped": Integer,
    "not_helped": Integer,
}

# One UPDATE for status changes and feedback updates alike: a NULL parameter keeps the column.
_UPDATE_ITEM = (
    update(knowledge_items)
    .where(knowledge_items.c.id == bindparam("b_id"))
    .values(
        {
            name: func.coalesce(bindparam(f"b_{name}", type_=type_), knowledge_items.c[name])
            for name, type_ in _UPDATABLE.items()
        }
    )
)

SET_OUTCOME = (
    update(answers)
    .where(answers.c.id == bindparam("b_id"))
    .values(outcome=bindparam("b_outcome"), outcome_weight=bindparam("b_weight"), outcome_silent=False)
)


#: The PostgreSQL advisory lock every item-changing transaction takes first (see ``lock_changes``).
CHANGE_LOCK = 7461023952


async def lock_changes(conn: AsyncConnection) -> None:
    """Serialise item-changing transactions on PostgreSQL, so change numbers follow commit order.

    A sequence hands out numbers at insert time, not at commit: without the lock, a reader could
    see change 6 committed before 5 and skip 5 for ever. The lock is released at commit. SQLite
    needs nothing (one writer at a time), and the statement would start its transaction wrongly.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SELECT pg_advisory_xact_lock({CHANGE_LOCK})"))


async def log_changes(conn: AsyncConnection, item_ids: Sequence[str]) -> None:
    """Append the changed items to the change feed (after ``lock_changes``, in one transaction)."""
    unique = list(dict.fromkeys(item_ids))
    if unique:
        now = utcnow()
        await conn.execute(item_changes.insert(), [{"item_id": i, "changed_at": now} for i in unique])


async def prune_changes(conn: AsyncConnection, before: datetime) -> int:
    """Delete the feed's oldest changes, logged before ``before``; returns how many went.

    Only a prefix of the feed goes (every change numbered up to the newest old one), so a reader
    can tell it missed changes by the first number left (see ``pruned_past``). The newest change
    always stays: on SQLite the numbers would otherwise start again from 1 in an empty table.
    The oldest change is read first (by its number, indexed): when it is recent, as on most
    calls, the table is not scanned (``changed_at`` has no index).
    """
    oldest = (
        await conn.execute(select(item_changes.c.changed_at).order_by(item_changes.c.seq).limit(1))
    ).scalar_one_or_none()
    if oldest is None or oldest >= before:
        return 0
    old = (
        await conn.execute(select(func.max(item_changes.c.seq)).where(item_changes.c.changed_at < before))
    ).scalar_one()
    newest = (await conn.execute(select(func.max(item_changes.c.seq)))).scalar_one()
    if old is None or newest is None:
        return 0
    result = await conn.execute(item_changes.delete().where(item_changes.c.seq <= min(old, newest - 1)))
    return result.rowcount or 0


async def pruned_past(conn: AsyncConnection, cursor: int) -> bool:
    """Whether changes numbered after ``cursor`` were pruned (the reader must reload)."""
    first = (await conn.execute(select(func.min(item_changes.c.seq)))).scalar_one()
    return first is not None and first > cursor + 1


def chunks(ids: Sequence[str]) -> list[list[str]]:
    """Unique ids in slices short enough for one ``IN (...)``."""
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + CHUNK] for start in range(0, len(unique), CHUNK)]


async def insert_items(conn: AsyncConnection, items: Sequence[tuple[KnowledgeItem, np.ndarray]]) -> None:
    if items:
        vector_rows = [rows.vector_row(item.id, vector) for item, vector in items]  # may refuse a vector
        await conn.execute(knowledge_items.insert(), [rows.item_row(item) for item, _ in items])
        await conn.execute(item_vectors.insert(), vector_rows)


_UPDATE_VECTOR = (
    update(item_vectors)
    .where(item_vectors.c.item_id == bindparam("b_item_id"))
    .values(vector=bindparam("b_vector"), dimension=bindparam("b_dimension"))
)


async def replace_vectors(conn: AsyncConnection, vectors: Sequence[tuple[str, np.ndarray]]) -> None:
    """Overwrite items' stored vectors, one row of parameters per item."""
    if vectors:
        params = [
            {f"b_{name}": value for name, value in rows.vector_row(item_id, vector).items()}
            for item_id, vector in vectors
        ]
        await conn.execute(_UPDATE_VECTOR, params)


async def update_items(conn: AsyncConnection, status_changes: Sequence[tuple[str, ItemStatus]]) -> None:
    """Set statuses, one row of parameters per item."""
    params: dict[str, dict[str, Any]] = {}
    for item_id, status in status_changes:
        params.setdefault(item_id, rows.feedback_params(item_id, None))["b_status"] = ItemStatus(status).value
    if params:
        await conn.execute(_UPDATE_ITEM, list(params.values()))


def _added(column: Any, delta: float) -> Any:
    """``column + delta`` in SQL, never below zero (an undo after a concurrent undo)."""
    total = column + delta
    return case((total < 0, 0), else_=total)


async def add_feedback(
    conn: AsyncConnection, deltas: Sequence[tuple[str, FeedbackRecord]]
) -> dict[str, FeedbackRecord]:
    """Add each delta to its item's counters in one atomic UPDATE (``x = x + :d``): two signals
    on one item at once both count, whatever each read before. Returns the counters written."""
    written: dict[str, FeedbackRecord] = {}
    columns = [knowledge_items.c[name] for name in rows.FEEDBACK_COLUMNS]
    for item_id, delta in deltas:
        values = rows.feedback_values(delta)
        statement = (
            update(knowledge_items)
            .where(knowledge_items.c.id == item_id)
            .values({name: _added(knowledge_items.c[name], values[name]) for name in rows.FEEDBACK_COLUMNS})
            .returning(*columns)
        )
        row = (await conn.execute(statement)).first()
        if row is not None:
            written[item_id] = FeedbackRecord(**dict(zip(rows.FEEDBACK_COLUMNS, row, strict=True)))
    return written


async def forget_bug_examples(conn: AsyncConnection, question_id: str) -> int:
    """Drop the examples quoting a deleted question from every bug report; how many reports changed.

    Reports are few (one per open bug), so they are filtered here rather than with each database's
    JSON operators."""
    changed = 0
    for report_id, examples in (await conn.execute(select(bug_reports.c.id, bug_reports.c.examples))).all():
        kept = [
            e for e in examples or [] if not (isinstance(e, dict) and e.get("question_id") == question_id)
        ]
        if len(kept) != len(examples or []):
            await conn.execute(update(bug_reports).where(bug_reports.c.id == report_id).values(examples=kept))
            changed += 1
    return changed


async def restore_outcome(conn: AsyncConnection, event: Any) -> None:
    """Take back the label ``event`` (a learning_events row) gave its answer.

    The newest other live event's label wins; with none, the answer is unlabelled again and
    implicit acceptance may label it later. A label given after ``event`` stands.
    """
    labelled = (event.details or {}).get("answer_outcome")
    if labelled is None:
        return
    answer_id = labelled[0]
    others = await conn.execute(
        select(learning_events.c.created_at, learning_events.c.details)
        .where(
            learning_events.c.answer_id == answer_id,
            learning_events.c.undone_at.is_(None),
            learning_events.c.id != event.id,
        )
        .order_by(learning_events.c.created_at.desc(), learning_events.c.id.desc())
    )
    outcome, weight = None, 1.0
    for created_at, details in others:
        other = (details or {}).get("answer_outcome")
        if other is not None and other[0] == answer_id:
            if created_at > event.created_at:
                return
            _, outcome, weight = other
            break
    await conn.execute(SET_OUTCOME, {"b_id": answer_id, "b_outcome": outcome, "b_weight": weight})


def _total(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def stats(conn: AsyncConnection, since: datetime | None) -> dict[str, float]:
    """See ``SqlKnowledgeStore.stats``: four aggregate queries, one per table."""
    sent = answers.c.decision == Decision.ANSWER
    exchange_query = select(
        _total(sent),
        _total(answers.c.decision == Decision.HANDOFF),
        _total(sent & answers.c.outcome.is_(True)),
        _total(sent & answers.c.outcome.is_(False)),
    )
    question_query = select(func.count()).select_from(questions)
    signals = (Signal.CORRECT, Signal.APPROVE, Signal.REJECT)
    event_query = (
        select(learning_events.c.signal, func.count())
        .where(learning_events.c.undone_at.is_(None), learning_events.c.signal.in_(signals))
        .group_by(learning_events.c.signal)
    )
    learned_query = select(func.count()).where(
        knowledge_items.c.kind == ItemKind.RESOLUTION, knowledge_items.c.status == ItemStatus.ACTIVE
    )
    if since is not None:
        exchange_query = exchange_query.where(answers.c.created_at >= since)
        question_query = question_query.where(questions.c.asked_at >= since)
        event_query = event_query.where(learning_events.c.created_at >= since)
        learned_query = learned_query.where(knowledge_items.c.created_at >= since)

    answered, handed_off, correct, wrong = (await conn.execute(exchange_query)).one()
    asked = (await conn.execute(question_query)).scalar_one()
    by_signal = {signal: count for signal, count in await conn.execute(event_query)}
    learned = (await conn.execute(learned_query)).scalar_one()
    exchanges = answered + handed_off
    return {
        "questions": asked,
        "answered": answered,
        "handed_off": handed_off,
        "correct": correct,
        "wrong": wrong,
        "corrections": by_signal.get(Signal.CORRECT, 0),
        "approvals": by_signal.get(Signal.APPROVE, 0),
        "rejections": by_signal.get(Signal.REJECT, 0),
        "learned_items": learned,
        "auto_resolution_rate": (answered - wrong) / exchanges if exchanges else math.nan,
        "precision": correct / (correct + wrong) if correct + wrong else math.nan,
        "handoff_rate": handed_off / exchanges if exchanges else math.nan,
    }
