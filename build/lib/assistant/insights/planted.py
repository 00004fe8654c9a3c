"""Support streams with planted truths, to judge the insight detectors against known answers.

``planted_stream`` builds four weeks of traffic (by default) from accounts of uneven size, with a
weekday/weekend rhythm, an account onboarding mid-stream and fine-grained problems grouped in
families (problems of one family are close in embedding space, as nine transfer problems are).
Into it it plants, in the last week: volume spikes of several sizes on single problems, a bug
reported in many wordings by several accounts, feature-request themes, a knowledge gap, souring
accounts among healthy ones (a heavy healthy account included), a how-to question that reads like
a bug and routine problems that read like malfunctions. ``PlantedTruth`` says what a good digest
finds; ``assistant.insights.scoring`` scores a digest against it.

Embeddings are synthetic (a direction per problem, noise per message), so the stream needs no
model. Texts are templated, or real questions of the same intents when ``intent_texts`` is given
(``load_intent_texts`` reads them from the shared clinc150 data at test or benchmark time).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.insights.records import ConversationRecord
from assistant.models import Decision

DIMENSION = 96
START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday

#: Fine problems (clinc150 intents) by family; problems of a family share a direction.
FAMILIES: dict[str, tuple[str, ...]] = {
    "money": (
        "transfer",
        "balance",
        "bill_balance",
        "bill_due",
        "pay_bill",
        "transactions",
        "direct_deposit",
    ),
    "cards": ("card_declined", "damaged_card", "new_card", "report_lost_card", "pin_change", "report_fraud"),
    "credit": ("credit_limit", "credit_score", "apr", "interest_rate", "redeem_rewards", "rewards_balance"),
    "people": ("pto_balance", "pto_request", "pto_used", "payday", "w2", "income", "taxes"),
}
#: Problems new accounts ask about most (onboarding).
ONBOARDING = ("new_card", "pin_change", "direct_deposit", "pay_bill")
#: A routine problem that reads like a malfunction ("my card was declined"): never a bug.
ROUTINE_MALFUNCTION = ("card_declined", "report_fraud")

TEMPLATES = (
    "How does {p} work for our team?",
    "Where can I see our {p}?",
    "Can you explain {p} to me?",
    "what's the process for {p}?",
    "Quick question about {p}, where do I find it?",
    "how do i check {p}",
)
BUG_EXPORT = (
    "CSV export fails with error 500",
    "Exporting the report to CSV gives a 500 error since this morning",
    "export to csv is broken, we get an error every time",
    "The export button does nothing now, the report is never exported",
    "Our scheduled CSV export failed overnight with an error",
    "Export of the monthly report crashes with 'something went wrong'",
    "csv export broken again?? error 500 on every report",
    "The exported CSV file is empty, export seems broken",
)
BUG_DOWNLOAD = (
    "Downloading the report fails with a server error",
    "Report download is broken: the file comes back empty",
    "download of the monthly report errors out since today",
    "When I click download on a report I get error 500",
    "The report download spins forever and then fails",
    "Can't download any report, it fails with an error",
    "report downloads are failing for our whole team",
)
HOWTO_BUGLIKE = (
    "The API key reset is not working, how do I reset our API key?",
    "How do I reset the API key? The reset doesn't seem to work",
    "api key reset not working for me, what are the steps?",
)
HOWTO_ANSWER = "Settings → API → Regenerate key; the old key stops working after 10 minutes."
THEMES: dict[str, tuple[str, ...]] = {
    "dark_mode": (
        "Please add a dark mode to the dashboard",
        "Feature request: dark mode for the web app would be great",
        "Could you add a dark theme? our agents work at night",
        "We'd love a dark mode option",
    ),
    "okta_sso": (
        "Please add SSO with Okta",
        "Feature request: support single sign-on through Okta",
        "We would like SAML SSO (Okta) for our workspace",
    ),
    "bulk_edit": (
        "It would be great to be able to bulk edit contacts",
        "Feature request: let us edit many records at once",
        "Please add bulk editing of records",
    ),
}
GAP_QUESTIONS = (
    "How do we verify the webhook signature header?",
    "Webhook signature verification keeps failing on our side, how is it computed?",
    "Which secret signs the webhook payloads?",
    "What algorithm is used for the webhook signature?",
)
GAP_REPLIES = (
    "Compute HMAC-SHA256 of the raw body with your signing secret and compare with X-Signature.",
    "The X-Signature header is an HMAC-SHA256 of the raw request body, keyed with the signing secret.",
    "Use the signing secret from Settings → Webhooks; X-Signature is HMAC-SHA256 of the raw body.",
)
ANGRY = (
    "This is unacceptable, the third outage this month",
    "Honestly we are frustrated, nothing works as promised",
    "We are fed up with waiting for answers",
    "This is ridiculous, we've been blocked for days",
    "Very disappointed with the support lately",
    "We are looking at a competitor if this goes on",
)
STILL = (
    "Any update on this? still not working",
    "Still waiting for an answer on our ticket",
    "Following up again, the issue is not resolved",
    "still broken for us, any news?",
    "Same problem again as last week",
)
REFUND = (
    "How do I get a refund for a duplicate charge?",
    "Can we get a refund for the unused seats?",
)

SpikeSize = tuple[str, int, int, float]
#: Default spikes: (problem, first day of the stream, days, multiplier of its usual volume).
SPIKES: tuple[SpikeSize, ...] = (
    ("transfer", 22, 2, 6.0),
    ("pto_request", 24, 1, 4.0),
    ("credit_limit", 25, 1, 12.0),
)

ChurnKind = Literal["handoffs_and_anger", "still_need_help", "silence"]
LearningTrend = Literal["improving", "flat"]


@dataclass(frozen=True, slots=True)
class Spike:
    """A planted spike: ``extra`` questions a day on ``days`` (``multiplier`` × the usual)."""

    problem: str
    days: tuple[date, ...]
    multiplier: float
    extra: int


@dataclass(slots=True)
class PlantedTruth:
    """What a good digest finds in a planted stream (and what it must not report)."""

    period_start: datetime
    period_end: datetime
    problem_of: dict[str, str] = field(default_factory=dict)
    spikes: list[Spike] = field(default_factory=list)
    quiet_problem: str = "pto_balance"
    bug_ids: set[str] = field(default_factory=set)
    bug_accounts: set[str] = field(default_factory=set)
    howto_ids: set[str] = field(default_factory=set)
    themes: dict[str, set[str]] = field(default_factory=dict)
    gap_ids: set[str] = field(default_factory=set)
    busy_low_gap: str = "balance"
    souring: dict[str, ChurnKind] = field(default_factory=dict)
    heavy_healthy: str = ""
    new_account: str = ""
    accounts: list[str] = field(default_factory=list)
    learning: Literal["improving", "same", "not enough data"] = "improving"

    @property
    def healthy(self) -> set[str]:
        return set(self.accounts) - set(self.souring)


@dataclass(frozen=True, slots=True)
class StreamShape:
    """The knobs of a planted stream (its defaults are the reference scenario)."""

    seed: int = 0
    weeks: int = 4
    accounts: int = 20
    weekday_volume: float = 110.0
    weekend_share: float = 0.15
    spikes: tuple[SpikeSize, ...] = SPIKES
    bug_messages: int = 20
    bug_accounts: int = 7
    learning: LearningTrend = "improving"
    souring: tuple[ChurnKind, ...] = ("handoffs_and_anger", "still_need_help", "silence")


COMPANIES = (
    "zenith",
    "acorn",
    "meridian",
    "baltic",
    "harbor",
    "quill",
    "nimbus",
    "orchard",
    "pioneer",
    "lumen",
    "cobalt",
    "fjord",
    "granite",
    "juniper",
    "kestrel",
    "mosaic",
    "tundra",
    "vertex",
    "willow",
    "yonder",
    "beacon",
    "cedar",
    "delta",
    "ember",
)


class _Space:
    """Synthetic unit embeddings: families, problems close within a family, noisy messages."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.centers: dict[str, np.ndarray] = {}
        for family, problems in FAMILIES.items():
            base = self._unit()
            for problem in problems:
                self.centers[problem] = self._mix(base, 0.8)
            self.centers[family] = base
        bug = self._unit()
        self.centers["bug_export"] = self._mix(bug, 0.85)
        self.centers["bug_download"] = self._mix(bug, 0.85)
        for name in ("howto_api_key", "gap_webhooks", *THEMES, "angry", "still", "refund"):
            self.centers[name] = self._unit()

    def _unit(self) -> np.ndarray:
        vector = self.rng.standard_normal(DIMENSION)
        return vector / np.linalg.norm(vector)

    def _mix(self, base: np.ndarray, share: float) -> np.ndarray:
        vector = share * base + np.sqrt(1 - share**2) * self._unit()
        return vector / np.linalg.norm(vector)

    def message(self, problem: str, closeness: float = 0.88) -> np.ndarray:
        return self._mix(self.centers[problem], closeness).astype(np.float32)


