"""Bug detection: the thresholds, and one bug reported once then updated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.errors import InvalidInputError
from assistant.insights.bugs import apply_verdict, find_bug_groups, qualifies, reconcile
from assistant.insights.records import BugStatus, ConversationRecord, MessageLabel
from assistant.insights.settings import InsightSettings
from assistant.insights.text import vectors
from tests.assistant.insights.conftest import T0, RecordMaker, hours

EXPORT = "Export to CSV fails with error 500"


def groups(records: Sequence[ConversationRecord], settings: InsightSettings, probability: float = 0.9):  # type: ignore[no-untyped-def]
    return find_bug_groups(records, np.full(len(records), probability), vectors(records), settings)


def reports_of(
    make: RecordMaker, accounts: Sequence[str], gaps_hours: Sequence[float]
) -> list[ConversationRecord]:
    at, records = T0, []
    for account, gap in zip(accounts, gaps_hours, strict=True):
        at = at + hours(gap)
        records.append(make(EXPORT, topic=5, account=account, at=at, link=f"https://chat/{account}"))
    return records


@pytest.mark.parametrize(
    ("accounts", "gaps", "expected"),
    [
        (["a", "b", "a"], [0, 10, 10], True),  # 3 messages, 2 accounts, 20 h
        (["a", "a", "a"], [0, 1, 1], False),  # one account only
        (["a", "b"], [0, 1], False),  # two messages only
        (["a", "b", "c"], [0, 30, 30], False),  # 60 h apart: never 3 within 48 h
        (["a", "b", "c", "d"], [0, 30, 30, 1], True),  # the last three fit in 48 h
    ],
)
def test_default_thresholds(
    make: RecordMaker,
    insight_settings: InsightSettings,
    accounts: list[str],
    gaps: list[float],
    expected: bool,
) -> None:
    records = reports_of(make, accounts, gaps)
    assert qualifies(records, insight_settings) is expected
    assert [g.qualified for g in groups(records, insight_settings)] == [expected]


def test_thresholds_are_configurable(make: RecordMaker) -> None:
    records = reports_of(make, ["a", "a"], [0, 50])
    relaxed = InsightSettings(bug_min_messages=2, bug_min_accounts=1, bug_window_hours=72, _env_file=None)  # type: ignore[call-arg]
    assert qualifies(records, relaxed)
    assert not qualifies(records, InsightSettings(bug_min_messages=2, bug_min_accounts=1, _env_file=None))  # type: ignore[call-arg]


def test_messages_below_the_bug_probability_are_ignored(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    records = reports_of(make, ["a", "b", "c"], [0, 1, 1])
    assert groups(records, insight_settings, probability=0.2) == []


def test_different_behaviours_are_different_groups(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    export = reports_of(make, ["a", "b", "c"], [0, 1, 1])
    login = [
        make("Login loops back to the sign-in page", topic=6, account=a, at=T0 + hours(2)) for a in "xyz"
    ]
    found = groups([*export, *login], insight_settings)
    assert sorted(len(g.records) for g in found) == [3, 3]
    assert all(g.qualified for g in found)


def test_a_bug_is_reported_once_then_updated(make: RecordMaker, insight_settings: InsightSettings) -> None:
    first = reports_of(make, ["a", "b", "a"], [0, 2, 2])
    scan = reconcile(groups(first, insight_settings), [], insight_settings, now=T0 + hours(5))
    assert len(scan.new) == 1 and scan.updated == []
    report = scan.new[0]
    assert report.title == EXPORT and report.symptom == EXPORT
    assert report.count == 3 and report.accounts == ["a", "b"]
    assert report.first_seen == first[0].asked_at and report.last_seen == first[-1].asked_at
    assert report.examples[0].link == "https://chat/a" and len(report.examples) == 3
    assert report.version == 1 and report.status is BugStatus.OPEN

    # the next hourly scan sees the same messages again: nothing to say
    again = reconcile(groups(first, insight_settings), [report], insight_settings, now=T0 + hours(6))
    assert again.changed == []

    # one more account reports it (alone it would not qualify): the same report is updated
    later = make("CSV export fails with a 500 error again", topic=5, account="c", at=T0 + hours(30))
    window = [*first[1:], later]
    update = reconcile(groups(window, insight_settings), [report], insight_settings, now=T0 + hours(31))
    assert update.new == [] and [r.id for r in update.updated] == [report.id]
    updated = update.updated[0]
    assert updated.count == 4 and updated.accounts == ["a", "b", "c"]
    assert updated.last_seen == later.asked_at and updated.first_seen == first[0].asked_at
    assert updated.version == 2
    assert updated.examples[0].question_id == report.examples[0].question_id
    assert later.question_id in {e.question_id for e in updated.examples}
    assert report.count == 3, "reconcile must not change the reports it was given"


def test_a_lone_unrelated_message_never_makes_a_report(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    first = reports_of(make, ["a", "b", "a"], [0, 2, 2])
    report = reconcile(groups(first, insight_settings), [], insight_settings, now=T0).new[0]
    stray = make("The calendar shows the wrong week", topic=9, account="z", at=T0 + hours(3))
    assert reconcile(groups([stray], insight_settings), [report], insight_settings, now=T0).changed == []


def test_not_a_bug_absorbs_quietly_and_duplicates_update_the_original(
    make: RecordMaker, insight_settings: InsightSettings
) -> None:
    first = reports_of(make, ["a", "b", "a"], [0, 2, 2])
    report = reconcile(groups(first, insight_settings), [], insight_settings, now=T0).new[0]
    dismissed, label = apply_verdict(report, BugStatus.NOT_BUG, actor="eng", now=T0)
    assert label is MessageLabel.QUESTION and dismissed.labelled_by == "eng"
    more = reports_of(make, ["c", "d", "e"], [40, 1, 1])
    quiet = reconcile(groups(more, insight_settings), [dismissed], insight_settings, now=T0 + hours(45))
    assert quiet.new == [] and quiet.updated == [] and [r.id for r in quiet.quiet] == [report.id]

    original = reconcile(
        groups(first, insight_settings), [], insight_settings, now=T0, make_id=lambda: "bug_a"
    ).new[0]
    copy = reconcile(
        groups(first, insight_settings), [], insight_settings, now=T0, make_id=lambda: "bug_b"
    ).new[0]
    duplicate, label = apply_verdict(copy, BugStatus.DUPLICATE, actor="eng", duplicate_of=original, now=T0)
    assert label is MessageLabel.BUG and duplicate.duplicate_of == "bug_a"
    merged = reconcile(
        groups(more, insight_settings), [duplicate, original], insight_settings, now=T0 + hours(45)
    )
    assert [r.id for r in merged.updated] == ["bug_a"] and merged.updated[0].count == 6


def test_verdicts_are_checked(make: RecordMaker, insight_settings: InsightSettings) -> None:
    report = reconcile(
        groups(reports_of(make, "aba", [0, 1, 1]), insight_settings), [], insight_settings, now=T0
    ).new[0]
    with pytest.raises(InvalidInputError):
        apply_verdict(report, BugStatus.OPEN, actor="eng", now=T0)
    with pytest.raises(InvalidInputError):
        apply_verdict(report, BugStatus.DUPLICATE, actor="eng", now=T0)
    with pytest.raises(InvalidInputError):
        apply_verdict(report, BugStatus.DUPLICATE, actor="eng", duplicate_of=report, now=T0)
    confirmed, label = apply_verdict(report, BugStatus.BUG, actor="eng", now=T0)
    assert confirmed.status is BugStatus.BUG and label is MessageLabel.BUG
