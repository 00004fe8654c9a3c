"""Anomalies: a topic's (or the total's) daily volume against its own weekday-seasonal baseline.

For each day checked, a series' expected volume comes only from the days before it (the last
``anomaly_baseline_days``): the total's mean on that weekday, and a topic's mean scaled by the
total's weekday factor (a topic is too sparse for weekday means of its own). A day is a spike
when its volume is at least ``anomaly_min_count`` (``anomaly_total_min_count`` for the total),
at least ``anomaly_ratio`` times the expected, and improbable under the baseline: the tail of a
quasi-Poisson (Poisson with the history's dispersion) below ``anomaly_p_value``.

A topic first seen within ``new_topic_days`` that reaches ``new_topic_min_count`` questions is a
new topic growing fast, flagged once, on the day it crosses (it has no baseline: its expected
volume and ratio are 0, its count is its questions so far).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from scipy.stats import poisson

from assistant.insights.records import ConversationRecord, MessageRef
from assistant.insights.settings import InsightSettings
from assistant.insights.text import local_day
from assistant.insights.topics import TopicModel

TOTAL = "total"
MIN_SAME_WEEKDAYS = 3

AnomalyKind = Literal["spike", "new_topic"]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A flagged day of one series, with its size and examples."""

    kind: AnomalyKind
    series: str
    name: str
    day: date
    count: int
    expected: float
    ratio: float
    p_value: float
    examples: list[MessageRef] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DailyVolume:
    """Questions per day: the total and each topic, over consecutive days from ``start``."""

    start: date
    total: np.ndarray
    topics: np.ndarray

    def index(self, day: date) -> int:
        return (day - self.start).days

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(len(self.total))]


def daily_volume(model: TopicModel, zone: ZoneInfo, *, until: date | None = None) -> DailyVolume:
    """Count the model's questions per local day, from its first day to ``until`` (inclusive)."""
    if not model.records:
        start = until or date.today()
        return DailyVolume(
            start=start, total=np.zeros(1, dtype=np.int64), topics=np.zeros((0, 1), dtype=np.int64)
        )
    days = [local_day(r.asked_at, zone) for r in model.records]
    start, end = min(days), max([*days, until or days[-1]])
    width = (end - start).days + 1
    topics = np.zeros((len(model.topics), width), dtype=np.int64)
    for day, cluster in zip(days, model.assignment, strict=True):
        topics[cluster, (day - start).days] += 1
    return DailyVolume(start=start, total=topics.sum(axis=0), topics=topics)


def detect_anomalies(
    model: TopicModel, days: Sequence[date], settings: InsightSettings, *, volume: DailyVolume | None = None
) -> list[Anomaly]:
    """Spikes and fast-growing new topics on ``days``, largest first."""
    zone = settings.zone
    volume = volume or daily_volume(model, zone, until=max(days) if days else None)
    found: list[Anomaly] = []
    for day in sorted(days):
        at = volume.index(day)
        if at < settings.anomaly_min_history_days or at >= len(volume.total):
            continue
        lo = max(0, at - settings.anomaly_baseline_days)
        history_total = volume.total[lo:at].astype(np.float64)
        factors = _weekday_factors(history_total, volume.start + timedelta(days=lo))
        weekday = day.weekday()
        spike = _judge(
            volume.total[at],
            _expected_total(history_total, lo, volume, weekday),
            history_total,
            settings,
            total=True,
        )
        if spike is not None:
            found.append(_anomaly("spike", TOTAL, "All questions", day, spike, model.records, zone, settings))
        for cluster, topic in enumerate(model.topics):
            count = int(volume.topics[cluster, at])
            if count == 0:
                continue
            born = local_day(topic.first_seen, zone)
            history = volume.topics[cluster, lo:at].astype(np.float64)
            if (day - born).days < settings.new_topic_days:
                so_far = int(volume.topics[cluster, volume.index(born) : at + 1].sum())
                if so_far >= settings.new_topic_min_count > so_far - count:
                    members = [model.records[i] for i in topic.members]
                    result = (so_far, 0.0, 0.0, 0.0)
                    found.append(
                        _anomaly(
                            "new_topic",
                            topic.id,
                            topic.label,
                            day,
                            result,
                            members,
                            zone,
                            settings,
                            all_days=True,
                        )
                    )
                continue
            expected = float(history.mean()) * factors[weekday]
            spike = _judge(count, expected, history, settings, total=False)
            if spike is not None:
                members = [model.records[i] for i in topic.members]
                found.append(_anomaly("spike", topic.id, topic.label, day, spike, members, zone, settings))
    return sorted(found, key=lambda a: (a.day, a.kind, -a.ratio, a.series))


def _expected_total(history: np.ndarray, lo: int, volume: DailyVolume, weekday: int) -> float:
    first = volume.start + timedelta(days=lo)
    same = [history[i] for i in range(len(history)) if (first + timedelta(days=i)).weekday() == weekday]
    if len(same) >= MIN_SAME_WEEKDAYS:
        return float(np.mean(same))
    return float(history.mean()) if len(history) else 0.0


def _weekday_factors(history: np.ndarray, first: date) -> list[float]:
    """Each weekday's mean over the overall mean (1.0 where unknown), from the total's history."""
    overall = float(history.mean()) if len(history) else 0.0
    factors = []
    for weekday in range(7):
        same = [history[i] for i in range(len(history)) if (first + timedelta(days=i)).weekday() == weekday]
        factors.append(float(np.mean(same)) / overall if same and overall > 0 else 1.0)
    return factors


def _judge(
    count: int | np.integer, expected: float, history: np.ndarray, settings: InsightSettings, *, total: bool
) -> tuple[int, float, float, float] | None:
    """(count, expected, ratio, p) when the day is a spike, else None."""
    count = int(count)
    floor = settings.anomaly_total_min_count if total else settings.anomaly_min_count
    if count < floor:
        return None
    mean = max(expected, 1.0 / max(len(history), 1))
    ratio = count / mean
    if ratio < settings.anomaly_ratio:
        return None
    dispersion = (
        max(1.0, float(history.var()) / float(history.mean())) if len(history) and history.mean() > 0 else 1.0
    )
    p_value = float(poisson.sf(count / dispersion - 1, mean / dispersion))
    if p_value > settings.anomaly_p_value:
        return None
    return count, round(expected, 3), round(ratio, 2), p_value


def _anomaly(
    kind: AnomalyKind,
    series: str,
    name: str,
    day: date,
    result: tuple[int, float, float, float],
    records: Sequence[ConversationRecord],
    zone: ZoneInfo,
    settings: InsightSettings,
    *,
    all_days: bool = False,
) -> Anomaly:
    count, expected, ratio, p_value = result
    chosen = [r for r in records if all_days or local_day(r.asked_at, zone) == day]
    examples = [
        MessageRef(
            question_id=r.question_id, text=r.text, account=r.account, asked_at=r.asked_at, link=r.link
        )
        for r in chosen[: settings.anomaly_examples]
    ]
    return Anomaly(kind, series, name, day, count, expected, ratio, p_value, examples)
