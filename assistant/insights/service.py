"""The insights facade: loads a period's records from an ``InsightSource`` and runs the analyses.

The CLI, the scheduler's jobs and chat commands call this class; every analysis it runs is a
pure function of the records (see the modules beside it). One period is [since, until) in the
configured time zone; the history before it (``history_days``) gives baselines and topics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from assistant.accounts import AccountContext, NoAccountContext
from assistant.errors import AssistantError, InvalidInputError, NotFoundError
from assistant.insights.anomalies import Anomaly, daily_volume, detect_anomalies
from assistant.insights.bugs import BugScan, abnormal_groups, apply_verdict, find_bug_groups, reconcile
from assistant.insights.churn import AccountRisk, score_accounts
from assistant.insights.classifier import MessageClassifier, clean_text
from assistant.insights.digest import BugState, BugSummary, Digest, TopicVolume
from assistant.insights.gaps import KnowledgeGap, knowledge_gaps
from assistant.insights.learning_health import LearningHealth, learning_health
from assistant.insights.records import (
    BugReport,
    BugStatus,
    ConversationRecord,
    InsightSource,
    MessageLabel,
    StoredModel,
    evidence_of,
)
from assistant.insights.requests import FeatureTheme, feature_themes
from assistant.insights.settings import InsightSettings
from assistant.insights.text import day_start, local_day
from assistant.insights.topics import TopicModel, build_topics
from assistant.insights.training import training_examples
from assistant.models import utcnow
from assistant.ports import Embedder
from assistant.retrieval.vectors import sentence_embedder

log = logging.getLogger(__name__)

CLASSIFIER = "message_classifier"
EMBEDDING_CHARS = 1000
CHART_TOPICS = 6


@dataclass(frozen=True, slots=True)
class Analysis:
    """A period's records (with history), their topics and message-type probabilities."""

    since: datetime
    until: datetime
    model: TopicModel
    probabilities: np.ndarray
    classes: tuple[MessageLabel, ...]

    @property
    def records(self) -> list[ConversationRecord]:
        return self.model.records

    def probability(self, label: MessageLabel) -> np.ndarray:
        if label not in self.classes:
            return np.zeros(len(self.records))
        return self.probabilities[:, self.classes.index(label)]

    def in_period(self) -> list[int]:
        return [i for i, r in enumerate(self.records) if self.since <= r.asked_at < self.until]


