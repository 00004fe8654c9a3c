"""Every shape of a failed Slack Web API call (issue 15, item 5), through the real Bolt app against
``FaultySlack``: a proxy's HTML or plain-text 502, a body that is not JSON, a JSON 503, a 429.
The shared-channel check (``conversations.info``) must neither raise ``AttributeError`` nor read
the failure as "not shared" and drop the message: the event stays in the inbox and is answered
once Slack recovers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from tests.adapters.slack.conftest import ACME_TEAM, CUSTOMER, PASSWORD_A
from tests.adapters.slack.harness import PASSWORD_Q
from tests.adapters.slack.helpers import block_text
from tests.adapters.slack.test_faults import faulty_harness, wait_status
from tests.fakes.slack_requests import message_event

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
SHAPES: dict[str, dict[str, Any]] = {
    "html-502": dict(status=502, body=HTML_502, content_type="text/html"),
    "plain-502": dict(status=502, body="Bad Gateway", content_type="text/plain"),  # the SDK's AttributeError
    "not-json-200": dict(status=200, body="{not json", content_type="application/json"),
    "json-503": dict(status=503),
}


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
async def test_a_failed_shared_channel_check_is_retried_not_lost(
    shape: str, tmp_path: Path, embedder: SentenceTransformerEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        harness.fake.add_channel("C_NEW", is_ext_shared=True, external_teams=[ACME_TEAM])
        fake.fail("conversations.info", times=3, **SHAPES[shape])  # the call and the client's retries
        ts = harness.ts()
        event = message_event("C_NEW", CUSTOMER, PASSWORD_Q, ts=ts, user_team=ACME_TEAM)
        status, _, _ = await harness.sender.event(event, event_id=f"Ev{shape}")
        assert status == 200

        assert await wait_status(harness, f"Ev{shape}", "done") >= 2  # retried by the inbox
        await harness.settle()
        [answer] = harness.fake.messages("C_NEW", ts)
        assert PASSWORD_A in block_text(answer)
    assert "AttributeError" not in caplog.text


async def test_a_rate_limited_check_is_retried_too(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        harness.fake.add_channel("C_NEW", is_ext_shared=True, external_teams=[ACME_TEAM])
        fake.rate_limit("conversations.info", times=5, retry_after=0)
        ts = harness.ts()
        event = message_event("C_NEW", CUSTOMER, PASSWORD_Q, ts=ts, user_team=ACME_TEAM)
        status, _, _ = await harness.sender.event(event, event_id="EvLIMITED")
        assert status == 200
        await wait_status(harness, "EvLIMITED", "done")
        await harness.settle()
        assert len(harness.fake.messages("C_NEW", ts)) == 1
