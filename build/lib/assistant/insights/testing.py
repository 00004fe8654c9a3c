"""An in-memory ``InsightSource`` for tests and examples, shipped like ``structlog.testing``.

It keeps what the SQL source keeps, with the same semantics: labels replace earlier labels of a
message, a job run is claimed once per (job, period) unless it failed, saved reports are copies.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from assistant.insights.records import (
    BugReport,
    BugStatus,
    ConversationRecord,
    LabelledMessage,
    MessageLabel,
    StoredModel,
)
from assistant.models import utcnow


class InMemoryInsightSource:
    """Records given up front; everything else kept in dicts."""

    def __init__(self, records: Sequence[ConversationRecord] = ()) -> None:
        self.records = sorted(records, key=lambda r: (r.asked_at, r.question_id))
        self.reports: dict[str, BugReport] = {}
        self.labels: dict[str, LabelledMessage] = {}
        self.models: dict[str, StoredModel] = {}
        self.runs: dict[tuple[str, str], str] = {}

    async def conversation_records(self, since: datetime, until: datetime) -> list[ConversationRecord]:
        return [r for r in self.records if since <= r.asked_at < until]

    async def latest_question_at(self) -> datetime | None:
        return self.records[-1].asked_at if self.records else None

    async def account_first_seen(self) -> dict[str, datetime]:
        first: dict[str, datetime] = {}
        for record in self.records:
            if record.account and record.account not in first:
                first[record.account] = record.asked_at
        return first

    async def bug_reports(self, *, statuses: tuple[BugStatus, ...] | None = None) -> list[BugReport]:
        reports = sorted(self.reports.values(), key=lambda r: r.last_seen, reverse=True)
        return [copy.deepcopy(r) for r in reports if statuses is None or r.status in statuses]

    async def get_bug_report(self, bug_id: str) -> BugReport | None:
        report = self.reports.get(bug_id)
        return copy.deepcopy(report) if report is not None else None

    async def save_bug_report(self, report: BugReport) -> None:
        self.reports[report.id] = copy.deepcopy(report)

    async def save_labels(self, question_ids: Sequence[str], label: MessageLabel, actor: str) -> None:
        texts = {r.question_id: r.text for r in self.records}
        for question_id in question_ids:
            text = texts.get(question_id, "")
            self.labels[question_id] = LabelledMessage(
                question_id, text, MessageLabel(label), actor, utcnow()
            )

    async def labelled_messages(self) -> list[LabelledMessage]:
        return [m for m in self.labels.values() if m.text]

    async def load_model(self, name: str) -> StoredModel | None:
        return self.models.get(name)

    async def save_model(self, model: StoredModel) -> None:
        self.models[model.name] = model

    async def claim_job_run(self, job: str, period_key: str) -> bool:
        if self.runs.get((job, period_key), "failed") != "failed":
            return False
        self.runs[(job, period_key)] = "running"
        return True

    async def finish_job_run(self, job: str, period_key: str, *, ok: bool, summary: str = "") -> None:
        self.runs[(job, period_key)] = "done" if ok else "failed"
