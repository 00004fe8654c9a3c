"""``InsightSource`` on SQLAlchemy Core, over the knowledge store's tables plus ``insights_schema``.

Conversation records are read from ``questions`` joined with ``answers``, the live learning
events of each answer (customers' helped / not helped, agents' corrections and replies, the reply
text from the item the event taught) and, when a chat adapter linked the question's message, a
link to it; ``external_id`` is the question's platform id as stored (else the linked message's
ts). Question texts are embedded with the assistant's embedder (which caches), not stored twice.

The once-per-period claim of a job run is ``INSERT ... ON CONFLICT DO NOTHING`` on the primary
key (job, period_key), atomic on SQLite and PostgreSQL alike; a claim whose run failed, or that
was not finished within the lease, may be taken over by one later caller (a guarded UPDATE).
"""

from __future__ import annotations

import os
import socket
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.storage.sql.base import SqlStoreBase
from adapters.storage.sql.conversations_schema import message_links
from adapters.storage.sql.insights_schema import bug_reports, insight_models, job_runs, message_labels
from adapters.storage.sql.schema import answers, knowledge_items, learning_events, questions
from assistant.insights.records import (
    BugReport,
    BugStatus,
    ConversationRecord,
    LabelledMessage,
    MessageLabel,
    MessageRef,
    StoredModel,
)
from assistant.models import Decision, Signal, utcnow
from assistant.ports import Embedder
from assistant.retrieval.vectors import sentence_embedder

__all__ = ["DEFAULT_LINK_TEMPLATE", "SqlInsightSource"]

#: A Slack message permalink; ``{channel}`` and ``{ts}`` (the ts without its dot) are filled in.
DEFAULT_LINK_TEMPLATE = "https://slack.com/archives/{channel}/p{ts}"
EMBED_BATCH = 512
_REPLY_SIGNALS = (Signal.CORRECT.value, Signal.RESOLVE.value)


