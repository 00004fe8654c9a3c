"""Data the core passes around: knowledge items, questions, answers and learning events.

Plain dataclasses, so that every adapter (SQL, vector stores, Slack, Teams, the console) shares one
shape of the data and nothing here knows how it is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from assistant.context import ConversationContext
from assistant.weburl import web_url


def utcnow() -> datetime:
    """The current time, timezone-aware, so stored times compare across machines."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A short, readable, unique id such as ``ans_3f9a1c2b7d``."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class ItemKind(StrEnum):
    """A passage comes from an ingested document; a resolution was learned from people."""

    PASSAGE = "passage"
    RESOLUTION = "resolution"


class ItemStatus(StrEnum):
    """Only active items are ever retrieved or cited."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    RETIRED = "retired"
    FORGOTTEN = "forgotten"


class Role(StrEnum):
    """Who gave a signal: agents' signals are strong, customers' weak."""

    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"


class Signal(StrEnum):
    """Every way the assistant learns."""

    APPROVE = "approve"
    REJECT = "reject"
    CORRECT = "correct"
    RESOLVE = "resolve"
    HELPED = "helped"
    NOT_HELPED = "not_helped"
    TEACH = "teach"
    FORGET = "forget"


class Decision(StrEnum):
    """What the assistant did with a question."""

    ANSWER = "answer"
    HANDOFF = "handoff"


@dataclass(slots=True)
class FeedbackRecord:
    """How people have judged one knowledge item so far."""

    approvals: float = 0.0
    rejections: float = 0.0
    corrections: int = 0
    helped: int = 0
    not_helped: int = 0

    @property
    def net(self) -> float:
        """Approvals minus rejections, the basis of feedback re-ranking."""
        return self.approvals + 0.5 * self.helped - self.rejections - 0.5 * self.not_helped


@dataclass(slots=True)
class KnowledgeItem:
    """One retrievable unit: a passage of a document or a learned resolution.

    ``resolution_key`` groups items that give the same answer (the chunks of one article, every
    question an agent answered with the same macro); an answer rests on a key.
    ``account`` is ``None`` for global knowledge, else the only account that may see it.
    """

    id: str
    kind: ItemKind
    text: str
    resolution_key: str
    source: str
    title: str = ""
    question: str | None = None
    url: str | None = None
    account: str | None = None
    status: ItemStatus = ItemStatus.ACTIVE
    version: int = 1
    taught_by: str | None = None
    thread: str | None = None
    document_id: str | None = None
    supersedes: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    feedback: FeedbackRecord = field(default_factory=FeedbackRecord)

    def __post_init__(self) -> None:
        self.url = web_url(self.url)  # only http(s) links are ever kept (stored XSS otherwise)

    @property
    def is_title(self) -> bool:
        """A document's title standing as the question the document answers (its text is the
        document's opening passage, what an answer resting on it shows and cites)."""
        return self.kind is ItemKind.PASSAGE and self.question is not None

    @property
    def match_text(self) -> str:
        """What incoming questions are compared with: the question a resolution answers, a
        document's title for its title item, or the passage with its title."""
        if self.question:
            return self.question
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(slots=True)
class Document:
    """An ingested source file (or knowledge-base article) at one version."""

    id: str
    source: str
    title: str
    content_hash: str
    version: int = 1
    url: str | None = None
    retired: bool = False
    updated_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.url = web_url(self.url)


@dataclass(frozen=True, slots=True)
class Question:
    """A customer's question with the context that scopes what may answer it.

    ``context`` is the conversation so far and the account's profile, for a follow-up in a thread
    (``assistant.context``); None for a question asked on its own.
    """

    text: str
    account: str | None = None
    channel: str | None = None
    user: str | None = None
    thread: str | None = None
    external_id: str | None = None
    asked_at: datetime = field(default_factory=utcnow)
    context: ConversationContext | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A citation shown with an answer."""

    item_id: str
    title: str
    url: str | None
    kind: ItemKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", web_url(self.url))


@dataclass(slots=True)
class Answer:
    """What the assistant said (or drafted for a person) and why.

    ``confidence`` is the calibrated probability that the answer is right; ``decision`` says
    whether it was sent or handed off with the text as a draft.
    """

    id: str
    question_id: str
    text: str
    decision: Decision
    confidence: float
    resolution_key: str | None
    item_ids: list[str]
    sources: list[SourceRef]
    account: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    features: list[float] = field(default_factory=list)
    outcome: bool | None = None

    @property
    def handed_off(self) -> bool:
        return self.decision is Decision.HANDOFF


@dataclass(slots=True)
class LearningEvent:
    """One signal that changed what the assistant knows; undoable."""

    id: str
    signal: Signal
    actor: str
    role: Role
    effect: str
    account: str | None = None
    answer_id: str | None = None
    item_id: str | None = None
    affected_item_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    undone_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredQuestion:
    """A question as the store keeps it, for insights and deletion."""

    id: str
    text: str
    account: str | None
    channel: str | None
    user: str | None
    thread: str | None
    external_id: str | None
    asked_at: datetime
    deleted: bool = False
