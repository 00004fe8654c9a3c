"""Personal data in the Slack inbox (issue 15, item 4), through the real Bolt app on real SQLite:
the inbox stores bodies redacted and empties them once done, a deletion event does not store the
deleted text again, and deleting a message purges it from every table that held it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.inbox import stored_body
from adapters.storage.sql.candidates_schema import reply_candidates
from adapters.storage.sql.conversations_schema import inbox_events
from adapters.storage.sql.schema import questions
from tests.adapters.slack.harness import AGENT, CUSTOMER, PASSWORD_Q, Harness
from tests.fakes.slack_requests import message_event

EMAIL, PHONE, CARD = "jane.doe@acme.example", "+1 415 555 0132", "4111.1111.1111.1111"
WITH_DATA = f"{PASSWORD_Q} I am <mailto:{EMAIL}|{EMAIL}>, call {PHONE}, card {CARD}."
SECRETS = (EMAIL, PHONE, CARD, "4111")


async def everything_stored(harness: Harness) -> str:
    """Every text-bearing row of the tables a message can reach, as one string."""
    engine = create_async_engine(harness.assistant.settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = [
                *(await conn.execute(select(inbox_events.c.body))).all(),
                *(await conn.execute(select(questions.c.text))).all(),
                *(await conn.execute(select(reply_candidates.c.text))).all(),
            ]
    finally:
        await engine.dispose()
    return json.dumps([list(row) for row in rows], default=str)


def deletion(harness: Harness, ts: str, text: str, user: str = CUSTOMER) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C_ACME",
        "hidden": True,
        "deleted_ts": ts,
        "ts": harness.ts(),
        "event_ts": harness.ts(),
        "previous_message": {"type": "message", "user": user, "text": text, "ts": ts},
    }


def test_a_stored_body_is_redacted_but_keeps_its_ids() -> None:
    event = message_event("C_ACME", CUSTOMER, WITH_DATA, ts="1712345678.123456")
    stored = stored_body({"event_id": "Ev1", "event": event})
    assert not any(secret in json.dumps(stored) for secret in SECRETS)
    assert stored["event"]["ts"] == "1712345678.123456" and stored["event"]["channel"] == "C_ACME"
    gone = stored_body(
        {"event": {"subtype": "message_deleted", "previous_message": {"text": "x", "ts": "1.2"}}}
    )
    assert gone["event"]["previous_message"] == {"ts": "1.2"}
    # A correction typed in a modal, and a button's value (ids and stamps kept as they are).
    view = {
        "type": "view_submission",
        "view": {"state": {"values": {"b": {"a": {"type": "plain_text_input", "value": WITH_DATA}}}}},
        "actions": [{"type": "button", "value": "1712345678.123456|ans_0123456789ab"}],
    }
    kept = stored_body(view)
    assert not any(secret in json.dumps(kept) for secret in SECRETS)
    assert kept["actions"][0]["value"] == "1712345678.123456|ans_0123456789ab"


async def test_the_inbox_keeps_no_personal_data(harness: Harness) -> None:
    await harness.say(WITH_DATA)
    stored = await everything_stored(harness)
    assert not any(secret in stored for secret in SECRETS), stored


async def test_a_deleted_message_is_purged_from_every_table(harness: Harness) -> None:
    ts = await harness.say(PASSWORD_Q + " My colleague is bob@acme.example, yes.")
    # The agent replies in the thread (a reply candidate), then deletes that reply.
    reply = "Use the Forgot password link on the sign-in page, then sign in with the new password."
    reply_ts = await harness.say(reply, user=AGENT, thread_ts=ts)
    had_candidate = reply in await everything_stored(harness)

    status, _, _ = await harness.sender.event(deletion(harness, ts, PASSWORD_Q + " My colleague"))
    assert status == 200
    status, _, _ = await harness.sender.event(deletion(harness, reply_ts, reply, user=AGENT))
    assert status == 200
    await harness.settle()

    stored = await everything_stored(harness)
    assert PASSWORD_Q not in stored and "colleague" not in stored
    assert reply not in stored and had_candidate
