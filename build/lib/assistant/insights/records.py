"""The insights layer's input and its durable state, and the store protocol that provides them.

``ConversationRecord`` is one customer message with what happened to it (answered or handed off,
whether the answer was right, what the customer and the agent said next); every analysis in this
package is a pure function of a list of them. ``InsightSource`` is what a store implements
(``adapters.storage.sql.insights``): the records of a time range, the bug reports, engineers'
labels, the stored classifier and the once-per-period claims of scheduled jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import numpy as np

from assistant.models import Decision


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One customer question and its fate.

    ``outcome`` is whether the sent answer was right (None: not known, or handed off);
    ``corrected`` says an agent corrected it; ``agent_reply`` is what an agent answered (a
    correction or the reply to a hand-off); ``link`` points at the message in its chat platform
    and ``external_id`` is that platform's id of it as stored (channel and ts; conversation and
    activity).
    """

    question_id: str
    text: str
    account: str | None
    asked_at: datetime
    decision: Decision
    channel: str | None = None
    user: str | None = None
    confidence: float = 0.0
    resolution_key: str | None = None
    outcome: bool | None = None
    helped: int = 0
    not_helped: int = 0
    corrected: bool = False
    agent_reply: str | None = None
    link: str | None = None
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)
    external_id: str | None = None

    @property
    def handed_off(self) -> bool:
        return self.decision is Decision.HANDOFF

    @property
    def answered(self) -> bool:
        return self.decision is Decision.ANSWER


class MessageLabel(StrEnum):
    """What a message is, for the message classifier."""

    BUG = "bug"
    FEATURE = "feature"
    QUESTION = "question"
    OTHER = "other"


class BugStatus(StrEnum):
    """A bug report's state: open until an engineer labels it."""

    OPEN = "open"
    BUG = "bug"
    NOT_BUG = "not_bug"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A customer message quoted in a report: a bug's example, a spike's, a theme's."""

    question_id: str
    text: str
    account: str | None
    asked_at: datetime
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A message behind a digest claim, so that a lead can check the claim in one click."""

    question_id: str
    external_id: str | None
    account: str | None
    permalink: str | None


#: How many messages a digest item lists as its evidence, at most.
EVIDENCE_LIMIT = 25


def evidence_of(records: Sequence[ConversationRecord], limit: int = EVIDENCE_LIMIT) -> list[Evidence]:
    """The evidence of a claim: its messages, newest first, one per message, at most ``limit``.

    Accounts are interleaved so that the first few links show the claim's breadth.
    """
    ordered = sorted(records, key=lambda r: (r.asked_at, r.question_id), reverse=True)
    by_account: dict[str | None, list[ConversationRecord]] = {}
    for record in ordered:
        by_account.setdefault(record.account, []).append(record)
    chosen: list[ConversationRecord] = []
    seen: set[str] = set()
    while len(chosen) < limit and any(by_account.values()):
        for queue in by_account.values():
            if queue and len(chosen) < limit:
                record = queue.pop(0)
                if record.question_id not in seen:
                    seen.add(record.question_id)
                    chosen.append(record)
    return [Evidence(r.question_id, r.external_id, r.account, r.link) for r in chosen]


@dataclass(slots=True)
class BugReport:
    """A likely bug: several customers reporting the same unexpected behaviour.

    ``signature`` is the unit mean embedding of its messages, what later messages are matched
    against so that one bug is reported once and then updated; ``question_ids`` are every message
    counted so far (``count`` is their number); ``version`` grows with each update.
    """

    id: str
    title: str
    symptom: str
    keywords: list[str]
    examples: list[MessageRef]
    accounts: list[str]
    first_seen: datetime
    last_seen: datetime
    question_ids: list[str]
    signature: np.ndarray = field(repr=False)
    status: BugStatus = BugStatus.OPEN
    duplicate_of: str | None = None
    labelled_by: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def count(self) -> int:
        return len(self.question_ids)


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    """A message an engineer (or a bug verdict) labelled, for training the classifier."""

    question_id: str
    text: str
    label: MessageLabel
    actor: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A persisted model: its bytes and what it was trained on."""

    name: str
    payload: bytes
    meta: dict[str, object]
    trained_at: datetime


class InsightSource(Protocol):
    """Durable data of the insights layer; every method is one transaction."""

    async def conversation_records(self, since: datetime, until: datetime) -> list[ConversationRecord]:
        """Questions asked in [since, until), oldest first, with embeddings when available."""
        ...

    async def latest_question_at(self) -> datetime | None:
        """When the newest stored question was asked (None for an empty store)."""
        ...

    async def account_first_seen(self) -> dict[str, datetime]:
        """When each account asked its first stored question (an account's age)."""
        ...

    async def bug_reports(self, *, statuses: tuple[BugStatus, ...] | None = None) -> list[BugReport]: ...

    async def get_bug_report(self, bug_id: str) -> BugReport | None: ...

    async def save_bug_report(self, report: BugReport) -> None:
        """Insert or replace the report (keyed by id)."""
        ...

    async def save_labels(self, question_ids: Sequence[str], label: MessageLabel, actor: str) -> None:
        """Label stored messages; a message's newest label replaces its earlier one."""
        ...

    async def labelled_messages(self) -> list[LabelledMessage]:
        """Every label with its message's text (deleted messages left out)."""
        ...

    async def load_model(self, name: str) -> StoredModel | None: ...

    async def save_model(self, model: StoredModel) -> None: ...

    async def claim_job_run(self, job: str, period_key: str) -> bool:
        """True for exactly one caller per (job, period), across processes; a failed or expired
        claim may be taken again."""
        ...

    async def finish_job_run(self, job: str, period_key: str, *, ok: bool, summary: str = "") -> None: ...
