"""The digest's renderings: Slack Block Kit and the PNG charts."""

from __future__ import annotations

import json

import pytest

from adapters.charts import render_digest_charts
from adapters.charts.digest_charts import LEARNING_CHART, VOLUME_CHART
from adapters.slack import constants as ids
from adapters.slack.digest_blocks import anomaly_blocks, bug_scan_blocks, digest_blocks
from assistant.insights.digest import Digest
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.insights.testing import InMemoryInsightSource
from tests.assistant.insights.conftest import T0, RecordMaker, days, hours

BUG = [
    "Export <b>fails</b> with error 500 <!channel>",
    "CSV export gives a 500 error",
    "export is broken, error 500",
]


@pytest.fixture
async def service() -> InsightService:
    make = RecordMaker()
    records = [
        make("How do I add a user?", topic=1, account=f"acct{i}", at=T0 + days(d) + hours(i))
        for d in range(21)
        for i in range(3)
    ]
    records += [
        make(text, topic=5, account=f"acct{i % 2}", at=T0 + days(20) + hours(i), link=f"https://chat/{i}")
        for i, text in enumerate(BUG)
    ]
    return InsightService(source=InMemoryInsightSource(records), settings=InsightSettings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture
async def digest(service: InsightService) -> Digest:
    return await service.digest(*await service.latest_week())


def test_digest_blocks_keep_to_slacks_limits_and_escape_customers_words(digest: Digest) -> None:
    message = digest_blocks(digest)
    blocks = message["blocks"]
    assert message["text"] == digest.title
    assert blocks[0]["type"] == "header" and len(blocks) <= ids.MAX_BLOCKS
    text = json.dumps(blocks)
    for title in ("Anomalies", "Churn risk", "Likely bugs", "Feature requests", "Knowledge gaps", "Learning"):
        assert f"*{title}*" in text
    assert "<b>" not in text and "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert all(len(b["text"]["text"]) <= ids.SECTION_TEXT_LIMIT for b in blocks if b["type"] == "section")


async def test_bug_and_anomaly_messages(service: InsightService) -> None:
    scan = await service.scan_bugs(until=T0 + days(21))
    message = bug_scan_blocks(scan)
    text = json.dumps(message["blocks"])
    assert message["text"] == "1 new likely bug(s), 0 updated"
    assert "<https://chat/" in text and "what customers see" in text
    assert anomaly_blocks([])["text"] == "0 unusual volume(s) yesterday"


def test_charts_are_pngs(digest: Digest) -> None:
    charts = dict(render_digest_charts(digest))
    assert set(charts) == {VOLUME_CHART, LEARNING_CHART}
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000 for png in charts.values())


async def test_the_slack_and_teams_digests_link_the_evidence_of_each_claim() -> None:
    from adapters.teams.digest_cards import digest_card
    from assistant.insights.planted import StreamShape, planted_stream

    records, truth = planted_stream(StreamShape(seed=1))
    settings = InsightSettings(_env_file=None)  # type: ignore[call-arg]
    service = InsightService(source=InMemoryInsightSource(records), settings=settings)
    digest = await service.digest(truth.period_start, truth.period_end)
    slack = json.dumps(digest_blocks(digest)["blocks"])
    teams = json.dumps(digest_card(digest))
    for items in (digest.anomalies, digest.churn_risk, digest.bugs, digest.feature_requests):
        first = items[0].evidence[0]
        assert first.permalink
        assert f"<{first.permalink}|" in slack, "Slack links the first messages behind each claim"
        assert f"]({first.permalink})" in teams, "so does Teams"
    assert "_evidence:_" in slack and "more)" in slack
    spike = next(a for a in digest.anomalies if a.kind == "spike")
    assert spike.normal in slack.replace("\\u2019", "'")
    assert "verdict: *improving*" in slack and "95% CI" in slack
