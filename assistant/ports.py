"""The seams of the core: every backing service is one of these protocols.

Adapters implement them (SQL store, embedded or Weaviate vectors, sentence-transformers, Claude);
the core depends only on this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.models import (
    Answer,
    Document,
    FeedbackRecord,
    ItemKind,
    ItemStatus,
    KnowledgeItem,
    LearningEvent,
    Question,
    StoredQuestion,
)


class Embedder(Protocol):
    """Turns texts into unit-length vectors.

    The first ``sentence_dimension`` numbers of each vector are the sentence embedding (similar
    meaning, high dot product): what the index and every similarity compare, made unit length
    again by ``retrieval.vectors.sentence_part``. Any numbers after them are an inner layer's
    features, which only the resolution head weighs.
    """

    @property
    def dimension(self) -> int: ...

    @property
    def sentence_dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What a vector store holds for one active knowledge item."""

    item_id: str
    vector: np.ndarray
    text: str
    resolution_key: str
    kind: ItemKind
    account: str | None


@dataclass(frozen=True, slots=True)
class IndexHit:
    """One search result with both halves of the hybrid score."""

    item_id: str
    resolution_key: str
    kind: ItemKind
    account: str | None
    dense: float
    lexical: float


@runtime_checkable
class VectorStore(Protocol):
    """Hybrid (BM25 + dense) search over active items, filtered to what one account may see.

    ``persistent`` is False for an in-process index that the service fills from the knowledge
    store at start; True for one that keeps its own data (Weaviate).
    """

    persistent: bool

    async def upsert(self, entries: Sequence[IndexEntry]) -> None: ...

    async def remove(self, item_ids: Sequence[str]) -> None: ...

    async def search(
        self, vector: np.ndarray, text: str, *, account: str | None, limit: int
    ) -> list[IndexHit]: ...

    async def count(self) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resolution the answer may rest on, with the item that best represents it."""

    resolution_key: str
    item: KnowledgeItem
    score: float


@dataclass(frozen=True, slots=True)
class Composition:
    """An answer's text and the items it cites."""

    text: str
    item_ids: list[str]


class Answerer(Protocol):
    """Writes the answer text from retrieved candidates only.

    ``confidential`` holds the answerer's own instructions, which an answer must never repeat
    (the output check hands off one that does); an answerer with none has an empty tuple.
    """

    name: str
    confidential: tuple[str, ...]

    async def compose(self, question: Question, candidates: Sequence[Candidate]) -> Composition: ...


@dataclass(slots=True)
class LearningChange:
    """Everything one learning signal changes, written in one transaction."""

    event: LearningEvent
    new_items: list[tuple[KnowledgeItem, np.ndarray]] = field(default_factory=list)
    status_changes: list[tuple[str, ItemStatus]] = field(default_factory=list)
    # Added to the items' counters in the store (``x = x + delta``), never computed from a read:
    # concurrent signals on one item must all count.
    feedback_deltas: list[tuple[str, FeedbackRecord]] = field(default_factory=list)
    answer_outcome: tuple[str, bool, float] | None = None


@dataclass(frozen=True, slots=True)
class ItemChanges:
    """The change feed's next page: the current state of every item changed after a cursor.

    ``items`` holds each changed item once, as it is now (any status), with its vector; ``cursor``
    is where the next read starts. Applying a page twice changes nothing. ``reload`` says the feed
    was pruned past the cursor (changes after it are gone): the reader must load everything again.
    """

    cursor: int
    items: list[tuple[KnowledgeItem, np.ndarray]]
    more: bool = False
    reload: bool = False


@dataclass(frozen=True, slots=True)
class LabelledOutcome:
    """A past answer's confidence features and whether it turned out right.

    ``answered``: the answer was sent (not handed off), so only its rightness could draw an
    approval and only its wrongness a correction. ``silent``: nobody reacted within the acceptance
    window, which says "right" only as far as the people watching correct what is wrong.
    """

    features: list[float]
    correct: bool
    weight: float
    answered: bool = False
    silent: bool = False
    #: A person's verdict on a silent answer drawn at random (a spot check), not a spontaneous one.
    spot_checked: bool = False
    #: The resolution the answer gave (None for outcomes rehearsed from imported tickets).
    resolution_key: str | None = None


