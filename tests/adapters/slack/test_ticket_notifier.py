"""Ticket links under the bug report, and "fixed" in the customers' threads, on the fake Slack API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import numpy as np
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.digest_publisher import bug_key
from adapters.slack.ticket_notifier import SlackTicketNotifier
from adapters.storage.sql.conversations import SqlConversationStore
from assistant.config import Settings
from assistant.insights.records import BugReport, MessageRef
from assistant.integrations.tickets import Thread, TicketRecord, TicketState
from tests.fakes.slack_api import FakeSlack

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORT = BugReport(
    id="bug_1",
    title="Export to CSV fails",
    symptom="Export to CSV fails with error 500 for <@U_OTHER>",
    keywords=["csv"],
    examples=[MessageRef("q1", "Export to CSV fails", "acme", T)],
    accounts=["acme", "globex"],
    first_seen=T,
    last_seen=T,
    question_ids=["q1", "q2"],
    signature=np.zeros(3, dtype=np.float32),
)
RECORD = TicketRecord(
    "bug_1",
    "github",
    TicketState.CLOSED,
    "m",
    external_id="1",
    key="#1",
    url="https://github.com/acme/product/issues/1",
    fixed=True,
    resolution="Fixed in 4.2 <!channel>",
)
THREADS = [
    Thread("slack", "C_ACME", "100.1", "acme"),
    Thread("slack", "C_GLOBEX", "200.2", "globex"),
    Thread("teams", "19:x@thread.tacv2", "1", "initech"),
]


@pytest.fixture
async def setup(settings: Settings) -> AsyncIterator[tuple[FakeSlack, SlackTicketNotifier]]:
    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    await conversations.save_reference(
        "slack", bug_key("bug_1", "C_ENG"), {"channel": "C_ENG", "ts": "900.9"}
    )
    async with FakeSlack() as fake:
        for channel in ("C_ENG", "C_ACME", "C_GLOBEX"):
            fake.add_channel(channel)
        client = AsyncWebClient(token=fake.token, base_url=fake.api_url)
        notifier = SlackTicketNotifier(
            client=client, conversations=conversations, engineering_channels=["C_ENG", "C_NOPOST"]
        )
        try:
            yield fake, notifier
        finally:
            await conversations.close()


async def test_the_ticket_link_is_posted_under_the_report_once(
    setup: tuple[FakeSlack, SlackTicketNotifier],
) -> None:
    fake, notifier = setup
    await notifier.ticket_filed(REPORT, RECORD)
    await notifier.ticket_filed(REPORT, RECORD)
    (post,) = fake.calls_to("chat.postMessage")
    assert post.args["channel"] == "C_ENG" and post.args["thread_ts"] == "900.9"
    assert "<https://github.com/acme/product/issues/1|#1>" in post.args["text"]


async def test_customers_threads_are_told_once_and_agents_get_the_rest(
    setup: tuple[FakeSlack, SlackTicketNotifier],
) -> None:
    fake, notifier = setup
    assert await notifier.bug_fixed(REPORT, RECORD, THREADS, tell_customers=True) == 3
    assert await notifier.bug_fixed(REPORT, RECORD, THREADS, tell_customers=True) == 0
    posts = fake.calls_to("chat.postMessage")
    told = {(p.args["channel"], p.args["thread_ts"]) for p in posts[:2]}
    assert told == {("C_ACME", "100.1"), ("C_GLOBEX", "200.2")}
    for post in posts[:2]:
        assert "has been fixed" in post.args["text"] and "Fixed in 4.2" in post.args["text"]
        assert "<!channel>" not in post.args["text"] and "CSV" not in post.args["text"]
    assert (
        posts[2].args["channel"] == "C_ENG" and "1 customer thread(s) were not told" in posts[2].args["text"]
    )


async def test_agents_mode_tells_only_the_engineering_thread(
    setup: tuple[FakeSlack, SlackTicketNotifier],
) -> None:
    fake, notifier = setup
    assert await notifier.bug_fixed(REPORT, RECORD, THREADS, tell_customers=False) == 1
    (post,) = fake.calls_to("chat.postMessage")
    assert post.args["channel"] == "C_ENG" and "3 customer thread(s)" in post.args["text"]
