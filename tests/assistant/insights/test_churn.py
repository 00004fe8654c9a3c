"""Churn risk: each signal shows, weights are configurable, accounts are ranked with a reason."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from assistant.insights.churn import AccountRisk, score_accounts
from assistant.insights.records import ConversationRecord
from assistant.insights.settings import ChurnWeights, InsightSettings
from assistant.insights.topics import build_topics
from assistant.models import Decision
from tests.assistant.insights.conftest import T0, RecordMaker, days

NOW = T0 + days(120)


def steady(
    make: RecordMaker, account: str, per_week: int, start: float = 0, end: float = 120
) -> list[ConversationRecord]:
    records = []
    week = start
    while week < end:
        records += [
            make("How do I export a report?", topic=1, account=account, at=T0 + days(week + i * 7 / per_week))
            for i in range(per_week)
        ]
        week += 7
    return records


def risks(records: list[ConversationRecord], settings: InsightSettings, now: datetime = NOW):  # type: ignore[no-untyped-def]
    model = build_topics(records, threshold=settings.topic_similarity)
    return {r.account: r for r in score_accounts(model, settings, now=now)}


def test_a_steady_account_has_no_risk(make: RecordMaker, insight_settings: InsightSettings) -> None:
    assert "calm" not in risks(steady(make, "calm", 2), insight_settings)


def sour_messages(make: RecordMaker, account: str, count: int, text: str) -> list[ConversationRecord]:
    return [
        make(
            text, topic=2, account=account, at=NOW - days(10) + days(i * 8 / count), decision=Decision.HANDOFF
        )
        for i in range(count)
    ]


def test_rising_volume_handoffs_and_complaints_add_up(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = steady(make, "calm", 2) + steady(make, "sour", 3)
    for i in range(8):
        records.append(
            make(
                "I still need help, the export is still not working"
                if i % 2
                else "This is frustrating, nothing works",
                topic=2,
                account="sour",
                at=NOW - days(10) + days(i),
                decision=Decision.HANDOFF,
            )
        )
    found = risks(records, insight_settings)
    sour = found["sour"]
    by_name = {s.name: s for s in sour.signals}
    assert by_name["volume_rising"].value > 0
    assert by_name["repeated_handoffs"].value == 1.0
    assert by_name["negative_replies"].value > 0
    assert by_name["still_need_help"].value > 0
    assert by_name["silence_after_heavy_use"].value == 0
    assert by_name["repeated_handoffs"].expected < 0.1, "its own normal: no hand-offs before"
    assert "hand-offs" in sour.reason and "still need help" in sour.reason and " vs " in sour.reason
    assert sour.signals[0].contribution >= sour.signals[-1].contribution
    assert {e.question_id for e in sour.evidence} >= {r.question_id for r in records[-8:]}
    assert list(found) == ["sour"], "the calm account is not named"


def test_more_anger_scores_higher_and_refunds_are_not_anger(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = steady(make, "angry13", 3) + steady(make, "angry4", 3) + steady(make, "refunds", 3)
    for calm in ("c1", "c2", "c3", "c4"):
        records += steady(make, calm, 3)
    records += sour_messages(make, "angry13", 13, "This is unacceptable, we are fed up")
    records += sour_messages(make, "angry4", 4, "This is unacceptable, we are fed up")
    records += sour_messages(make, "refunds", 6, "How do I get a refund for the unused seats?")
    found = risks(records, insight_settings)
    assert found["angry13"].score > found["angry4"].score, "negative wording does not saturate at 3"
    negative = {s.name: s for s in found["angry13"].signals}["negative_replies"]
    assert negative.observed == 13 and negative.expected < 1
    assert "refunds" not in found or all(
        s.value == 0 for s in found["refunds"].signals if s.name == "negative_replies"
    )


def test_a_new_account_is_judged_against_its_peers_not_against_zero(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = steady(make, "old1", 5) + steady(make, "old2", 5)
    records += steady(make, "newbie", 12, start=110)  # ten days old, busy as onboarding accounts are
    found = risks(records, insight_settings)
    assert "newbie" not in found, "busy onboarding is not volume rising against zero"


def test_silence_after_heavy_use(make: RecordMaker, insight_settings: InsightSettings) -> None:
    records = steady(make, "gone", 10, end=100) + steady(make, "calm", 2)
    gone = risks(records, insight_settings)["gone"]
    silence = next(s for s in gone.signals if s.name == "silence_after_heavy_use")
    assert silence.value == 1.0 and "silent" in gone.reason
    assert gone.recent_questions == 0


def test_basic_questions_late_in_an_accounts_life(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = []
    for n, account in enumerate(["new1", "new2", "new3"]):  # young accounts ask the basics
        records += [
            make("How do I add a user?", topic=7, account=account, at=T0 + days(100 + n + i))
            for i in range(2)
        ]
    records += steady(make, "old", 1)
    records += [
        make("how do I add a user", topic=7, account="old", at=NOW - days(2) + days(i * 0.5))
        for i in range(3)
    ]
    first_seen = {"new1": T0 + days(100), "new2": T0 + days(101), "new3": T0 + days(102), "old": T0}
    model = build_topics(records, threshold=insight_settings.topic_similarity)
    old = {r.account: r for r in score_accounts(model, insight_settings, now=NOW, first_seen=first_seen)}[
        "old"
    ]
    basic = next(s for s in old.signals if s.name == "basic_questions_late")
    assert basic.value == 1.0 and "basic question" in basic.evidence


def test_weights_are_configurable(make: RecordMaker) -> None:
    records = steady(make, "gone", 10, end=100)
    off = InsightSettings(churn_weights=ChurnWeights(silence_after_heavy_use=0), _env_file=None)  # type: ignore[call-arg]
    assert "gone" not in risks(records, off)
    heavy = InsightSettings(churn_weights=ChurnWeights(silence_after_heavy_use=10), _env_file=None)  # type: ignore[call-arg]
    default = InsightSettings(_env_file=None)  # type: ignore[call-arg]
    assert risks(records, heavy)["gone"].score > risks(records, default)["gone"].score


def test_a_near_renewal_weighs_more_but_is_never_a_risk_alone(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    """Issue 17: the CRM's renewal date weighs in: the same souring scores higher when the account
    renews within churn_renewal_days, and the reason says so; a calm account renewing soon is not
    named, nor is a renewal already past or further away counted."""
    records = steady(make, "calm", 2) + steady(make, "sour", 3)
    records += sour_messages(make, "sour", 8, "This is frustrating, nothing works")
    model = build_topics(records, threshold=insight_settings.topic_similarity)

    def scored(renewals: dict[str, date]) -> dict[str, AccountRisk]:
        return {r.account: r for r in score_accounts(model, insight_settings, now=NOW, renewals=renewals)}

    plain = scored({})["sour"]
    soon = scored({"sour": NOW.date() + timedelta(days=30), "calm": NOW.date() + timedelta(days=5)})
    assert soon["sour"].score == min(100.0, round(plain.score * insight_settings.churn_renewal_factor, 1))
    assert soon["sour"].score > plain.score and soon["sour"].reason.endswith("renews in 30 days")
    assert "calm" not in soon
    later = scored({"sour": NOW.date() + timedelta(days=200)})["sour"]
    past = scored({"sour": NOW.date() - timedelta(days=3)})["sour"]
    assert later.score == past.score == plain.score and "renews" not in later.reason
