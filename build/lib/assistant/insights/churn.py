"""Churn risk per account: signals judged against the account's own history and its peers.

Every signal compares the last ``churn_recent_days`` (the recent window) with what is normal for
this account: its own ``churn_baseline_days`` before, adjusted by how its peers (every other
account) moved meanwhile, or its peers alone when it has too little history. A signal speaks only
when the difference is improbable under that normal (a binomial or Poisson tail below
``churn_p_value``) and rests on at least ``churn_min_evidence`` messages; its value in [0, 1]
grows with the excess, not capped at a handful of messages. The score is 100 × the weighted mean
of the values (``churn_weights``; 0 switches a signal off). The signals:

* ``volume_rising``: questions recently against the account's own rate (accounts younger than
  ``churn_young_days`` are onboarding and judged against peers, never against zero);
* ``basic_questions_late``: questions in basic topics (asked mostly by young accounts) from an
  account older than ``churn_mature_days``;
* ``repeated_handoffs``: the share of its questions handed to a person;
* ``negative_replies``: "didn't help" answers, rejected answers, and angry words (not "refund");
* ``still_need_help``: "I still need help", "any update?", "still not working";
* ``silence_after_heavy_use``: an account that asked ``churn_heavy_weekly`` a week, now silent.

What the signals find weighs more for an account whose renewal is near (its renewal date from the
CRM, ``assistant.accounts``): within ``churn_renewal_days`` the score is multiplied by
``churn_renewal_factor`` and the reason says when it renews. A near renewal alone is never a risk.

``AccountRisk`` is plain data (a later CRM push reads it as is): the score, the reason in words,
each signal with its observed and normal values, and the messages behind it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from scipy.stats import binom, poisson

from assistant.insights.records import ConversationRecord, Evidence, evidence_of
from assistant.insights.settings import InsightSettings
from assistant.insights.topics import TopicModel

NEGATIVE = re.compile(
    r"\b(frustrat\w*|disappoint\w*|unacceptable|terrible|awful|useless|ridiculous|waste of|angry|"
    r"worst|annoy\w*|unhappy|not happy|fed up|switch(ing)? to|competitor|cancel (our|my|the) "
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
#: Own history needed (questions in the baseline) before an account is its own normal.
OWN_HISTORY_MIN = 20
#: Questions in its baseline before an account's own volume is a normal (a Poisson count's).
VOLUME_HISTORY_MIN = 10
#: Days of its own history before an account's volume has a normal.
MIN_HISTORY_DAYS = 7
#: A peer counts towards the typical rate with this many questions in a window; peers' change
#: counts when this many peers have it.
MIN_PEER_QUESTIONS, MIN_PEERS = 5, 3
#: The last messages before a silence, shown as its evidence.
SILENCE_EVIDENCE = 5

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
    """One signal: its value in [0, 1], weight, share of the score, why, and against what normal.

    ``observed`` and ``expected`` are the recent figure and its normal (a share or a count, as
    ``evidence`` says); ``p_value`` is how likely the difference is under that normal.
    """

    name: str
    value: float
    weight: float
    contribution: float
    evidence: str
    observed: float = 0.0
    expected: float = 0.0
    p_value: float = 1.0


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """An account's churn risk (0–100) and the signals behind it, strongest first."""

    account: str
    score: float
    reason: str
    signals: list[ChurnSignal]
    recent_questions: int
    baseline_questions: int
    age_days: int = 0
    onboarding: bool = False
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class _Window:
    """One account's (or the peers') messages in a window and their counts."""

    records: list[ConversationRecord] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.records)

    def handoffs(self) -> list[ConversationRecord]:
        return [r for r in self.records if r.handed_off]

    def answered(self) -> int:
        return sum(1 for r in self.records if r.answered)

    def unhelpful(self) -> list[ConversationRecord]:
        return [r for r in self.records if r.answered and (r.not_helped or r.outcome is False)]

    def angry(self) -> list[ConversationRecord]:
        return [r for r in self.records if NEGATIVE.search(r.text)]

    def still(self) -> list[ConversationRecord]:
        return [r for r in self.records if STILL_NEED_HELP.search(r.text)]


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
    renewals: Mapping[str, date] | None = None,
) -> list[AccountRisk]:
    """Accounts scoring at least ``churn_min_score`` (and above 0), highest first (``first_seen``:
    known account starts; ``renewals``: accounts' renewal dates, from the CRM)."""
    seen: dict[str, datetime] = dict(first_seen or {})
    for record in model.records:
        if record.account and (record.account not in seen or record.asked_at < seen[record.account]):
            seen[record.account] = record.asked_at
    recent_start = now - timedelta(days=settings.churn_recent_days)
    baseline_start = recent_start - timedelta(days=settings.churn_baseline_days)
    basic = basic_topics(model, seen, settings)
    recent: dict[str, _Window] = defaultdict(_Window)
    before: dict[str, _Window] = defaultdict(_Window)
    recent_index: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(model.records):
        if not record.account or record.asked_at >= now or record.asked_at < baseline_start:
            continue
        if record.asked_at >= recent_start:
            recent[record.account].records.append(record)
            recent_index[record.account].append(index)
        else:
            before[record.account].records.append(record)
    weights = settings.churn_weights.as_dict()
    total_weight = sum(weights.values()) or 1.0
    # an account seen from the data's first week on predates the data: not a new account
    data_start = min(seen.values(), default=now) + timedelta(days=7)
    risks = []
    for account in set(recent) | set(before):
        peers = _Peers(account, recent, before)
        mine, own = recent[account], before[account]
        age = (now - seen[account]).days
        onboarding = age < settings.churn_young_days and seen[account] > data_start
        values = {
            "volume_rising": _volume_rising(
                mine, own, recent_start - max(seen[account], baseline_start), onboarding, settings
            ),
            "basic_questions_late": _basic_late(
                [(i, r) for i, r in zip(recent_index[account], mine.records, strict=True)],
                model,
                basic,
                seen[account],
                settings,
            ),
            "repeated_handoffs": _share_signal(
                "hand-offs", mine, own, peers, _HANDOFFS, onboarding, settings, mine.handoffs()
            ),
            "negative_replies": _negative(mine, own, peers, onboarding, settings),
            "still_need_help": _count_signal(
                "'still need help' messages", mine, own, peers, _STILL, onboarding, settings, mine.still()
            ),
            "silence_after_heavy_use": _silence(
                mine, own, recent_start - max(seen[account], baseline_start), settings
            ),
        }
        signals = [
            ChurnSignal(
                name,
                round(result.value, 3),
                weights[name],
                round(100 * weights[name] * result.value / total_weight, 1),
                result.why,
                round(result.observed, 3),
                round(result.expected, 3),
                result.p_value,
            )
            for name, result in values.items()
        ]
        score = round(sum(s.contribution for s in signals), 1)
        renews_in = _renews_in(account, renewals, now)
        near = score > 0 and renews_in is not None and renews_in <= settings.churn_renewal_days
        if near:
            score = round(min(100.0, score * settings.churn_renewal_factor), 1)
        if score <= 0 or score < settings.churn_min_score:
            continue
        signals.sort(key=lambda s: (-s.contribution, s.p_value))
        reason = "; ".join(s.evidence for s in signals if s.contribution > 0)
        if near:
            reason = f"{reason}; renews in {renews_in} days"
        if onboarding:
            reason = f"new account ({age} days, judged against peers): {reason}"
        behind = [r for result in values.values() for r in result.records]
        risks.append(
            AccountRisk(account, score, reason, signals, mine.n, own.n, age, onboarding, evidence_of(behind))
        )
    # ties: the stronger evidence (the smaller product of p-values), then the busier account
    strength = {
        r.account: sum(-math.log10(max(s.p_value, 1e-300)) for s in r.signals if s.value) for r in risks
    }
    return sorted(risks, key=lambda r: (-r.score, -strength[r.account], -r.recent_questions, r.account))