class _Builder:
    def __init__(self, shape: StreamShape, texts: Mapping[str, Sequence[str]] | None) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.space = _Space(np.random.default_rng(shape.seed))
        self.texts = texts or {}
        self.records: list[ConversationRecord] = []
        self.truth_problem: dict[str, str] = {}

    def text(self, problem: str) -> str:
        real = self.texts.get(problem)
        if real:
            return self.rng.choice(list(real))
        return self.rng.choice(TEMPLATES).format(p=problem.replace("_", " "))

    def add(
        self,
        problem: str,
        account: str,
        at: datetime,
        *,
        text: str | None = None,
        handoff: float = 0.2,
        center: str | None = None,
        reply: str | None = None,
        outcome: bool | Literal["auto"] | None = "auto",
        not_helped: int = 0,
    ) -> ConversationRecord:
        handed = self.rng.random() < handoff
        if outcome == "auto":
            roll = self.rng.random()
            outcome = None if handed else (True if roll < 0.6 else (False if roll < 0.66 else None))
        number = len(self.records) + 1
        record = ConversationRecord(
            question_id=f"q{number:06d}",
            text=text if text is not None else self.text(problem),
            account=account,
            asked_at=at,
            decision=Decision.HANDOFF if handed else Decision.ANSWER,
            channel=f"C{account.upper()}",
            user=f"{account}-u{self.rng.randrange(4)}",
            outcome=None if handed else outcome,
            not_helped=0 if handed else not_helped,
            agent_reply=reply if handed else None,
            link=f"https://example.slack.com/archives/C{account.upper()}/p{number:016d}",
            external_id=f"{1772000000 + number}.{number:06d}",
            embedding=self.space.message(center or problem),
        )
        self.records.append(record)
        self.truth_problem[record.question_id] = problem
        return record

    def moment(self, day: date) -> datetime:
        minutes = self.rng.randrange(8 * 60, 18 * 60)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)


