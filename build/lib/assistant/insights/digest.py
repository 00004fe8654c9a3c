"""The digest: one period's business intelligence in six sections, as data.

``Digest.to_dict`` is the JSON shape (``assistant digest --preview --json``): exactly the keys
``anomalies``, ``churn_risk``, ``bugs``, ``feature_requests``, ``knowledge_gaps`` and
``learning``; the period and the chart series are on the object (``period_start``, ``volume``)
for renderers. Dates and times are ISO-8601 strings, undefined numbers null.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

import numpy as np

from assistant.insights.anomalies import Anomaly
from assistant.insights.churn import AccountRisk
from assistant.insights.gaps import KnowledgeGap
from assistant.insights.learning_health import LearningHealth
from assistant.insights.records import BugReport, BugStatus, Evidence, MessageRef
from assistant.insights.requests import FeatureTheme

SECTIONS = ("anomalies", "churn_risk", "bugs", "feature_requests", "knowledge_gaps", "learning")

BugState = Literal["new", "updated"]


@dataclass(frozen=True, slots=True)
class BugSummary:
    """A bug report as the digest shows it.

    ``state``: ``new`` (first seen this period) or ``updated`` (seen before, and again this
    period); ``stored`` is False for a group found by this digest that no scan has saved yet.
    ``usual`` is how many such reports a period of this length usually holds, ``growth`` this
    period's over it, ``normal`` both in words; ``evidence`` lists its messages.
    """

    id: str
    title: str
    symptom: str
    keywords: list[str]
    status: BugStatus
    state: BugState
    stored: bool
    count: int
    accounts: list[str]
    first_seen: datetime
    last_seen: datetime
    examples: list[MessageRef]
    usual: float = 0.0
    growth: float = 0.0
    normal: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        report: BugReport,
        *,
        state: BugState,
        stored: bool,
        usual: float = 0.0,
        growth: float = 0.0,
        normal: str = "",
        evidence: list[Evidence] | None = None,
    ) -> BugSummary:
        return cls(
            id=report.id,
            title=report.title,
            symptom=report.symptom,
            keywords=list(report.keywords),
            status=report.status,
            state=state,
            stored=stored,
            count=report.count,
            accounts=list(report.accounts),
            first_seen=report.first_seen,
            last_seen=report.last_seen,
            examples=list(report.examples),
            usual=usual,
            growth=growth,
            normal=normal,
            evidence=list(evidence or []),
        )


@dataclass(frozen=True, slots=True)
class TopicVolume:
    """A topic's questions per day over the period (a chart's series)."""

    topic_id: str
    name: str
    daily: list[int]

    @property
    def total(self) -> int:
        return sum(self.daily)


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything the weekly digest says about [period_start, period_end)."""

    period_start: datetime
    period_end: datetime
    timezone: str
    questions: int
    anomalies: list[Anomaly]
    churn_risk: list[AccountRisk]
    bugs: list[BugSummary]
    feature_requests: list[FeatureTheme]
    knowledge_gaps: list[KnowledgeGap]
    learning: LearningHealth
    days: list[date] = field(default_factory=list)
    volume: list[TopicVolume] = field(default_factory=list)

    @property
    def title(self) -> str:
        last = self.days[-1] if self.days else self.period_end.date()
        return f"Support digest {self.period_start:%d %b} – {last:%d %b %Y}"

    def to_dict(self) -> dict[str, Any]:
        """The six sections as JSON-ready values."""
        learning = to_plain(self.learning)
        learning["improving"] = self.learning.improving
        return {
            "anomalies": to_plain(self.anomalies),
            "churn_risk": to_plain(self.churn_risk),
            "bugs": to_plain(self.bugs),
            "feature_requests": to_plain(self.feature_requests),
            "knowledge_gaps": to_plain(self.knowledge_gaps),
            "learning": learning,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def to_plain(value: Any) -> Any:
    """Dataclasses, enums, dates, tuples and numpy scalars as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