class InsightService:
    """Business intelligence over the stored conversations."""

    def __init__(
        self,
        *,
        source: InsightSource,
        settings: InsightSettings,
        embedder: Embedder | None = None,
        clock: Callable[[], datetime] = utcnow,
        accounts: AccountContext | None = None,
    ) -> None:
        """``accounts`` gives account profiles (a CRM's renewal dates weigh in churn risk)."""
        self.source = source
        self.settings = settings
        self._accounts = accounts or NoAccountContext()
        # Insights compare meanings: the sentence embeddings alone.
        self._embedder = sentence_embedder(embedder) if embedder else None
        self._clock = clock
        self._classifier: MessageClassifier | None = None

    # periods

    def week_of(self, first_day: date) -> tuple[datetime, datetime]:
        """Seven local days from ``first_day``'s midnight."""
        since = day_start(first_day, self.settings.zone)
        return since, day_start(first_day + timedelta(days=7), self.settings.zone)

    async def latest_week(self) -> tuple[datetime, datetime]:
        """The seven local days ending with the day of the newest stored question."""
        latest = await self.source.latest_question_at()
        if latest is None:
            raise NotFoundError("No questions are stored yet, so there is nothing to analyse.")
        return self.week_of(local_day(latest, self.settings.zone) - timedelta(days=6))

    # the classifier

    async def classifier(self) -> MessageClassifier:
        """The stored classifier, retrained first when engineers have labelled more messages."""
        if self._classifier is not None:
            return self._classifier
        stored = await self.source.load_model(CLASSIFIER)
        labels = await self.source.labelled_messages()
        if stored is not None and stored.meta.get("labels") == len(labels):
            self._classifier = MessageClassifier.from_bytes(stored.payload)
            return self._classifier
        issues = stored.meta.get("issues_dir") if stored is not None else None
        await self.train_classifier(Path(str(issues)) if issues else None)
        assert self._classifier is not None
        return self._classifier

    async def train_classifier(self, issues_dir: Path | None = None) -> dict[str, object]:
        """Train on issues (``issues_dir`` or the configured folder), seeds and labels; store it."""
        folder = issues_dir or (
            Path(self.settings.classifier_issues_dir) if self.settings.classifier_issues_dir else None
        )
        labels = await self.source.labelled_messages()
        examples = training_examples(labels, issues_dir=folder, label_weight=self.settings.label_weight)
        embeddings = None
        if self._embedder is not None:
            embeddings = await self._embedder.embed([clean_text(e.text)[:EMBEDDING_CHARS] for e in examples])
        classifier = MessageClassifier.train(examples, embeddings=embeddings)
        meta: dict[str, object] = {
            "labels": len(labels),
            "examples": len(examples),
            "issues_dir": str(folder) if folder is not None and folder.exists() else None,
            "classes": [c.value for c in classifier.classes],
        }
        await self.source.save_model(StoredModel(CLASSIFIER, classifier.to_bytes(), meta, self._clock()))
        self._classifier = classifier
        return meta

    # analyses

    async def analyse(self, since: datetime, until: datetime, *, history_days: int | None = None) -> Analysis:
        """Load [since − history, until) and find its topics and message types."""
        if until <= since:
            raise InvalidInputError("The period ends before it starts.")
        history = timedelta(days=self.settings.history_days if history_days is None else history_days)
        records = await self.source.conversation_records(since - history, until)
        model = build_topics(
            records, threshold=self.settings.topic_similarity, keyword_count=self.settings.topic_keywords
        )
        classifier = await self.classifier()
        embeddings = model.vectors if model.vectors.shape[1] == classifier.embedding_dimension else None
        probabilities = classifier.predict_proba([r.text for r in model.records], embeddings)
        return Analysis(since, until, model, probabilities, classifier.classes)

    async def digest(self, since: datetime, until: datetime) -> Digest:
        """The digest of [since, until); nothing is saved or posted."""
        analysis = await self.analyse(since, until)
        zone = self.settings.zone
        days = [local_day(since, zone) + timedelta(days=i) for i in range((until - since).days)]
        limit = self.settings.digest_limit
        bugs = await self._bug_summaries(analysis)
        claimed = {e.question_id for bug in bugs for e in bug.evidence}
        return Digest(
            period_start=since,
            period_end=until,
            timezone=self.settings.timezone,
            questions=len(analysis.in_period()),
            anomalies=self._anomalies(analysis, days)[: limit * 2],
            churn_risk=(await self._churn(analysis))[: self.settings.churn_top],
            bugs=bugs[:limit],
            feature_requests=self._themes(analysis)[:limit],
            knowledge_gaps=self._gaps(analysis, exclude=claimed)[:limit],
            learning=self._learning(analysis),
            days=days,
            volume=self._volume(analysis, days),
        )

    async def anomalies(self, since: datetime, until: datetime) -> list[Anomaly]:
        analysis = await self.analyse(since, until)
        zone = self.settings.zone
        return self._anomalies(
            analysis, [local_day(since, zone) + timedelta(days=i) for i in range((until - since).days)]
        )

    async def churn(self, since: datetime, until: datetime) -> list[AccountRisk]:
        return await self._churn(await self.analyse(since, until))

    async def feature_requests(self, since: datetime, until: datetime) -> list[FeatureTheme]:
        return self._themes(await self.analyse(since, until))

    async def knowledge_gaps(self, since: datetime, until: datetime) -> list[KnowledgeGap]:
        return self._gaps(await self.analyse(since, until))

    async def learning(self, since: datetime, until: datetime) -> LearningHealth:
        return self._learning(await self.analyse(since, until))

    async def bug_summaries(self, since: datetime, until: datetime) -> list[BugSummary]:
        return await self._bug_summaries(await self.analyse(since, until))

    # bugs

    async def scan_bugs(self, *, until: datetime | None = None, save: bool = True) -> BugScan:
        """Find bug groups among recent messages and new or updated reports (saved unless told)."""
        until = until or self._clock()
        since = until - timedelta(hours=2 * self.settings.bug_window_hours)
        analysis = await self.analyse(since, until, history_days=self.settings.bug_history_days)
        scan = self._reconcile(analysis, await self.source.bug_reports(), now=until)
        if save:
            for report in scan.changed:
                await self.source.save_bug_report(report)
        return scan

    async def label_bug(
        self, bug_id: str, status: BugStatus, *, actor: str, duplicate_of: str | None = None
    ) -> BugReport:
        """An engineer's verdict; it labels the report's messages for the classifier too."""
        report = await self.source.get_bug_report(bug_id)
        if report is None:
            raise NotFoundError(f"No bug report has the id {bug_id}.")
        original = None
        if duplicate_of is not None:
            original = await self.source.get_bug_report(duplicate_of)
            if original is None:
                raise NotFoundError(f"No bug report has the id {duplicate_of}.")
        labelled, label = apply_verdict(report, status, actor=actor, duplicate_of=original, now=self._clock())
        await self.source.save_bug_report(labelled)
        await self.source.save_labels(labelled.question_ids, label, actor)
        self._classifier = None
        return labelled

    async def label_message(self, question_id: str, label: MessageLabel, *, actor: str) -> None:
        await self.source.save_labels([question_id], label, actor)
        self._classifier = None

    # the sections

    def _reconcile(self, analysis: Analysis, stored: list[BugReport], *, now: datetime) -> BugScan:
        chosen = analysis.in_period()
        records = [analysis.records[i] for i in chosen]
        groups = find_bug_groups(
            records,
            analysis.probability(MessageLabel.BUG)[chosen],
            analysis.model.vectors[chosen],
            self.settings,
        )
        history, history_days = self._history(analysis)
        window_days = (analysis.until - analysis.since).total_seconds() / 86400
        abnormal = abnormal_groups(groups, history, history_days, window_days, self.settings)
        small = [g for g in groups if not g.qualified]
        return reconcile([*(e.group for e in abnormal), *small], stored, self.settings, now=now)

    @staticmethod
    def _history(analysis: Analysis) -> tuple[np.ndarray, float]:
        """The vectors of the messages before the period, and how many days they span."""
        before = [i for i, r in enumerate(analysis.records) if r.asked_at < analysis.since]
        if not before:
            return analysis.model.vectors[:0], 0.0
        span = (analysis.since - analysis.records[before[0]].asked_at).total_seconds() / 86400
        return analysis.model.vectors[before], max(span, 1.0)

    async def _bug_summaries(self, analysis: Analysis) -> list[BugSummary]:
        stored = await self.source.bug_reports()
        scan = self._reconcile(analysis, stored, now=analysis.until)
        unsaved = {r.id for r in scan.new}
        current = {r.id: r for r in stored} | {r.id: r for r in scan.changed}
        history, history_days = self._history(analysis)
        window_days = (analysis.until - analysis.since).total_seconds() / 86400
        by_id = {r.question_id: r for r in analysis.records}
        summaries = []
        for report in current.values():
            if report.status in (BugStatus.NOT_BUG, BugStatus.DUPLICATE):
                continue
            if not (analysis.since <= report.last_seen < analysis.until):
                continue
            mine = [by_id[q] for q in report.question_ids if q in by_id]
            recent = [r for r in mine if r.asked_at >= analysis.since]
            usual = 0.0
            if len(history) and history.shape[1] == report.signature.shape[0]:
                near = int((history @ report.signature >= self.settings.bug_similarity).sum())
                usual = near / history_days * window_days
            growth = len(recent) / max(usual, 0.5)
            if report.status is BugStatus.OPEN and growth < self.settings.bug_growth:
                continue  # a routine problem, whatever was stored before
            accounts = len({r.account for r in recent if r.account})
            normal = (
                f"{len(recent)} reports from {accounts} accounts this period vs {usual:.1f} usual"
                if usual
                else f"{len(recent)} reports from {accounts} accounts this period, none before"
            )
            state: BugState = "new" if report.first_seen >= analysis.since else "updated"
            summaries.append(
                BugSummary.of(
                    report,
                    state=state,
                    stored=report.id not in unsaved,
                    usual=round(usual, 2),
                    growth=round(growth, 1),
                    normal=normal,
                    evidence=evidence_of(mine),
                )
            )
        return sorted(summaries, key=lambda s: (-len(s.accounts), -s.growth, -s.count, s.first_seen))

    def _anomalies(self, analysis: Analysis, days: list[date]) -> list[Anomaly]:
        """Judged on fine topics, so that one problem's jump is not diluted by its neighbours."""
        fine = build_topics(
            analysis.records,
            threshold=max(self.settings.anomaly_similarity, self.settings.topic_similarity),
            keyword_count=self.settings.topic_keywords,
            vectors_of=analysis.model.vectors,
        )
        return detect_anomalies(fine, days, self.settings)

    async def _churn(self, analysis: Analysis) -> list[AccountRisk]:
        first_seen = await self.source.account_first_seen()
        renewals = await self._renewals({r.account for r in analysis.model.records if r.account})
        return score_accounts(
            analysis.model, self.settings, now=analysis.until, first_seen=first_seen, renewals=renewals
        )

    async def _renewals(self, accounts: set[str]) -> dict[str, date]:
        """Known renewal dates; an account whose profile cannot be read is simply without one."""
        found: dict[str, date] = {}
        for account in sorted(accounts):
            try:
                profile = await self._accounts.profile(account)
            except AssistantError as exc:  # a CRM outage never stops the digest
                log.warning("no profile for %s: %s", account, exc.message)
                continue
            if profile is not None and profile.renewal_date is not None:
                found[account] = profile.renewal_date
        return found

    def _themes(self, analysis: Analysis) -> list[FeatureTheme]:
        return feature_themes(
            analysis.records,
            analysis.probability(MessageLabel.FEATURE),
            analysis.model.vectors,
            self.settings,
            since=analysis.since,
            until=analysis.until,
        )

    def _gaps(self, analysis: Analysis, *, exclude: set[str] | None = None) -> list[KnowledgeGap]:
        return knowledge_gaps(
            analysis.model, self.settings, since=analysis.since, until=analysis.until, exclude=exclude or ()
        )

    def _learning(self, analysis: Analysis) -> LearningHealth:
        last_day = local_day(analysis.until - timedelta(microseconds=1), self.settings.zone)
        return learning_health(
            analysis.records,
            self.settings.zone,
            until=last_day,
            window_days=self.settings.learning_window_days,
            min_questions=self.settings.learning_min_questions,
        )

    def _volume(self, analysis: Analysis, days: list[date]) -> list[TopicVolume]:
        """Daily questions of the period's busiest topics (a chart's series)."""
        if not days or not analysis.records:
            return []
        volume = daily_volume(analysis.model, self.settings.zone, until=days[-1])
        columns = [volume.index(day) for day in days]
        window = np.zeros((len(analysis.model.topics), len(days)), dtype=np.int64)
        for position, column in enumerate(columns):
            if 0 <= column < volume.topics.shape[1]:
                window[:, position] = volume.topics[:, column]
        ranked = [
            int(c) for c in np.argsort(-window.sum(axis=1), kind="stable")[:CHART_TOPICS] if window[c].sum()
        ]
        return [
            TopicVolume(
                analysis.model.topics[c].id, analysis.model.topics[c].label, [int(v) for v in window[c]]
            )
            for c in ranked
        ]
