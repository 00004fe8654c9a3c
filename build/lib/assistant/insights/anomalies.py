"""Anomalies: a topic's (or the total's) daily volume against what is normal for it.

Volume is judged on fine topics (``anomaly_similarity``, finer than the display topics) so that
one problem's jump is not diluted by its neighbours. For each day checked, a series' normal comes
only from the ``anomaly_baseline_days`` before it, from days of the same kind: the same weekday
when there are ``MIN_SAME_WEEKDAYS`` of them, else weekdays (or weekend days) together. The
normal level is robust to past incidents: the larger of the median and the interquartile mean
(so an incident's first day does not hide its second, and a sparse topic's normal is not 0); its
spread is the MAD (scaled to a standard deviation). A day is a spike when its volume is at least
``anomaly_min_count`` (``anomaly_total_min_count`` for the total) from ``anomaly_min_accounts``
accounts, at least ``anomaly_ratio`` times the normal (still so without its busiest account: one
account's burst is not an incident), and improbable under a negative binomial with that mean and
spread (Poisson when not overdispersed): tail below ``anomaly_p_value``.
Every item says what normal looks like ("17 this Tuesday vs 2.5 on a usual Tuesday") and lists
its messages as evidence.

A topic first seen within ``new_topic_days`` that reaches ``new_topic_min_count`` questions is a
new topic growing fast, flagged once, on the day it crosses (it has no baseline: its expected
volume and ratio are 0, its count is its questions so far).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from scipy.stats import nbinom, poisson, trim_mean

from assistant.insights.records import ConversationRecord, Evidence, MessageRef, evidence_of
from assistant.insights.settings import InsightSettings
from assistant.insights.text import local_day
from assistant.insights.topics import TopicModel

TOTAL = "total"
MIN_SAME_WEEKDAYS = 4
MAD_TO_SD = 1.4826
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

AnomalyKind = Literal["spike", "new_topic"]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A flagged day of one series, with its size, what is normal for it, and its messages.

    ``expected`` is the normal volume of such a day and ``normal`` says it in words; ``evidence``
    lists the day's messages (a new topic's: all of them so far).
    """

    kind: AnomalyKind
    series: str
    name: str
    day: date
    count: int
    expected: float
    ratio: float
    p_value: float
    examples: list[MessageRef] = field(default_factory=list)
    normal: str = ""
    accounts: int = 0
    evidence: list[Evidence] = field(default_factory=list)


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


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a series' volume looks like on days like the one judged."""

    level: float
    spread: float
    days: int
    like: str


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


def baseline(history: np.ndarray, first: date, day: date) -> Baseline:
    """The normal of ``day`` from ``history`` (daily counts from ``first``), robust to outliers."""
    weekday = day.weekday()
    kinds = [(first + timedelta(days=i)).weekday() for i in range(len(history))]
    same = np.array([v for v, k in zip(history, kinds, strict=True) if k == weekday], dtype=np.float64)
    if len(same) >= MIN_SAME_WEEKDAYS:
        values, like = same, WEEKDAYS[weekday]
    else:
        weekend = weekday >= 5
        values = np.array([v for v, k in zip(history, kinds, strict=True) if (k >= 5) == weekend], np.float64)
        like = "weekend day" if weekend else "weekday"
    if not len(values):
        return Baseline(0.0, 0.0, 0, like)
    median = float(np.median(values))
    level = max(median, float(trim_mean(values, 0.25)))
    spread = MAD_TO_SD * float(np.median(np.abs(values - median)))
    return Baseline(level, spread, len(values), like)


def tail_probability(count: int, level: float, spread: float) -> float:
    """P(X ≥ count) for a count with mean ``level`` and standard deviation ≥ ``spread``."""
    variance = max(level, spread**2)
    if variance <= level * 1.05:
        return float(poisson.sf(count - 1, level))
    n = level**2 / (variance - level)
    return float(nbinom.sf(count - 1, n, n / (n + level)))