def planted_stream(
    shape: StreamShape = StreamShape(), *, intent_texts: Mapping[str, Sequence[str]] | None = None
) -> tuple[list[ConversationRecord], PlantedTruth]:
    """A stream and its truth; the digest period is the last seven days."""
    b = _Builder(shape, intent_texts)
    rng = b.rng
    total_days = shape.weeks * 7
    first_day = START.date()
    period_first = total_days - 7
    names = list(COMPANIES[: shape.accounts + 1])
    rng.shuffle(names)
    new_account, accounts = names[0], names[1:]
    sizes = [1.0 / (rank + 1) ** 0.8 for rank in range(len(accounts))]
    weight = dict(zip(accounts, sizes, strict=True))
    heavy = accounts[0]
    ranked_mid = accounts[3:9]
    souring = dict(zip(ranked_mid, shape.souring, strict=False))
    truth = PlantedTruth(
        period_start=START + timedelta(days=period_first),
        period_end=START + timedelta(days=total_days),
        accounts=[*accounts, new_account],
        heavy_healthy=heavy,
        new_account=new_account,
        souring=dict(souring),
    )
    problems = [p for family in FAMILIES.values() for p in family]
    popularity = {p: 1.0 / (rank + 1) ** 0.6 for rank, p in enumerate(rng.sample(problems, len(problems)))}
    popularity_sum = sum(popularity.values())
    sour_start = total_days - 14
    silent_from = total_days - 12

    for offset in range(total_days):
        day = first_day + timedelta(days=offset)
        weekend = day.weekday() >= 5
        progress = offset / max(1, total_days - 1)
        base_handoff = 0.55 - 0.3 * progress if shape.learning == "improving" else 0.35
        volume = shape.weekday_volume * (shape.weekend_share if weekend else 1.0)
        for account in accounts:
            if souring.get(account) == "silence" and offset >= silent_from:
                continue
            expected = volume * weight[account] / sum(sizes)
            for _ in range(_poisson(rng, expected)):
                problem = _pick(rng, popularity, popularity_sum)
                handoff = base_handoff
                if souring.get(account) == "handoffs_and_anger" and offset >= sour_start:
                    handoff = 0.85
                unhappy = souring.get(account) == "still_need_help" and offset >= sour_start
                not_helped = 1 if unhappy and rng.random() < 0.3 else 0
                b.add(problem, account, b.moment(day), handoff=handoff, not_helped=not_helped)
        if offset >= total_days // 2:  # the new account onboards mid-stream, busier each day
            age = offset - total_days // 2
            for _ in range(_poisson(rng, (0.3 if weekend else 1.0) * (3 + 0.4 * age))):
                b.add(rng.choice(ONBOARDING), new_account, b.moment(day), handoff=base_handoff)
        # a knowledge gap: a rare problem agents always answer by hand (every weekday of the period)
        gap_today = 0 if weekend else _poisson(rng, 0.5) + (1 if offset >= period_first else 0)
        for _ in range(gap_today):
            gap = b.add(
                "gap_webhooks",
                rng.choice(accounts[:12]),
                b.moment(day),
                text=rng.choice(GAP_QUESTIONS),
                handoff=0.92,
                reply=rng.choice(GAP_REPLIES),
            )
            if offset >= period_first:
                truth.gap_ids.add(gap.question_id)
        # the healthy heavy account asks for refunds now and then: not anger
        if not weekend and rng.random() < 0.25:
            b.add("refund", heavy, b.moment(day), text=rng.choice(REFUND), handoff=base_handoff)
        # feature requests before the period, for the trend
        if offset < period_first and offset % 6 == 3:
            b.add("dark_mode", rng.choice(accounts), b.moment(day), text=THEMES["dark_mode"][offset % 4])

    _plant_spikes(b, truth, shape, popularity, popularity_sum, accounts, weight, period_first)
    _plant_period(b, truth, shape, accounts, souring, sour_start, period_first)
    truth.problem_of = dict(b.truth_problem)
    truth.learning = "improving" if shape.learning == "improving" else "same"
    return sorted(b.records, key=lambda r: (r.asked_at, r.question_id)), truth


