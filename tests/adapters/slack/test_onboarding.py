"""Slack onboarding (issue 19.4) on the real Bolt app against the fake Slack Web API, with events in
Slack's documented shapes: the app says hello when invited to a channel (once, binding a Slack
Connect channel shared with one customer organisation first), follows ``channel_shared`` and
``channel_unshared``, and answers a direct message like a 1:1 conversation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from adapters.slack import texts
from tests.adapters.slack.conftest import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    Harness,
)
from tests.fakes.slack_requests import message_event

NEW_SHARED = "C_GLOBEX"
GLOBEX_TEAM = "T_GLOBEX"
INTERNAL = "C_RANDOM"


def joined(user: str, channel: str) -> dict[str, Any]:
    """``member_joined_channel`` as Slack documents it."""
    return {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": "T_HOME",
        "inviter": AGENT,
        "event_ts": "1710000100.000100",
    }


async def event(harness: Harness, payload: dict[str, Any]) -> None:
    status, _, _ = await harness.sender.event(payload)
    assert status == 200
    await harness.settle()


async def test_invited_to_a_slack_connect_channel_it_binds_and_welcomes_once(harness: Harness) -> None:
    harness.fake.add_channel(NEW_SHARED, is_ext_shared=True, external_teams=[GLOBEX_TEAM])
    await event(harness, joined(harness.fake.bot_user_id, NEW_SHARED))
    await event(harness, joined(harness.fake.bot_user_id, NEW_SHARED))  # Slack's redelivery or a re-invite
    await event(harness, joined(CUSTOMER, NEW_SHARED))  # a person joining: nothing said
    [welcome] = harness.fake.messages(NEW_SHARED)
    assert welcome["text"] == texts.welcome(NEW_SHARED, f"account *slack:{GLOBEX_TEAM}*")
    binding = await harness.conversations.get_channel("slack", NEW_SHARED)
    assert binding is not None and binding.account == f"slack:{GLOBEX_TEAM}" and binding.kind == "customer"


async def test_invited_to_an_unmapped_internal_channel_it_says_how_to_map(harness: Harness) -> None:
    harness.fake.add_channel(INTERNAL, is_ext_shared=False)
    await event(harness, joined(harness.fake.bot_user_id, INTERNAL))
    [welcome] = harness.fake.messages(INTERNAL)
    assert welcome["text"] == texts.welcome(INTERNAL, None)
    assert f"assistant channels set {INTERNAL}" in welcome["text"]
    assert await harness.conversations.get_channel("slack", INTERNAL) is None


async def test_channel_shared_binds_and_channel_unshared_unbinds(harness: Harness) -> None:
    harness.fake.add_channel(NEW_SHARED, is_ext_shared=True, external_teams=[GLOBEX_TEAM])
    shared = {
        "type": "channel_shared",
        "connected_team_id": GLOBEX_TEAM,
        "channel": NEW_SHARED,
        "event_ts": "1561064063.001100",
    }
    await event(harness, shared)
    binding = await harness.conversations.get_channel("slack", NEW_SHARED)
    assert binding is not None and binding.account == f"slack:{GLOBEX_TEAM}"

    harness.fake.add_channel(NEW_SHARED, is_ext_shared=False)
    unshared = {
        "type": "channel_unshared",
        "previously_connected_team_id": GLOBEX_TEAM,
        "channel": NEW_SHARED,
        "is_ext_shared": False,
        "event_ts": "1561064063.001200",
    }
    await event(harness, unshared)
    assert await harness.conversations.get_channel("slack", NEW_SHARED) is None
    assert await harness.conversations.get_channel_orgs("slack", NEW_SHARED) == frozenset()

    # another organisation leaving a channel mapped to Acme changes nothing
    other = {
        **unshared,
        "channel": CUSTOMER_CHANNEL,
        "previously_connected_team_id": GLOBEX_TEAM,
        "is_ext_shared": True,
    }
    await event(harness, other)
    assert (await harness.conversations.get_channel("slack", CUSTOMER_CHANNEL)) is not None


async def test_a_direct_message_is_answered_like_a_one_to_one_chat(harness: Harness) -> None:
    dm = "D_CUSTOMER"
    harness.fake.add_im(dm, CUSTOMER)
    ts = harness.ts()
    payload = message_event(dm, CUSTOMER, PASSWORD_Q, ts=ts, user_team=ACME_TEAM, channel_type="im")
    await event(harness, payload)
    [answer] = harness.fake.messages(dm)
    assert PASSWORD_A in str(answer.get("text")) + str(answer.get("blocks"))
    assert answer.get("thread_ts") == ts
    stored = await harness.answer_on(dm, answer["ts"])
    assert stored.account in (None, f"slack:{ACME_TEAM}")
    async with harness.conversations._engine.connect() as conn:  # users.info's name, kept for `learned`
        rows = (await conn.execute(text("SELECT user_id, name FROM people WHERE platform = 'slack'"))).all()
    assert (CUSTOMER, "customer") in [tuple(row) for row in rows]