def detect_anomalies(
    model: TopicModel, days: Sequence[date], settings: InsightSettings, *, volume: DailyVolume | None = None
) -> list[Anomaly]:
    """Spikes and fast-growing new topics on ``days``, day by day, largest first within a day."""
    zone = settings.zone
    volume = volume or daily_volume(model, zone, until=max(days) if days else None)
    record_days = [local_day(r.asked_at, zone) for r in model.records]
    found: list[Anomaly] = []
    for day in sorted(days):
        at = volume.index(day)
        if at < settings.anomaly_min_history_days or at >= len(volume.total):
            continue
        lo = max(0, at - settings.anomaly_baseline_days)
        first = volume.start + timedelta(days=lo)
        todays = [i for i, d in enumerate(record_days) if d == day]
        spike = _judge(int(volume.total[at]), baseline(volume.total[lo:at], first, day), settings, total=True)
        if spike is not None:
            records = [model.records[i] for i in todays]
            found.append(_anomaly("spike", TOTAL, "All questions", day, spike, records, settings))
        by_topic: dict[int, list[int]] = {}
        for i in todays:
            by_topic.setdefault(model.assignment[i], []).append(i)
        for cluster, members in by_topic.items():
            topic = model.topics[cluster]
            count = len(members)
            born = local_day(topic.first_seen, zone)
            if (day - born).days < settings.new_topic_days:
                so_far = int(volume.topics[cluster, volume.index(born) : at + 1].sum())
                if so_far >= settings.new_topic_min_count > so_far - count:
                    upto = [model.records[i] for i in topic.members if record_days[i] <= day]
                    result = (so_far, 0.0, 0.0, 0.0, f"{so_far} since {born:%a %d %b}, none before")
                    found.append(_anomaly("new_topic", topic.id, topic.label, day, result, upto, settings))
                continue
            records = [model.records[i] for i in members]
            by_account = Counter(r.account for r in records if r.account)
            if len(by_account) < settings.anomaly_min_accounts:
                continue
            normal = baseline(volume.topics[cluster, lo:at], first, day)
            spike = _judge(count, normal, settings, total=False)
            busiest = max(by_account.values())
            if spike is not None and (count - busiest) < settings.anomaly_ratio * max(normal.level, 0.5):
                continue  # one account's burst (a retrying customer, a script) is not an incident
            if spike is not None:
                found.append(_anomaly("spike", topic.id, topic.label, day, spike, records, settings))
    return sorted(found, key=lambda a: (a.day, a.kind, -a.ratio, a.series))


def _judge(
    count: int, normal: Baseline, settings: InsightSettings, *, total: bool
) -> tuple[int, float, float, float, str] | None:
    """(count, expected, ratio, p, normal in words) when the day is a spike, else None."""
    floor = settings.anomaly_total_min_count if total else settings.anomaly_min_count
    if count < floor or normal.days == 0:
        return None
    level = max(normal.level, 0.5 / normal.days)
    ratio = count / level
    if ratio < settings.anomaly_ratio:
        return None
    p_value = tail_probability(count, level, normal.spread)
    if p_value > settings.anomaly_p_value:
        return None
    words = f"vs {normal.level:.1f} on a usual {normal.like} (from the last {normal.days} such days)"
    return count, round(normal.level, 3), round(ratio, 2), p_value, words


def _anomaly(
    kind: AnomalyKind,
    series: str,
    name: str,
    day: date,
    result: tuple[int, float, float, float, str],
    records: Sequence[ConversationRecord],
    settings: InsightSettings,
) -> Anomaly:
    count, expected, ratio, p_value, normal = result
    if kind == "spike":
        normal = f"{count} this {WEEKDAYS[day.weekday()]} {normal}"
    examples = [
        MessageRef(
            question_id=r.question_id, text=r.text, account=r.account, asked_at=r.asked_at, link=r.link
        )
        for r in records[: settings.anomaly_examples]
    ]
    accounts = len({r.account for r in records if r.account})
    return Anomaly(
        kind,
        series,
        name,
        day,
        count,
        expected,
        ratio,
        p_value,
        examples,
        normal,
        accounts,
        evidence_of(records),
    )
