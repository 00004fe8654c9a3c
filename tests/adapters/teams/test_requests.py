"""What reaches the bot at all: the Bot Framework's JWT check (401) and malformed activities (400).

Authenticated mode runs the SDK's own validation. With the public cloud's settings, the requests
here are rejected before any signing key is fetched (no header, not a JWT, not a Bearer token, a
token of another issuer), so no network is needed. With ``TEAMS_OPENID_METADATA_URL`` pointing at
a local fake issuer, correctly signed tokens are accepted and every other check still bites.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from tests.adapters.teams.conftest import (
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    PASSWORD_Q,
    Harness,
    bind_channels,
    open_bot,
    settings_for,
    stored_rows,
    teams_settings,
)
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.bot_tokens import FakeTokenIssuer

APP_ID = "00000000-0000-0000-0000-0000000000a1"
PASSWORD = "not-a-real-secret"
NOTHING = dict.fromkeys(
    ("questions", "platform_events", "conversation_references", "message_links", "learning_events"), 0
)


@pytest.fixture
async def secured(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> AsyncIterator[Harness]:
    """The bot in authenticated mode with the public cloud's settings (the production ones)."""
    settings = teams_settings(allow_unauthenticated=False, app_id=APP_ID, app_password=PASSWORD)
    async with open_bot(settings_for(tmp_path), embedder, connector, settings) as harness:
        await bind_channels(harness.conversations)
        yield harness


def question(harness: Harness) -> dict[str, Any]:
    return harness.teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)


async def test_bot_health_says_whether_requests_are_checked(secured: Harness, harness: Harness) -> None:
    assert secured.bot.health() == {"authenticated": True}
    assert harness.bot.health()["authenticated"] is False and "WITHOUT" in harness.bot.health()["warning"]


@pytest.mark.parametrize(
    "token",
    [
        None,  # no Authorization header
        "not-a-jwt",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",  # parses as segments, not as a token
        jwt.encode({"iss": "https://evil.example", "aud": APP_ID}, "k" * 32, algorithm="HS256"),
    ],
    ids=["missing", "garbage", "malformed", "foreign-issuer"],
)
async def test_unauthenticated_requests_are_rejected_and_change_nothing(
    secured: Harness, token: str | None
) -> None:
    status, _ = await secured.post(question(secured), token=token)
    assert status == 401
    assert await stored_rows(secured.conversations) == NOTHING
    assert secured.connector.posted == [] and secured.connector.lookups == []


async def test_a_basic_auth_header_is_rejected(secured: Harness) -> None:
    async with secured.sender._session.post(
        secured.sender.url,
        data=json.dumps(question(secured)),
        headers={"Content-Type": "application/json", "Authorization": "Basic dXNlcjpwYXNz"},
    ) as response:
        assert response.status == 401
    assert await stored_rows(secured.conversations) == NOTHING


async def test_signed_tokens_are_checked_against_the_published_keys(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    with FakeTokenIssuer() as issuer:
        settings = teams_settings(
            allow_unauthenticated=False,
            app_id=APP_ID,
            app_password=PASSWORD,
            openid_metadata_url=issuer.metadata_url,
        )
        async with open_bot(settings_for(tmp_path), embedder, connector, settings) as bot:
            service_url = connector.service_url
            activity = bot.teams.bot_added(HANDOFF_CHANNEL, CUSTOMER)
            wrong = {
                "stranger": issuer.stranger(app_id=APP_ID, service_url=service_url),
                "other-app": issuer.token(app_id="another-app", service_url=service_url),
                "other-service-url": issuer.token(app_id=APP_ID, service_url="https://smba.example/evil/"),
                "expired": issuer.token(app_id=APP_ID, service_url=service_url, lifetime=-3600),
            }
            for name, token in wrong.items():
                status, _ = await bot.post(activity, token=token)
                assert status == 401, name
            assert await stored_rows(bot.conversations) == NOTHING
            assert any(path.endswith("/keys") for path in issuer.requests)

            status, _ = await bot.post(activity, token=issuer.token(app_id=APP_ID, service_url=service_url))
            assert status in (200, 201)
            assert await bot.conversations.get_reference("teams", HANDOFF_CHANNEL) is not None


async def test_a_token_of_a_channel_the_key_does_not_endorse_is_rejected(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    with FakeTokenIssuer(endorsements=("webchat",)) as issuer:
        settings = teams_settings(
            allow_unauthenticated=False,
            app_id=APP_ID,
            app_password=PASSWORD,
            openid_metadata_url=issuer.metadata_url,
        )
        async with open_bot(settings_for(tmp_path), embedder, connector, settings) as bot:
            token = issuer.token(app_id=APP_ID, service_url=connector.service_url)
            status, _ = await bot.post(bot.teams.bot_added(HANDOFF_CHANNEL, CUSTOMER), token=token)
            assert status == 401
            assert await stored_rows(bot.conversations) == NOTHING


def _without(activity: dict[str, Any], *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(activity))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


async def test_malformed_activities_get_400_and_change_nothing(harness: Harness) -> None:
    before = await stored_rows(harness.conversations)
    good = question(harness)
    invoke = harness.teams.card_action(
        CUSTOMER,
        {"verb": "answer_helped"},
        conversation=good["conversation"]["id"],
        card_id="1",
        channel=None,
    )
    bad: dict[str, Any] = {
        "not-json": b"{not json",
        "array": [good],
        "no-type": _without(good, "type"),
        "no-service-url": _without(good, "serviceUrl"),
        "ftp-service-url": {**good, "serviceUrl": "ftp://files.example/"},
        "no-conversation": _without(good, "conversation"),
        "no-sender": _without(good, "from", "id"),
        "text-not-a-string": {**good, "text": ["How?"]},
        "invoke-without-name": _without(invoke, "name"),
        "bad-timestamp": {**good, "timestamp": "yesterday-ish"},
        # Issue 15: nesting that made the JSON decoder raise RecursionError (a 500).
        "nested-5000": b"[" * 5000,
        "nested-closed": b"[" * 5000 + b"]" * 5000,
        "nested-in-an-activity": (
            json.dumps(good)[:-1].encode() + b', "channelData": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        ),
    }
    for name, body in bad.items():
        raw = body if isinstance(body, bytes) else None
        status, answer = await harness.post(body, raw=raw)
        assert status == 400, name
        assert answer["error"] == "BadRequest", name
    async with harness.sender._session.post(harness.sender.url, data=b"type=message") as response:
        assert response.status == 415
    assert await stored_rows(harness.conversations) == before
    assert [p for p in harness.connector.posted if p.channel != HANDOFF_CHANNEL] == []


async def test_a_redelivered_message_is_answered_once(harness: Harness) -> None:
    activity = question(harness)
    for _ in range(2):
        status, _ = await harness.post(activity)
        assert status in (200, 201)
    assert len(harness.replies(activity)) == 1
    assert (await harness.assistant.store.stats())["questions"] == 1


async def test_an_invoke_that_is_not_an_action_execute_is_a_bad_request(harness: Harness) -> None:
    activity = harness.teams.card_action(
        CUSTOMER, {"verb": "answer_helped"}, conversation="a:chat", card_id="1", channel=None
    )
    activity["value"]["action"]["type"] = "Action.Submit"
    status, body = await harness.post(activity)
    assert status == 200 and body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"
    activity["value"]["action"] = {
        "type": "Action.Execute",
        "verb": "answer_helped",
        "data": {"ref": {"x": 1}},
    }
    status, body = await harness.post(activity)
    assert status == 200 and body["value"] == "This button no longer works; the card may be too old."
