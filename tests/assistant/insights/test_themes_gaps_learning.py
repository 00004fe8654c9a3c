"""Feature-request themes, knowledge gaps and learning health."""

from __future__ import annotations

from datetime import date

import numpy as np

from assistant.insights.gaps import draft_answer, knowledge_gaps
from assistant.insights.learning_health import learning_health
from assistant.insights.requests import feature_themes, trend_of
from assistant.insights.settings import InsightSettings
from assistant.insights.text import vectors
from assistant.insights.topics import build_topics
from assistant.models import Decision
from tests.assistant.insights.conftest import T0, RecordMaker, days

SINCE, UNTIL = T0 + days(7), T0 + days(14)


def test_feature_requests_grouped_with_counts_accounts_and_trend(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = [
        make("Please add dark mode", topic=3, account="a", at=T0 + days(1)),
        make("Could we get a dark theme?", topic=3, account="b", at=T0 + days(8)),
        make("Dark mode would be great", topic=3, account="c", at=T0 + days(9)),
        make("Dark mode please", topic=3, account="b", at=T0 + days(10)),
        make("Add SSO with Okta", topic=4, account="a", at=T0 + days(11)),
        make("How do I export?", topic=5, account="a", at=T0 + days(11)),
        make("Old request for SSO", topic=4, account="a", at=T0 + days(2)),
        make("Another old SSO ask", topic=4, account="d", at=T0 + days(3)),
        make("Dark mode, from last month", topic=3, account="z", at=T0 - days(20)),
    ]
    probability = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9])
    themes = feature_themes(
        records, probability, vectors(records), insight_settings, since=SINCE, until=UNTIL
    )
    assert [(t.count, t.previous_count, t.trend) for t in themes] == [(3, 1, "up"), (1, 2, "down")]
    assert themes[0].accounts == ["b", "c"]
    assert len(themes[0].examples) == 3
    assert trend_of(2, 0) == "new" and trend_of(5, 4) == "flat"


def test_a_topic_kept_handed_off_is_a_gap_with_a_drafted_answer(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    reply = "Go to Settings > Billing > Invoices and press Download."
    records = [
        make(
            "Where do I download invoices?",
            topic=1,
            at=T0 + days(8 + i),
            decision=Decision.HANDOFF,
            account=f"acct{i}",
            agent_reply=reply if i != 1 else "Try the billing page.",
        )
        for i in range(4)
    ]
    records.append(
        make(
            "Where can I download an invoice?",
            topic=1,
            at=T0 + days(2),
            decision=Decision.HANDOFF,
            agent_reply=reply,
        )
    )
    records += [make("How do I log in?", topic=2, at=T0 + days(8 + i)) for i in range(4)]
    model = build_topics(records, threshold=insight_settings.topic_similarity)
    gaps = knowledge_gaps(model, insight_settings, since=SINCE, until=UNTIL)
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.handoffs == 4 and gap.questions == 4 and gap.handoff_rate == 1.0
    assert gap.candidate_answer == reply and gap.agreeing_replies == 4 and gap.replies == 5
    assert gap.accounts == ["acct0", "acct1", "acct2", "acct3"]
    strict = InsightSettings(gap_min_handoffs=5, _env_file=None)  # type: ignore[call-arg]
    assert knowledge_gaps(model, strict, since=SINCE, until=UNTIL) == []


def test_draft_answer_edge_cases() -> None:
    assert draft_answer([]) == (None, 0)
    assert draft_answer(["", "  "]) == (None, 0)
    assert draft_answer(["Only one."]) == ("Only one.", 1)


def test_learning_health_per_week_and_month_over_month(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = []
    # March: half handed off, a third of answers wrong; April: fewer hand-offs, all right
    for i in range(12):
        answered = i % 2 == 0
        records.append(
            make(
                "q",
                at=T0 + days(i),
                decision=Decision.ANSWER if answered else Decision.HANDOFF,
                outcome=(i % 6 != 0) if answered else None,
                corrected=answered and i % 6 == 0,
            )
        )
    for i in range(12):
        answered = i % 4 != 0
        records.append(
            make(
                "q",
                at=T0 + days(31 + i),
                decision=Decision.ANSWER if answered else Decision.HANDOFF,
                outcome=True if answered else None,
            )
        )
    health = learning_health(records, insight_settings.zone, until=date(2026, 4, 30))
    assert [m.period for m in health.months] == ["2026-03", "2026-04"]
    march, april = health.months
    assert (march.questions, march.answered, march.wrong, march.corrections) == (12, 6, 2, 2)
    assert march.precision == round(4 / 6, 4) and march.auto_resolution == round(4 / 12, 4)
    assert april.handoff_rate == 0.25 and april.precision == 1.0
    assert health.month_over_month == {
        "auto_resolution": "improved",
        "precision": "improved",
        "handoff_rate": "improved",
        "correction_rate": "improved",
    }
    assert health.verdict is not None and health.verdict.verdict == "not enough data"
    assert health.improving is None, "24 questions decide nothing"
    assert health.weeks[0].period == "2026-W10" and sum(w.questions for w in health.weeks) == 24
    assert learning_health([], insight_settings.zone, until=date(2026, 4, 30)).improving is None