class SqlInsightSource(SqlStoreBase):
    """Insights data in SQL; pass the store's URL (or an engine to share) and its embedder."""

    def __init__(
        self,
        engine: AsyncEngine | str,
        *,
        embedder: Embedder | None = None,
        link_template: str = DEFAULT_LINK_TEMPLATE,
        job_lease: timedelta = timedelta(hours=1),
        owner: str | None = None,
    ) -> None:
        super().__init__(engine)
        self._embedder = sentence_embedder(embedder) if embedder else None
        self._link_template = link_template
        self._lease = job_lease
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"

    # conversations

    async def conversation_records(self, since: datetime, until: datetime) -> list[ConversationRecord]:
        in_range = and_(
            questions.c.asked_at >= since, questions.c.asked_at < until, questions.c.text.is_not(None)
        )
        exchanges = (
            select(
                questions.c.id,
                questions.c.external_id,
                questions.c.text,
                questions.c.account,
                questions.c.channel,
                questions.c.user,
                questions.c.asked_at,
                answers.c.id.label("answer_id"),
                answers.c.decision,
                answers.c.confidence,
                answers.c.resolution_key,
                answers.c.outcome,
            )
            .select_from(questions.outerjoin(answers, answers.c.question_id == questions.c.id))
            .where(in_range)
            .order_by(questions.c.asked_at, questions.c.id)
        )
        events = (
            select(learning_events.c.answer_id, learning_events.c.signal, knowledge_items.c.text)
            .select_from(
                learning_events.join(answers, answers.c.id == learning_events.c.answer_id)
                .join(questions, questions.c.id == answers.c.question_id)
                .outerjoin(knowledge_items, knowledge_items.c.id == learning_events.c.item_id)
            )
            .where(in_range, learning_events.c.undone_at.is_(None))
            .order_by(learning_events.c.created_at)
        )
        links = (
            select(message_links.c.question_id, message_links.c.channel_id, message_links.c.message_ts)
            .select_from(message_links.join(questions, questions.c.id == message_links.c.question_id))
            .where(in_range, message_links.c.kind == "question")
        )
        async with self._transaction() as conn:
            rows = (await conn.execute(exchanges)).all()
            signals = (await conn.execute(events)).all()
            linked = {
                row.question_id: (self._link(row.channel_id, row.message_ts), row.message_ts)
                for row in await conn.execute(links)
            }
        by_answer: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"helped": 0, "not_helped": 0, "corrected": False}
        )
        for answer_id, signal, reply in signals:
            facts = by_answer[answer_id]
            if signal == Signal.HELPED.value:
                facts["helped"] += 1
            elif signal == Signal.NOT_HELPED.value:
                facts["not_helped"] += 1
            elif signal in _REPLY_SIGNALS:
                facts["corrected"] = facts["corrected"] or signal == Signal.CORRECT.value
                if reply:
                    facts["reply"] = reply
        vectors = await self._embed([row.text for row in rows])
        return [
            ConversationRecord(
                question_id=row.id,
                text=row.text,
                account=row.account,
                asked_at=row.asked_at,
                decision=Decision(row.decision) if row.decision else Decision.HANDOFF,
                channel=row.channel,
                user=row.user,
                confidence=float(row.confidence or 0.0),
                resolution_key=row.resolution_key,
                outcome=None if row.outcome is None else bool(row.outcome),
                helped=by_answer[row.answer_id]["helped"] if row.answer_id in by_answer else 0,
                not_helped=by_answer[row.answer_id]["not_helped"] if row.answer_id in by_answer else 0,
                corrected=bool(by_answer[row.answer_id]["corrected"])
                if row.answer_id in by_answer
                else False,
                agent_reply=by_answer[row.answer_id].get("reply") if row.answer_id in by_answer else None,
                link=linked[row.id][0] if row.id in linked else None,
                external_id=row.external_id or (linked[row.id][1] if row.id in linked else None),
                embedding=None if vectors is None else vectors[index],
            )
            for index, row in enumerate(rows)
        ]

    def _link(self, channel: str, ts: str) -> str:
        return self._link_template.format(channel=channel, ts=ts.replace(".", ""))

    async def _embed(self, texts: list[str]) -> np.ndarray | None:
        if self._embedder is None or not texts:
            return None
        parts = [
            await self._embedder.embed(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)
        ]
        return np.vstack(parts)

    async def latest_question_at(self) -> datetime | None:
        async with self._transaction() as conn:
            latest = (await conn.execute(select(func.max(questions.c.asked_at)))).scalar()
        return _aware(latest) if latest is not None else None

    async def account_first_seen(self) -> dict[str, datetime]:
        query = (
            select(questions.c.account, func.min(questions.c.asked_at))
            .where(questions.c.account.is_not(None))
            .group_by(questions.c.account)
        )
        async with self._transaction() as conn:
            return {account: _aware(first) for account, first in await conn.execute(query)}

    # bug reports

    async def bug_reports(self, *, statuses: tuple[BugStatus, ...] | None = None) -> list[BugReport]:
        query = select(bug_reports).order_by(bug_reports.c.last_seen.desc(), bug_reports.c.id)
        if statuses is not None:
            query = query.where(bug_reports.c.status.in_([s.value for s in statuses]))
        async with self._transaction() as conn:
            return [_report_from(row) for row in await conn.execute(query)]

    async def get_bug_report(self, bug_id: str) -> BugReport | None:
        async with self._transaction() as conn:
            row = (await conn.execute(select(bug_reports).where(bug_reports.c.id == bug_id))).first()
        return _report_from(row) if row is not None else None

    async def save_bug_report(self, report: BugReport) -> None:
        await self._upsert(bug_reports, _report_row(report), ["id"])

    # labels and models

    async def save_labels(self, question_ids: Sequence[str], label: MessageLabel, actor: str) -> None:
        now = utcnow()
        rows = [
            {"question_id": qid, "label": MessageLabel(label).value, "actor": actor, "created_at": now}
            for qid in dict.fromkeys(question_ids)
        ]
        if not rows:
            return
        insert = self._insert(message_labels)
        statement = insert.on_conflict_do_update(
            index_elements=["question_id"],
            set_={
                "label": insert.excluded.label,
                "actor": insert.excluded.actor,
                "created_at": insert.excluded.created_at,
            },
        )
        async with self._transaction(write=True) as conn:
            await conn.execute(statement, rows)

    async def labelled_messages(self) -> list[LabelledMessage]:
        query = (
            select(message_labels, questions.c.text)
            .join(questions, questions.c.id == message_labels.c.question_id)
            .where(questions.c.text.is_not(None))
            .order_by(message_labels.c.created_at, message_labels.c.question_id)
        )
        async with self._transaction() as conn:
            return [
                LabelledMessage(row.question_id, row.text, MessageLabel(row.label), row.actor, row.created_at)
                for row in await conn.execute(query)
            ]

    async def load_model(self, name: str) -> StoredModel | None:
        async with self._transaction() as conn:
            row = (await conn.execute(select(insight_models).where(insight_models.c.name == name))).first()
        return StoredModel(row.name, bytes(row.payload), dict(row.meta), row.trained_at) if row else None

    async def save_model(self, model: StoredModel) -> None:
        values = {
            "name": model.name,
            "payload": model.payload,
            "meta": model.meta,
            "trained_at": model.trained_at,
        }
        await self._upsert(insight_models, values, ["name"])

    # scheduled jobs

    async def claim_job_run(self, job: str, period_key: str) -> bool:
        now = utcnow()
        claim = {
            "status": "running",
            "owner": self.owner,
            "claimed_at": now,
            "finished_at": None,
            "summary": "",
        }
        insert = (
            self._insert(job_runs).values(job=job, period_key=period_key, **claim).on_conflict_do_nothing()
        )
        retake = (
            update(job_runs)
            .where(
                job_runs.c.job == job,
                job_runs.c.period_key == period_key,
                or_(
                    job_runs.c.status == "failed",
                    and_(job_runs.c.status == "running", job_runs.c.claimed_at < now - self._lease),
                ),
            )
            .values(**claim)
        )
        async with self._transaction(write=True) as conn:
            if (await conn.execute(insert)).rowcount == 1:
                return True
            return bool((await conn.execute(retake)).rowcount == 1)

    async def finish_job_run(self, job: str, period_key: str, *, ok: bool, summary: str = "") -> None:
        async with self._transaction(write=True) as conn:
            await conn.execute(
                update(job_runs)
                .where(
                    job_runs.c.job == job, job_runs.c.period_key == period_key, job_runs.c.owner == self.owner
                )
                .values(status="done" if ok else "failed", finished_at=utcnow(), summary=summary[:2000])
            )

    async def job_runs(self, job: str | None = None) -> list[dict[str, Any]]:
        """Recorded runs, newest first (for operators and tests)."""
        query = select(job_runs).order_by(job_runs.c.claimed_at.desc())
        if job is not None:
            query = query.where(job_runs.c.job == job)
        async with self._transaction() as conn:
            return [dict(row._mapping) for row in await conn.execute(query)]