def _renews_in(account: str, renewals: Mapping[str, date] | None, now: datetime) -> int | None:
    """Days until the account's next renewal (None when unknown or already past)."""
    renewal = (renewals or {}).get(account)
    if renewal is None:
        return None
    days = (renewal - now.date()).days
    return days if days >= 0 else None


@dataclass(frozen=True, slots=True)
class _Result:
    value: float = 0.0
    why: str = ""
    observed: float = 0.0
    expected: float = 0.0
    p_value: float = 1.0
    records: tuple[ConversationRecord, ...] = ()


def _volume_rising(
    mine: _Window, own: _Window, history: timedelta, onboarding: bool, settings: InsightSettings
) -> _Result:
    history_days = history.total_seconds() / 86400
    if onboarding or history_days < MIN_HISTORY_DAYS or own.n < VOLUME_HISTORY_MIN:
        return _Result()  # no own normal yet: a young account's growth is onboarding
    expected = own.n / history_days * settings.churn_recent_days
    p_value = float(poisson.sf(mine.n - 1, expected))
    ratio = mine.n / expected
    if p_value > settings.churn_p_value or ratio < 1.5:
        return _Result(observed=mine.n, expected=expected, p_value=p_value)
    value = float(np.clip((ratio - 1.5) / 2.5, 0.0, 1.0))
    days = settings.churn_recent_days
    why = f"{mine.n} questions in {days} days vs {expected:.0f} usual for it (×{ratio:.1f})"
    return _Result(value, why, mine.n, expected, p_value, tuple(mine.records))