class KnowledgeStore(Protocol):
    """Durable state: documents, items with their vectors, questions, answers, learning events.

    Every method is one transaction: a crash leaves either all of a change or none of it.
    """

    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    # documents and items
    async def get_document_by_source(self, source: str) -> Document | None: ...

    async def list_documents(self) -> list[Document]: ...

    async def replace_document(
        self,
        document: Document,
        items: Sequence[tuple[KnowledgeItem, np.ndarray]],
        retire_item_ids: Sequence[str],
    ) -> None: ...

    async def retire_document(self, document_id: str) -> list[str]: ...

    async def add_items(self, items: Sequence[tuple[KnowledgeItem, np.ndarray]]) -> None: ...

    async def get_items(self, item_ids: Sequence[str]) -> dict[str, KnowledgeItem]: ...

    async def active_items_for_document(self, document_id: str) -> list[KnowledgeItem]: ...

    async def list_items(
        self, *, kind: ItemKind | None = None, status: ItemStatus | None = None, limit: int = 100
    ) -> list[KnowledgeItem]: ...

    async def load_active_entries(self) -> list[tuple[KnowledgeItem, np.ndarray]]: ...

    async def replace_vectors(self, vectors: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store items' vectors made again (by item id), as the same knowledge: no change is logged."""
        ...

    async def count_items(self) -> dict[str, int]: ...

    # the change feed (several instances on one store)
    async def change_cursor(self) -> int: ...

    async def changes_since(self, cursor: int, *, limit: int = 1000) -> ItemChanges: ...

    async def prune_changes(self, before: datetime) -> int: ...

    # questions and answers
    async def save_exchange(self, question_id: str, question: Question, answer: Answer) -> None: ...

    async def get_answer(self, answer_id: str) -> Answer | None: ...

    async def get_question(self, question_id: str) -> StoredQuestion | None: ...

    async def find_question_by_external_id(self, external_id: str) -> StoredQuestion | None: ...

    async def delete_question_text(self, question_id: str) -> None: ...

    async def labelled_outcomes(self, limit: int) -> list[LabelledOutcome]: ...

    async def replace_rehearsal_outcomes(self, kind: str, outcomes: Sequence[LabelledOutcome]) -> None: ...

    async def rehearsed_outcomes(self, kind: str | None = None) -> list[LabelledOutcome]: ...

    async def set_outcomes_if_unknown(
        self, answer_ids: Sequence[str], correct: bool, weight: float, *, silent: bool = False
    ) -> int: ...

    async def unlabelled_answers_before(self, cutoff: datetime, limit: int) -> list[str]: ...

    async def message_ids(self, answer_ids: Sequence[str]) -> dict[str, str | None]: ...

    async def mark_spot_checks(self, answer_ids: Sequence[str]) -> None: ...

    async def pending_spot_checks(self, limit: int, *, answer_id: str | None = None) -> list[str]: ...

    # learning
    async def apply_learning(self, change: LearningChange) -> dict[str, FeedbackRecord]:
        """Write ``change`` at once; returns the counters of the items its deltas changed."""
        ...

    async def get_event(self, event_id: str) -> LearningEvent | None: ...

    async def list_events(self, *, limit: int = 50, include_undone: bool = False) -> list[LearningEvent]: ...

    async def undo_event(
        self,
        event_id: str,
        status_changes: Sequence[tuple[str, ItemStatus]],
        feedback_deltas: Sequence[tuple[str, FeedbackRecord]],
    ) -> dict[str, FeedbackRecord]: ...

    async def stats(self, since: datetime | None = None) -> dict[str, float]: ...
