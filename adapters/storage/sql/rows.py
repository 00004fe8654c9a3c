"""Translation between the core's dataclasses and rows of ``schema``'s tables.

Kept apart from the store so that the store reads as a list of transactions, and so each mapping
sits next to its inverse. The only conversions with a reason behind them:

* vectors are stored as little-endian float32 bytes and read back as a fresh, writable array;
* JSON cannot hold NaN or infinity (PostgreSQL rejects them), so non-finite confidence features
  are stored as ``null`` and read back as NaN;
* a deleted question's text is NULL in the table and ``""`` in ``StoredQuestion``, whose ``text``
  is a plain ``str``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.errors import InvalidInputError
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
    Role,
    Signal,
    SourceRef,
    StoredQuestion,
)
from assistant.ports import LearningChange

FEEDBACK_COLUMNS = ("approvals", "rejections", "corrections", "helped", "not_helped")

_VECTOR_DTYPE = np.dtype("<f4")


def document_row(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "source": document.source,
        "title": document.title,
        "content_hash": document.content_hash,
        "version": document.version,
        "url": document.url,
        "retired": document.retired,
        "updated_at": document.updated_at,
    }


def document_from(row: Any) -> Document:
    return Document(
        id=row.id,
        source=row.source,
        title=row.title,
        content_hash=row.content_hash,
        version=row.version,
        url=row.url,
        retired=bool(row.retired),
        updated_at=row.updated_at,
    )


def item_row(item: KnowledgeItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": ItemKind(item.kind).value,
        "text": item.text,
        "resolution_key": item.resolution_key,
        "source": item.source,
        "title": item.title,
        "question": item.question,
        "url": item.url,
        "account": item.account,
        "status": ItemStatus(item.status).value,
        "version": item.version,
        "taught_by": item.taught_by,
        "thread": item.thread,
        "document_id": item.document_id,
        "supersedes": item.supersedes,
        "created_at": item.created_at,
        **feedback_values(item.feedback),
    }


def item_from(row: Any) -> KnowledgeItem:
    return KnowledgeItem(
        id=row.id,
        kind=ItemKind(row.kind),
        text=row.text,
        resolution_key=row.resolution_key,
        source=row.source,
        title=row.title,
        question=row.question,
        url=row.url,
        account=row.account,
        status=ItemStatus(row.status),
        version=row.version,
        taught_by=row.taught_by,
        thread=row.thread,
        document_id=row.document_id,
        supersedes=row.supersedes,
        created_at=row.created_at,
        feedback=FeedbackRecord(
            approvals=row.approvals,
            rejections=row.rejections,
            corrections=row.corrections,
            helped=row.helped,
            not_helped=row.not_helped,
        ),
    )


def feedback_values(feedback: FeedbackRecord) -> dict[str, Any]:
    return {
        "approvals": float(feedback.approvals),
        "rejections": float(feedback.rejections),
        "corrections": int(feedback.corrections),
        "helped": int(feedback.helped),
        "not_helped": int(feedback.not_helped),
    }


def feedback_params(item_id: str, feedback: FeedbackRecord | None) -> dict[str, Any]:
    """Parameters of the item UPDATE (prefixed: SQLAlchemy reserves column names); None keeps."""
    if feedback is None:
        return {"b_id": item_id, **{f"b_{name}": None for name in FEEDBACK_COLUMNS}}
    return {"b_id": item_id, **{f"b_{name}": value for name, value in feedback_values(feedback).items()}}


def vector_row(item_id: str, vector: np.ndarray) -> dict[str, Any]:
    flat = np.asarray(vector, dtype=_VECTOR_DTYPE).reshape(-1)
    if flat.size == 0 or not np.isfinite(flat).all():
        raise InvalidInputError(f"The vector of item {item_id!r} is empty or not finite.")
    return {"item_id": item_id, "vector": flat.tobytes(), "dimension": int(flat.size)}


def vector_from(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=_VECTOR_DTYPE).astype(np.float32)


def question_row(question_id: str, question: Question) -> dict[str, Any]:
    return {
        "id": question_id,
        "external_id": question.external_id,
        "account": question.account,
        "channel": question.channel,
        "user": question.user,
        "thread": question.thread,
        "text": question.text,
        "deleted": False,
        "asked_at": question.asked_at,
    }


def question_from(row: Any) -> StoredQuestion:
    return StoredQuestion(
        id=row.id,
        text=row.text if row.text is not None else "",
        account=row.account,
        channel=row.channel,
        user=row.user,
        thread=row.thread,
        external_id=row.external_id,
        asked_at=row.asked_at,
        deleted=bool(row.deleted),
    )


def answer_row(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.id,
        "question_id": answer.question_id,
        "text": answer.text,
        "decision": Decision(answer.decision).value,
        "confidence": float(answer.confidence),
        "resolution_key": answer.resolution_key,
        "item_ids": list(answer.item_ids),
        "sources": [
            {"item_id": s.item_id, "title": s.title, "url": s.url, "kind": ItemKind(s.kind).value}
            for s in answer.sources
        ],
        "account": answer.account,
        "created_at": answer.created_at,
        "features": features_to_store(answer.features),
        "outcome": answer.outcome,
        "outcome_weight": 1.0,
        "outcome_silent": False,
    }


def answer_from(row: Any) -> Answer:
    return Answer(
        id=row.id,
        question_id=row.question_id,
        text=row.text,
        decision=Decision(row.decision),
        confidence=row.confidence,
        resolution_key=row.resolution_key,
        item_ids=list(row.item_ids),
        sources=[
            SourceRef(item_id=s["item_id"], title=s["title"], url=s["url"], kind=ItemKind(s["kind"]))
            for s in row.sources
        ],
        account=row.account,
        created_at=row.created_at,
        features=features_from(row.features),
        outcome=None if row.outcome is None else bool(row.outcome),
    )


def features_to_store(features: Sequence[float]) -> list[float | None]:
    return [value if math.isfinite(value) else None for value in map(float, features)]


def features_from(stored: list[float | None]) -> list[float]:
    return [math.nan if value is None else float(value) for value in stored]


def event_row(event: LearningEvent, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event.id,
        "signal": Signal(event.signal).value,
        "actor": event.actor,
        "role": Role(event.role).value,
        "effect": event.effect,
        "account": event.account,
        "answer_id": event.answer_id,
        "item_id": event.item_id,
        "affected_item_id": event.affected_item_id,
        "created_at": event.created_at,
        "undone_at": event.undone_at,
        "details": details,
    }


def event_from(row: Any) -> LearningEvent:
    return LearningEvent(
        id=row.id,
        signal=Signal(row.signal),
        actor=row.actor,
        role=Role(row.role),
        effect=row.effect,
        account=row.account,
        answer_id=row.answer_id,
        item_id=row.item_id,
        affected_item_id=row.affected_item_id,
        created_at=row.created_at,
        undone_at=row.undone_at,
    )


def change_details(change: LearningChange) -> dict[str, Any]:
    """What a learning change wrote, for the audit trail and for ``undo_event``.

    Only the new values: reading the old ones would cost another round trip on every signal, and
    the core computes the inverse of a change from the items as they are at undo time.
    """
    return {
        "new_item_ids": [item.id for item, _ in change.new_items],
        "status_changes": [[item_id, ItemStatus(status).value] for item_id, status in change.status_changes],
        "feedback_deltas": [[item_id, feedback_values(f)] for item_id, f in change.feedback_deltas],
        "answer_outcome": _outcome(change.answer_outcome),
    }


def _outcome(outcome: tuple[str, bool, float] | None) -> list[Any] | None:
    if outcome is None:
        return None
    answer_id, correct, weight = outcome
    return [answer_id, bool(correct), float(weight)]
