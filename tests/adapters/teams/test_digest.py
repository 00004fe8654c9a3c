"""The insight jobs posting Adaptive Cards to Teams through the real bot and the fake Bot Connector,
and one scheduled run fanned out to Slack and Teams at once."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.scheduler.jobs import InsightRuntime, run_bug_scan, run_weekly_digest
from adapters.slack.digest_publisher import SlackDigestPublisher
from adapters.teams.digest_publisher import TeamsDigestPublisher
from assistant.insights.publishing import FanOutPublisher
from assistant.ports import Embedder
from tests.adapters.insights_data import MORE_BUG_TEXTS, NOW, ask_bug, insight_runtime
from tests.adapters.teams.conftest import HANDOFF_CHANNEL, Harness, card_text
from tests.fakes import FakeSlack
from tests.fakes.bot_connector import FakeBotConnector

SLACK_DIGEST = "C0DIGEST"


def publisher_for(harness: Harness) -> TeamsDigestPublisher:
    return TeamsDigestPublisher(
        bot=harness.bot,
        conversations=harness.conversations,
        digest_channels=(HANDOFF_CHANNEL,),
        engineering_channels=(HANDOFF_CHANNEL,),
    )


@pytest.fixture
async def runtime(harness: Harness, embedder: Embedder) -> AsyncIterator[InsightRuntime]:
    await ask_bug(harness.assistant)
    url = harness.assistant.settings.database_url
    async with insight_runtime(url, embedder, publisher_for(harness)) as started:
        yield started


def images(card: dict[str, object]) -> list[bytes]:
    body = card.get("body") or []
    assert isinstance(body, list)
    prefix = "data:image/png;base64,"
    return [
        base64.b64decode(e["url"].removeprefix(prefix))
        for e in body
        if e.get("type") == "Image" and e["url"].startswith(prefix)
    ]


async def test_the_digest_is_one_card_with_its_charts(
    harness: Harness, connector: FakeBotConnector, runtime: InsightRuntime
) -> None:
    before = len(connector.threads_started(HANDOFF_CHANNEL))
    assert await run_weekly_digest(runtime, NOW)
    assert not await run_weekly_digest(runtime, NOW + timedelta(hours=1))
    started = connector.threads_started(HANDOFF_CHANNEL)[before:]
    assert len(started) == 1
    card = started[0].card
    assert card is not None and card["type"] == "AdaptiveCard"
    text = card_text(card)
    assert "Support digest 02 Mar" in text and "Likely bugs" in text and "CSV" in text
    pngs = images(card)
    assert len(pngs) == 2 and all(png.startswith(b"\x89PNG") for png in pngs)


async def test_a_bug_starts_a_thread_once_then_gets_a_line_in_it(
    harness: Harness, connector: FakeBotConnector, runtime: InsightRuntime
) -> None:
    before = len(connector.threads_started(HANDOFF_CHANNEL))
    assert await run_bug_scan(runtime, NOW)
    [report] = connector.threads_started(HANDOFF_CHANNEL)[before:]
    assert report.card is not None and "Likely bug" in card_text(report.card)
    assert "3 messages" in card_text(report.card)

    await ask_bug(harness.assistant, MORE_BUG_TEXTS, at=NOW + timedelta(minutes=30))
    assert await run_bug_scan(runtime, NOW + timedelta(hours=1))
    assert len(connector.threads_started(HANDOFF_CHANNEL)[before:]) == 1, "no second thread"
    [line] = [p for p in connector.in_thread(report.conversation) if p.text]
    assert line.text.startswith("Reported again: now 5 messages")


async def test_one_run_posts_to_slack_and_teams(
    harness: Harness, connector: FakeBotConnector, runtime: InsightRuntime
) -> None:
    before = len(connector.threads_started(HANDOFF_CHANNEL))
    async with FakeSlack() as fake:
        fake.add_channel(SLACK_DIGEST, is_private=True)
        slack = SlackDigestPublisher(
            client=AsyncWebClient(token=fake.token, base_url=fake.api_url),
            conversations=harness.conversations,
            digest_channels=(SLACK_DIGEST,),
            engineering_channels=(SLACK_DIGEST,),
        )
        runtime.publisher = FanOutPublisher([slack, publisher_for(harness)])
        assert await run_weekly_digest(runtime, NOW)
        assert len(fake.messages(SLACK_DIGEST)) == 1 and len(fake.files.uploads) == 2
    assert len(connector.threads_started(HANDOFF_CHANNEL)[before:]) == 1