Measure = Callable[[_Window], tuple[int, int]]


def _HANDOFFS(w: _Window) -> tuple[int, int]:
    return w.n, len(w.handoffs())


def _UNHELPFUL(w: _Window) -> tuple[int, int]:
    return w.answered(), len(w.unhelpful())


def _ANGRY(w: _Window) -> tuple[int, int]:
    return w.n, len(w.angry())


def _STILL(w: _Window) -> tuple[int, int]:
    return w.n, len(w.still())


class _Peers:
    """Every other account: their typical (median) rate of a kind of message, now and before.

    Medians over accounts, not pooled counts, so one souring peer does not move the normal.
    """

    def __init__(self, account: str, recent: Mapping[str, _Window], before: Mapping[str, _Window]) -> None:
        self.recent = [w for a, w in recent.items() if a != account]
        self.before = [before[a] for a in recent if a != account and a in before]
        self.pairs = [(recent[a], before[a]) for a in recent if a != account and a in before]

    def now(self, measure: Measure) -> float:
        return _median_rate([measure(w) for w in self.recent])

    def change(self, measure: Measure) -> float:
        """How the typical peer's rate moved from the baseline to now (0 with too few peers)."""
        changes = []
        for new, old in self.pairs:
            (n1, k1), (n0, k0) = measure(new), measure(old)
            if n1 >= MIN_PEER_QUESTIONS and n0 >= MIN_PEER_QUESTIONS:
                changes.append(k1 / n1 - k0 / n0)
        return float(np.median(changes)) if len(changes) >= MIN_PEERS else 0.0


def _median_rate(counts: Sequence[tuple[int, int]]) -> float:
    rates = [k / n for n, k in counts if n >= MIN_PEER_QUESTIONS]
    return float(np.median(rates)) if rates else 0.0


def _normal_rate(
    own: _Window, peers: _Peers, measure: Measure, onboarding: bool, *, at_least_peers: bool = False
) -> tuple[float, str]:
    """The rate normal for this account now: its own before, moved as its peers moved, or its peers'."""
    peer_now = peers.now(measure)
    own_n, own_k = measure(own)
    if onboarding or own_n < OWN_HISTORY_MIN:
        return max(peer_now, 0.001), f"{peer_now:.0%} for its peers"
    mine = (own_k + 0.5) / (own_n + 1)
    moved = float(np.clip(mine + peers.change(measure), 0.001, 0.999))
    if at_least_peers and peer_now > moved:
        return peer_now, f"{peer_now:.0%} for its peers (its own {mine:.0%} before)"
    return moved, f"{moved:.0%} normal for it (its own {mine:.0%} before, peers now {peer_now:.0%})"


def _share_signal(
    what: str,
    mine: _Window,
    own: _Window,
    peers: _Peers,
    measure: Measure,
    onboarding: bool,
    settings: InsightSettings,
    records: Sequence[ConversationRecord] = (),
) -> _Result:
    n, k = measure(mine)
    if n == 0:
        return _Result()
    expected, normal = _normal_rate(own, peers, measure, onboarding)
    p_value = float(binom.sf(k - 1, n, expected))
    excess = k - n * expected
    if p_value > settings.churn_p_value or excess < settings.churn_min_evidence:
        return _Result(observed=k / n, expected=expected, p_value=p_value)
    value = float(np.clip((k / n - expected) / 0.4, 0.0, 1.0))
    why = f"{what} {k / n:.0%} of {n} vs {normal}"
    return _Result(value, why, k / n, expected, p_value, tuple(records))


