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
