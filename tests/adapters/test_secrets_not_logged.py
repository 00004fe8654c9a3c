"""Secrets are never logged: the Slack signing secret and bot token, the Anthropic API key.

Every logger is captured at DEBUG (what an operator turns on to investigate) while the real Slack
app serves signed and forged requests and posts through the fake Web API, and while the Claude
answerer succeeds and fails (a refused key, an overloaded API) against the fake Messages API.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Question, Role
from tests.adapters.llm.test_hostile_claude import QUESTION, TAUGHT, assistant_on
from tests.adapters.slack.harness import PASSWORD_Q, SIGNING_SECRET, database_url, running_harness
from tests.fakes.anthropic_api import FakeAnthropic, Reply, overloaded
from tests.fakes.slack_requests import message_event


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.append(repr(record.__dict__.get("args")))
    return "\n".join(parts)


async def test_slack_secrets_are_never_logged(
    tmp_path: Path, embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_harness(database_url(tmp_path), embedder) as harness:
        await harness.say(PASSWORD_Q)
        await harness.say("Can we pay our suppliers in crypto?")
        event = message_event("C_ACME", "U_CUSTOMER", "forged", ts=harness.ts())
        await harness.sender.event(event, signature="v0=" + "0" * 64)
        await harness.sender.event(event, timestamp=1)
        await harness.settle()
        token = harness.fake.token

    assert harness.fake.calls_to("chat.postMessage")  # the app did talk to Slack with its token
    logged = logged_text(caplog)
    assert "(redacted)" in logged  # slack_sdk logs each request's headers, the token redacted
    for secret in (SIGNING_SECRET, token):
        assert secret not in logged


async def test_the_anthropic_key_is_never_logged(
    tmp_path: Path, embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = "sk-ant-secret-key-0123456789abcdef"
    script = [Reply("They last 30 days [1]."), overloaded(), overloaded(), overloaded()]
    async with FakeAnthropic(script=script, api_key=key) as fake, assistant_on(
        fake, tmp_path, embedder
    ) as service:
        await service.teach(QUESTION, TAUGHT, actor="dana", role=Role.AGENT)
        await service.ask(Question(text=QUESTION, account="acme"))
        await service.ask(Question(text=QUESTION, account="acme"))
        fake.api_key = "another-key"  # the key is now refused: 401
        await service.ask(Question(text=QUESTION, account="acme"))

    logged = logged_text(caplog)
    assert "claude compose failed" in logged
    assert key not in logged
