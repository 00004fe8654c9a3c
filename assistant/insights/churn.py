"""Churn risk per account: a score from signals that each show their evidence.

Every signal is a value in [0, 1] computed over the last ``churn_recent_days`` (the recent window)
against the ``churn_baseline_days`` before it; the score is 100 × the weighted mean of the values
(``churn_weights``; 0 switches a signal off). The signals:

* ``volume_rising``: the account's questions per day, recent against its own baseline;
* ``basic_questions_late``: questions in basic topics (topics asked mostly by accounts in their
  first ``churn_young_days``) from an account older than ``churn_mature_days``;
* ``repeated_handoffs``: questions the assistant handed to a person, recently;
* ``negative_replies``: "didn't help" answers, rejected answers, and angry words;
* ``still_need_help``: "I still need help", "any update?", "still not working";
* ``silence_after_heavy_use``: an account that asked ``churn_heavy_weekly`` a week, now silent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from assistant.insights.records import ConversationRecord
from assistant.insights.settings import InsightSettings
from assistant.insights.topics import TopicModel

NEGATIVE = re.compile(
    r"\b(frustrat\w*|disappoint\w*|unacceptable|terrible|awful|useless|ridiculous|waste of|angry|"
    r"worst|annoy\w*|unhappy|not happy|fed up|switch(ing)? to|competitor|refund|cancel (our|my|the) "
    r"(subscription|account|contract|plan))\b",
    re.I,
)
STILL_NEED_HELP = re.compile(
    r"\b(still (need|having|waiting|not|broken|can'?t|cannot|doesn'?t|does not|isn'?t|getting|failing)|"
    r"any (update|news)|follow(ing)?[- ]up|not (yet )?(resolved|fixed|solved)|(again|third|second) time|"
    r"same (problem|issue) (again|as before))",
    re.I,
)

#: A basic topic has at least this many questions, from at least this many young accounts.
BASIC_MIN_QUESTIONS, BASIC_MIN_ACCOUNTS = 5, 3

SIGNALS = (
    "volume_rising",
    "basic_questions_late",
    "repeated_handoffs",
    "negative_replies",
    "still_need_help",
    "silence_after_heavy_use",
)


@dataclass(frozen=True, slots=True)
class ChurnSignal:
    """One signal's value in [0, 1], its weight, what it adds to the score, and why."""

    name: str
    value: float
    weight: float
    contribution: float
    evidence: str


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """An account's churn risk (0–100) and the signals behind it, strongest first."""

    account: str
    score: float
    reason: str
    signals: list[ChurnSignal]
    recent_questions: int
    baseline_questions: int


def basic_topics(
    model: TopicModel, first_seen: Mapping[str, datetime], settings: InsightSettings
) -> set[int]:
    """Topics asked mostly by young accounts (at least ``BASIC_MIN_ACCOUNTS`` of them)."""
    young = timedelta(days=settings.churn_young_days)
    basic = set()
    for cluster, topic in enumerate(model.topics):
        members = [model.records[i] for i in topic.members if model.records[i].account]
        if len(members) < BASIC_MIN_QUESTIONS:
            continue
        young_accounts = {r.account for r in members if r.asked_at - first_seen[r.account or ""] < young}
        share = sum(1 for r in members if r.asked_at - first_seen[r.account or ""] < young) / len(members)
        if share >= settings.churn_basic_share and len(young_accounts) >= BASIC_MIN_ACCOUNTS:
            basic.add(cluster)
    return basic