def _plant_spikes(
    b: _Builder,
    truth: PlantedTruth,
    shape: StreamShape,
    popularity: Mapping[str, float],
    popularity_sum: float,
    accounts: Sequence[str],
    weight: Mapping[str, float],
    period_first: int,
) -> None:
    rng = b.rng
    for problem, first, length, multiplier in shape.spikes:
        usual = shape.weekday_volume * popularity[problem] / popularity_sum
        extra = max(3, round((multiplier - 1) * usual))
        days = tuple(START.date() + timedelta(days=first + i) for i in range(length))
        for day in days:
            for _ in range(extra):
                account = rng.choices(list(accounts), weights=[weight[a] for a in accounts])[0]
                b.add(problem, account, b.moment(day))
        truth.spikes.append(Spike(problem, days, multiplier, extra))


def _plant_period(
    b: _Builder,
    truth: PlantedTruth,
    shape: StreamShape,
    accounts: Sequence[str],
    souring: Mapping[str, ChurnKind],
    sour_start: int,
    period_first: int,
) -> None:
    rng = b.rng
    total_days = shape.weeks * 7
    weekdays = [
        START.date() + timedelta(days=d)
        for d in range(period_first, total_days)
        if (START + timedelta(days=d)).weekday() < 5
    ]
    # the bug: many wordings, several accounts, in the last days
    reporters = rng.sample(list(accounts[1:]), shape.bug_accounts)
    wordings = [("bug_export", t) for t in BUG_EXPORT] + [("bug_download", t) for t in BUG_DOWNLOAD]
    for n in range(shape.bug_messages):
        center, text = wordings[n % len(wordings)]
        day = weekdays[min(len(weekdays) - 1, 2 + n * 3 // shape.bug_messages)]
        record = b.add(
            "bug", reporters[n % len(reporters)], b.moment(day), text=text, center=center, handoff=0.7
        )
        truth.bug_ids.add(record.question_id)
        truth.bug_accounts.add(record.account or "")
    # a documented how-to that reads like a bug, answered well, from three accounts
    for n, account in enumerate(rng.sample(list(accounts), 3)):
        record = b.add(
            "howto_api_key",
            account,
            b.moment(weekdays[1 + n]),
            text=HOWTO_BUGLIKE[n],
            handoff=0.0,
            outcome=True,
            reply=HOWTO_ANSWER,
        )
        truth.howto_ids.add(record.question_id)
    # feature requests in the period
    for theme, count, requesters in (("dark_mode", 6, 4), ("okta_sso", 4, 3), ("bulk_edit", 3, 2)):
        asking = rng.sample(list(accounts), requesters)
        ids = truth.themes.setdefault(theme, set())
        for n in range(count):
            texts = THEMES[theme]
            record = b.add(
                theme, asking[n % requesters], b.moment(rng.choice(weekdays)), text=texts[n % len(texts)]
            )
            ids.add(record.question_id)
    # souring accounts' words
    sour_days = [START.date() + timedelta(days=d) for d in range(sour_start, total_days)]
    for account, kind in souring.items():
        if kind == "handoffs_and_anger":
            for n in range(6):
                b.add("angry", account, b.moment(rng.choice(sour_days)), text=ANGRY[n], handoff=0.9)
        elif kind == "still_need_help":
            for n in range(5):
                b.add("still", account, b.moment(rng.choice(sour_days)), text=STILL[n], handoff=0.5)
    # everyone is sometimes unhappy: one angry message for a couple of healthy accounts
    for account in rng.sample([a for a in accounts if a not in souring], 2):
        b.add("angry", account, b.moment(rng.choice(sour_days)), text=rng.choice(ANGRY), handoff=0.5)


def _poisson(rng: random.Random, mean: float) -> int:
    return int(np.random.default_rng(rng.randrange(2**32)).poisson(mean))


def _pick(rng: random.Random, popularity: Mapping[str, float], total: float) -> str:
    roll = rng.random() * total
    for problem, share in popularity.items():
        roll -= share
        if roll <= 0:
            return problem
    return list(popularity)[-1]


def load_intent_texts(folder: Path) -> dict[str, list[str]]:
    """Real questions per intent from a clinc150-style folder (``test.jsonl``, ``stream.jsonl``)."""
    texts: dict[str, list[str]] = defaultdict(list)
    for name in ("test.jsonl", "stream.jsonl"):
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                if item.get("gold"):
                    texts[item["gold"]].append(item["text"])
    return {intent: list(dict.fromkeys(values)) for intent, values in texts.items()}