def _aware(value: Any) -> datetime:
    """An aggregate's time in UTC (``max``/``min`` keep the column's type; this is a safety net)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _report_row(report: BugReport) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": report.id,
        "title": report.title,
        "symptom": report.symptom,
        "keywords": list(report.keywords),
        "examples": [_ref_json(e) for e in report.examples],
        "accounts": list(report.accounts),
        "question_ids": list(report.question_ids),
        "signature": np.asarray(report.signature, dtype="<f4").reshape(-1).tobytes(),
        "status": BugStatus(report.status).value,
        "duplicate_of": report.duplicate_of,
        "labelled_by": report.labelled_by,
        "version": report.version,
        "first_seen": report.first_seen,
        "last_seen": report.last_seen,
        "created_at": report.created_at or now,
        "updated_at": report.updated_at or now,
    }


def _report_from(row: Any) -> BugReport:
    return BugReport(
        id=row.id,
        title=row.title,
        symptom=row.symptom,
        keywords=list(row.keywords),
        examples=[_ref_from(e) for e in row.examples],
        accounts=list(row.accounts),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        question_ids=list(row.question_ids),
        signature=np.frombuffer(row.signature, dtype="<f4").astype(np.float32),
        status=BugStatus(row.status),
        duplicate_of=row.duplicate_of,
        labelled_by=row.labelled_by,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _ref_json(ref: MessageRef) -> dict[str, Any]:
    return {
        "question_id": ref.question_id,
        "text": ref.text,
        "account": ref.account,
        "asked_at": ref.asked_at.isoformat(),
        "link": ref.link,
    }


def _ref_from(data: dict[str, Any]) -> MessageRef:
    return MessageRef(
        question_id=data["question_id"],
        text=data["text"],
        account=data.get("account"),
        asked_at=datetime.fromisoformat(data["asked_at"]),
        link=data.get("link"),
    )