def score_accounts(
    model: TopicModel,
    settings: InsightSettings,
    *,
    now: datetime,
    first_seen: Mapping[str, datetime] | None = None,
) -> list[AccountRisk]:
    """Every account with a non-zero risk, highest first (``first_seen``: known account starts)."""
    seen: dict[str, datetime] = dict(first_seen or {})
    for record in model.records:
        if record.account and (record.account not in seen or record.asked_at < seen[record.account]):
            seen[record.account] = record.asked_at
    recent_start = now - timedelta(days=settings.churn_recent_days)
    baseline_start = recent_start - timedelta(days=settings.churn_baseline_days)
    basic = basic_topics(model, seen, settings)
    recent: dict[str, list[tuple[int, ConversationRecord]]] = defaultdict(list)
    baseline: dict[str, int] = defaultdict(int)
    for index, record in enumerate(model.records):
        if not record.account or record.asked_at >= now or record.asked_at < baseline_start:
            continue
        if record.asked_at >= recent_start:
            recent[record.account].append((index, record))
        else:
            baseline[record.account] += 1
    weights = settings.churn_weights.as_dict()
    total_weight = sum(weights.values()) or 1.0
    risks = []
    for account in sorted(set(recent) | set(baseline)):
        mine = [r for _, r in recent.get(account, [])]
        baseline_days = max(1.0, min(settings.churn_baseline_days, (recent_start - seen[account]).days))
        values = {
            "volume_rising": _volume_rising(len(mine), baseline[account], baseline_days, settings),
            "basic_questions_late": _basic_late(
                recent.get(account, []), model, basic, seen[account], settings
            ),
            "repeated_handoffs": _handoffs(mine),
            "negative_replies": _negative(mine),
            "still_need_help": _still_need_help(mine),
            "silence_after_heavy_use": _silence(len(mine), baseline[account], baseline_days, settings),
        }
        signals = [
            ChurnSignal(
                name,
                round(value, 3),
                weights[name],
                round(100 * weights[name] * value / total_weight, 1),
                why,
            )
            for name, (value, why) in values.items()
        ]
        score = round(sum(s.contribution for s in signals), 1)
        if score <= 0:
            continue
        signals.sort(key=lambda s: -s.contribution)
        reason = "; ".join(s.evidence for s in signals if s.contribution > 0)
        risks.append(AccountRisk(account, score, reason, signals, len(mine), baseline[account]))
    return sorted(risks, key=lambda r: (-r.score, r.account))


def _volume_rising(
    recent: int, baseline: int, baseline_days: float, settings: InsightSettings
) -> tuple[float, str]:
    if recent < 3:
        return 0.0, ""
    expected = max(baseline / baseline_days, 1.0 / baseline_days) * settings.churn_recent_days
    ratio = recent / expected
    value = float(np.clip((ratio - 1.5) / 2.5, 0.0, 1.0))
    return (
        value,
        f"support volume ×{ratio:.1f} its baseline ({recent} questions in {settings.churn_recent_days} days)",
    )


def _basic_late(
    recent: Sequence[tuple[int, ConversationRecord]],
    model: TopicModel,
    basic: set[int],
    first_seen: datetime,
    settings: InsightSettings,
) -> tuple[float, str]:
    mature = timedelta(days=settings.churn_mature_days)
    late = [r for i, r in recent if model.assignment[i] in basic and r.asked_at - first_seen >= mature]
    if not late:
        return 0.0, ""
    age = (late[-1].asked_at - first_seen).days
    return min(
        1.0, len(late) / 3
    ), f"{len(late)} basic question(s) after {age} days, e.g. “{late[-1].text[:60]}”"


def _handoffs(recent: Sequence[ConversationRecord]) -> tuple[float, str]:
    count = sum(1 for r in recent if r.handed_off)
    if count < 2:
        return 0.0, ""
    return min(1.0, (count - 1) / 4), f"{count} hand-offs to a person"


def _negative(recent: Sequence[ConversationRecord]) -> tuple[float, str]:
    unhelpful = sum(r.not_helped for r in recent) + sum(
        1 for r in recent if r.answered and r.outcome is False
    )
    angry = sum(1 for r in recent if NEGATIVE.search(r.text))
    count = unhelpful + angry
    if count == 0:
        return 0.0, ""
    parts = [
        f"{unhelpful} unhelpful answer(s)" if unhelpful else "",
        f"{angry} negative message(s)" if angry else "",
    ]
    return min(1.0, count / 3), " and ".join(p for p in parts if p)


def _still_need_help(recent: Sequence[ConversationRecord]) -> tuple[float, str]:
    hits = [r for r in recent if STILL_NEED_HELP.search(r.text)]
    if not hits:
        return 0.0, ""
    return min(1.0, len(hits) / 2), f"{len(hits)}× 'still need help', e.g. “{hits[-1].text[:60]}”"


def _silence(
    recent: int, baseline: int, baseline_days: float, settings: InsightSettings
) -> tuple[float, str]:
    weekly = baseline / baseline_days * 7
    if weekly < settings.churn_heavy_weekly:
        return 0.0, ""
    expected = weekly / 7 * settings.churn_recent_days
    if recent == 0:
        return 1.0, f"silent for {settings.churn_recent_days} days after {weekly:.0f} questions a week"
    if recent < 0.25 * expected:
        return 0.5, f"{recent} questions in {settings.churn_recent_days} days after {weekly:.0f} a week"
    return 0.0, ""