def _count_signal(
    what: str,
    mine: _Window,
    own: _Window,
    peers: _Peers,
    measure: Measure,
    onboarding: bool,
    settings: InsightSettings,
    example: Sequence[ConversationRecord] = (),
) -> _Result:
    """A kind of message, counted against the rate normal for the account's own volume."""
    n, count = measure(mine)
    if count < settings.churn_min_evidence:
        return _Result(observed=count)
    rate, _ = _normal_rate(own, peers, measure, onboarding, at_least_peers=True)
    expected = rate * n
    p_value = float(poisson.sf(count - 1, expected))
    if p_value > settings.churn_p_value:
        return _Result(observed=count, expected=expected, p_value=p_value)
    value = float(np.clip((count - expected) / (2 * settings.churn_min_evidence + 4), 0.0, 1.0))
    quoted = f", e.g. “{example[-1].text[:60]}”" if example else ""
    why = f"{count} {what} in {n} questions vs {expected:.1f} expected{quoted}"
    return _Result(value, why, count, expected, p_value, tuple(example))


def _negative(
    mine: _Window,
    own: _Window,
    peers: _Peers,
    onboarding: bool,
    settings: InsightSettings,
) -> _Result:
    angry = _count_signal("negative messages", mine, own, peers, _ANGRY, onboarding, settings, mine.angry())
    unhelpful = _share_signal(
        "unhelpful answers", mine, own, peers, _UNHELPFUL, onboarding, settings, mine.unhelpful()
    )
    if not angry.value and not unhelpful.value:
        return angry if angry.p_value <= unhelpful.p_value else unhelpful
    why = " and ".join(w for w in (angry.why, unhelpful.why) if w)
    return _Result(
        min(1.0, angry.value + unhelpful.value),
        why,
        angry.observed,
        angry.expected,
        min(angry.p_value, unhelpful.p_value),
        angry.records + unhelpful.records,
    )


def _basic_late(
    recent: Sequence[tuple[int, ConversationRecord]],
    model: TopicModel,
    basic: set[int],
    first_seen: datetime,
    settings: InsightSettings,
) -> _Result:
    mature = timedelta(days=settings.churn_mature_days)
    late = [r for i, r in recent if model.assignment[i] in basic and r.asked_at - first_seen >= mature]
    if not late:
        return _Result()
    age = (late[-1].asked_at - first_seen).days
    why = f"{len(late)} basic question(s) after {age} days, e.g. “{late[-1].text[:60]}”"
    return _Result(min(1.0, len(late) / 3), why, len(late), 0.0, 1.0, tuple(late))


def _silence(mine: _Window, own: _Window, history: timedelta, settings: InsightSettings) -> _Result:
    """A heavy user gone quiet; its evidence is its last messages (the few recent ones included)."""
    recent, baseline = mine.n, own.n
    last = (*own.records[-SILENCE_EVIDENCE:], *mine.records)
    history_days = history.total_seconds() / 86400
    if history_days < MIN_HISTORY_DAYS:
        return _Result()
    weekly = baseline / history_days * 7
    if weekly < settings.churn_heavy_weekly:
        return _Result()
    expected = weekly / 7 * settings.churn_recent_days
    p_value = float(poisson.cdf(recent, expected))
    if p_value > settings.churn_p_value:
        return _Result(observed=recent, expected=expected, p_value=p_value)
    if recent == 0:
        why = f"silent for {settings.churn_recent_days} days after {weekly:.0f} questions a week"
        return _Result(1.0, why, recent, expected, p_value, last)
    days = settings.churn_recent_days
    why = f"{recent} questions in {days} days vs {expected:.0f} usual ({weekly:.0f} a week)"
    return _Result(float(np.clip(1 - recent / expected, 0.0, 1.0)), why, recent, expected, p_value, last)
