"""What reaches the app: signatures, stale requests, Slack's retries, url_verification, 429s."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from adapters.storage.sql.conversations_schema import inbox_events
from tests.adapters.slack.conftest import CUSTOMER, PASSWORD_A, PASSWORD_Q, Harness
from tests.adapters.slack.helpers import block_text
from tests.fakes.slack_requests import message_event


async def _received_events(harness: Harness) -> int:
    async with harness.conversations._engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbox_events))).scalar_one())


async def test_bad_signature_and_stale_timestamp_are_refused_and_nothing_is_stored(harness: Harness) -> None:
    event = message_event("C_ACME", CUSTOMER, PASSWORD_Q, ts=harness.ts(), user_team="T_ACME")
    forged, _, _ = await harness.sender.event(event, signature="v0=" + "0" * 64)
    stale, _, _ = await harness.sender.event(event, timestamp=int(time.time()) - 10 * 60)
    await harness.settle()

    assert (forged, stale) == (401, 401)
    assert harness.fake.calls_to("chat.postMessage") == []
    assert (await harness.assistant.store.stats())["questions"] == 0
    assert await _received_events(harness) == 0


async def test_a_retried_event_is_processed_once(harness: Harness) -> None:
    ts = harness.ts()
    event = message_event("C_ACME", CUSTOMER, PASSWORD_Q, ts=ts, user_team="T_ACME")
    first, _, _ = await harness.sender.event(event, event_id="Ev0RETRIED")
    retry, _, headers = await harness.sender.event(event, event_id="Ev0RETRIED", retry_num=1)
    await harness.settle()

    assert (first, retry) == (200, 200)
    assert headers.get("x-slack-no-retry") == "1"
    assert len(harness.replies(ts)) == 1
    assert (await harness.assistant.store.stats())["questions"] == 1


async def test_url_verification_echoes_the_challenge(harness: Harness) -> None:
    status, body, _ = await harness.sender.url_verification(
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    assert status == 200
    assert json.loads(body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_rate_limited_post_waits_for_retry_after_and_is_posted(harness: Harness) -> None:
    harness.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    ts = await harness.say(PASSWORD_Q)

    limited, posted = harness.fake.calls_to("chat.postMessage")
    assert (limited.status, posted.status) == (429, 200)
    assert posted.at - limited.at >= 1.0
    [answer] = harness.replies(ts)
    assert PASSWORD_A in block_text(answer)


async def test_healthz_reports_the_store(harness: Harness) -> None:
    async with harness.sender.session.get(f"{harness.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "store": True}
