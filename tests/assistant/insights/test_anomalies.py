"""Anomalies: daily volume against each series' own weekday-seasonal baseline."""

from __future__ import annotations

from datetime import date

from assistant.insights.anomalies import TOTAL, daily_volume, detect_anomalies
from assistant.insights.records import ConversationRecord
from assistant.insights.settings import InsightSettings
from assistant.insights.text import local_day
from assistant.insights.topics import build_topics
from tests.assistant.insights.conftest import T0, RecordMaker, days, hours

WEEKS = 5
INVOICES, LOGIN, NEW = 0, 1, 2


def history(make: RecordMaker) -> list[ConversationRecord]:
    """Invoices: 6 a weekday, 1 a weekend day; login: 3 every day; five weeks from Monday T0."""
    records = []
    for day in range(WEEKS * 7):
        weekend = (T0 + days(day)).weekday() >= 5
        for i in range(1 if weekend else 6):
            records.append(make("Where are my invoices?", topic=INVOICES, at=T0 + days(day) + hours(i)))
        for i in range(3):
            records.append(make("Login link expired", topic=LOGIN, at=T0 + days(day) + hours(i + 0.5)))
    return records


def extra(make: RecordMaker, topic: int, text: str, day: int, count: int) -> list[ConversationRecord]:
    return [
        make(text, topic=topic, account=f"acct{i % 3}", at=T0 + days(day) + hours(8 + i * 0.1))
        for i in range(count)
    ]


def flagged(records: list[ConversationRecord], checked: list[date], settings: InsightSettings):  # type: ignore[no-untyped-def]
    model = build_topics(records, threshold=settings.topic_similarity)
    return detect_anomalies(model, checked, settings)


def test_a_quiet_history_flags_nothing(make: RecordMaker, insight_settings: InsightSettings) -> None:
    records = history(make)
    checked = [local_day(T0 + days(d), insight_settings.zone) for d in range(14, WEEKS * 7)]
    assert flagged(records, checked, insight_settings) == []


def test_a_topic_spike_is_flagged_with_its_size_and_examples(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    spike_day = 30  # a Wednesday
    records = history(make) + extra(make, LOGIN, "Login link expired again", spike_day, 12)
    day = local_day(T0 + days(spike_day), insight_settings.zone)
    found = flagged(records, [day], insight_settings)
    login = [a for a in found if a.series != TOTAL]
    assert len(login) == 1
    spike = login[0]
    assert spike.kind == "spike" and spike.day == day and spike.count == 15
    assert spike.expected > 2 and spike.ratio >= 4
    assert spike.p_value < insight_settings.anomaly_p_value
    assert "Login link expired" in spike.name
    assert len(spike.examples) == insight_settings.anomaly_examples
    assert all(local_day(e.asked_at, insight_settings.zone) == day for e in spike.examples)


def test_the_total_is_a_series_too(make: RecordMaker, insight_settings: InsightSettings) -> None:
    spike_day = 30
    records = history(make) + extra(make, LOGIN, "Login link expired again", spike_day, 20)
    found = flagged(records, [local_day(T0 + days(spike_day), insight_settings.zone)], insight_settings)
    assert {a.series for a in found} >= {TOTAL}


def test_weekday_seasonality_decides(make: RecordMaker, insight_settings: InsightSettings) -> None:
    saturday, monday = 33, 35
    records = history(make) + extra(make, INVOICES, "Where are my invoices?", saturday, 11)
    records += extra(make, INVOICES, "Where are my invoices?", monday, 6)
    zone = insight_settings.zone
    found = flagged(
        records, [local_day(T0 + days(saturday), zone), local_day(T0 + days(monday), zone)], insight_settings
    )
    invoices = [a for a in found if a.series != TOTAL]
    assert [a.day.weekday() for a in invoices] == [5], "12 is a spike on a Saturday, not on a Monday"


def test_thresholds_are_configurable(make: RecordMaker) -> None:
    spike_day = 30
    records = history(make) + extra(make, LOGIN, "Login link expired again", spike_day, 12)
    strict = InsightSettings(anomaly_min_count=50, anomaly_total_min_count=50, _env_file=None)  # type: ignore[call-arg]
    assert flagged(records, [local_day(T0 + days(spike_day), strict.zone)], strict) == []


def test_a_new_topic_growing_fast_is_flagged_once(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = history(make)
    for day in (31, 32, 33):
        records += extra(make, NEW, "The new mobile app crashes on start", day, 4)
    zone = insight_settings.zone
    checked = [local_day(T0 + days(d), zone) for d in (31, 32, 33)]
    new = [a for a in flagged(records, checked, insight_settings) if a.kind == "new_topic"]
    assert len(new) == 1
    assert new[0].day == checked[1] and new[0].count == 8
    assert "mobile app crashes" in new[0].name


def test_days_without_enough_history_are_not_judged(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = history(make) + extra(make, LOGIN, "Login link expired again", 3, 30)
    assert flagged(records, [local_day(T0 + days(3), insight_settings.zone)], insight_settings) == []


def test_daily_volume_counts_per_local_day(make: RecordMaker) -> None:
    settings = InsightSettings(timezone="America/New_York", _env_file=None)  # type: ignore[call-arg]
    late = make("x", at=T0.replace(hour=3))  # 03:00 UTC is the evening before in New York
    model = build_topics([late, make("y", at=T0.replace(hour=15))], threshold=0.6)
    volume = daily_volume(model, settings.zone)
    assert volume.start == date(2026, 3, 1) and list(volume.total) == [1, 1]


def test_an_incident_stays_flagged_while_it_lasts(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = history(make)
    for day in (29, 30, 31):  # Tuesday to Thursday of the fifth week
        records += extra(make, LOGIN, "Login link expired again", day, 25)
    zone = insight_settings.zone
    checked = [local_day(T0 + days(d), zone) for d in (29, 30, 31)]
    login = [a for a in flagged(records, checked, insight_settings) if a.series != TOTAL]
    assert [a.day for a in login] == checked, "the first days do not become the normal"
    assert all(a.expected == 3 for a in login)
    assert login[1].normal == "28 this Wednesday vs 3.0 on a usual Wednesday (from the last 4 such days)"
    assert {e.question_id for e in login[0].evidence} <= {r.question_id for r in records}
    assert len(login[0].evidence) == 25 and {e.account for e in login[0].evidence[:3]} == {
        "acct0",
        "acct1",
        "acct2",
    }, "the first links show the claim's breadth"


def test_a_spike_from_one_account_is_not_a_topic_spike(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = history(make) + [
        make("Login link expired again", topic=LOGIN, account="solo", at=T0 + days(30) + hours(i / 10))
        for i in range(20)
    ]
    found = flagged(records, [local_day(T0 + days(30), insight_settings.zone)], insight_settings)
    assert [a for a in found if a.series != TOTAL] == []


def test_weekend_days_are_judged_against_weekend_days(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    sunday = 34
    records = history(make) + extra(make, INVOICES, "Where are my invoices?", sunday, 6)
    found = flagged(records, [local_day(T0 + days(sunday), insight_settings.zone)], insight_settings)
    invoices = [a for a in found if a.series != TOTAL]
    assert len(invoices) == 1 and invoices[0].expected == 1 and "usual Sunday" in invoices[0].normal
