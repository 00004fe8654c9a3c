"""The insights facade on the in-memory source: periods, the digest, bug scans and labels."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from assistant.errors import NotFoundError
from assistant.insights.digest import SECTIONS
from assistant.insights.records import BugStatus, ConversationRecord, MessageLabel
from assistant.insights.service import CLASSIFIER, InsightService
from assistant.insights.settings import InsightSettings
from assistant.insights.testing import InMemoryInsightSource
from assistant.models import Decision
from tests.assistant.insights.conftest import T0, RecordMaker, days, hours

BUG_TEXTS = [
    "Export to CSV fails with error 500",
    "CSV export gives a 500 error since this morning",
    "export to csv broken, error 500",
]


def history(make: RecordMaker) -> list[ConversationRecord]:
    records = []
    for day in range(28):
        for i in range(3):
            records.append(
                make("How do I add a user?", topic=1, account=f"acct{i}", at=T0 + days(day) + hours(i))
            )
    for i, text in enumerate(BUG_TEXTS):
        records.append(make(text, topic=5, account="acct0" if i else "acct1", at=T0 + days(25) + hours(i)))
    records.append(
        make("Please add dark mode", topic=3, account="acct2", at=T0 + days(26), decision=Decision.HANDOFF)
    )
    return records


@pytest.fixture
def source(make: RecordMaker) -> InMemoryInsightSource:
    return InMemoryInsightSource(history(make))


@pytest.fixture
def service(source: InMemoryInsightSource, insight_settings: InsightSettings) -> InsightService:
    return InsightService(source=source, settings=insight_settings, clock=lambda: T0 + days(28))


async def test_latest_week_ends_with_the_newest_question(service: InsightService) -> None:
    since, until = await service.latest_week()
    assert until == datetime(2026, 3, 30, tzinfo=since.tzinfo) and (until - since).days == 7


async def test_an_empty_store_has_no_latest_week(insight_settings: InsightSettings) -> None:
    with pytest.raises(NotFoundError):
        await InsightService(source=InMemoryInsightSource(), settings=insight_settings).latest_week()


async def test_the_digest_has_six_sections_and_is_json(service: InsightService) -> None:
    since, until = await service.latest_week()
    digest = await service.digest(since, until)
    data = json.loads(digest.to_json())
    assert tuple(data) == SECTIONS
    assert digest.questions == 7 * 3 + 3 + 1
    assert len(data["bugs"]) == 1 and data["bugs"][0]["title"] in BUG_TEXTS
    assert data["bugs"][0]["stored"] is False and data["bugs"][0]["count"] == 3
    assert data["bugs"][0]["accounts"] == ["acct0", "acct1"]
    assert data["learning"]["weeks"] and "improving" in data["learning"]
    assert digest.volume and digest.volume[0].total == 21 and len(digest.volume[0].daily) == 7


async def test_scanning_saves_a_bug_once_then_labels_train_the_classifier(
    service: InsightService, source: InMemoryInsightSource
) -> None:
    now = T0 + days(26)
    first = await service.scan_bugs(until=now)
    assert len(first.new) == 1 and len(source.reports) == 1
    assert (await service.scan_bugs(until=now + hours(1))).changed == []
    bug_id = first.new[0].id

    trained_before = source.models[CLASSIFIER].meta["labels"]
    labelled = await service.label_bug(bug_id, BugStatus.NOT_BUG, actor="eng")
    assert labelled.status is BugStatus.NOT_BUG and source.reports[bug_id].labelled_by == "eng"
    assert {m.label for m in source.labels.values()} == {MessageLabel.QUESTION}
    assert len(source.labels) == 3
    await service.classifier()
    assert trained_before == 0 and source.models[CLASSIFIER].meta["labels"] == 3

    since, until = await service.latest_week()
    assert (await service.digest(since, until)).bugs == [], "a dismissed bug is not in the digest"


async def test_a_stored_classifier_is_reused(
    source: InMemoryInsightSource, insight_settings: InsightSettings
) -> None:
    await InsightService(source=source, settings=insight_settings).classifier()
    trained_at = source.models[CLASSIFIER].trained_at
    await InsightService(source=source, settings=insight_settings).classifier()
    assert source.models[CLASSIFIER].trained_at == trained_at


async def test_labelling_unknown_reports_is_refused(service: InsightService) -> None:
    with pytest.raises(NotFoundError):
        await service.label_bug("bug_missing", BugStatus.BUG, actor="eng")
