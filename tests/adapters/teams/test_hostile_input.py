"""Hostile and odd input through the real Teams bot: whatever a customer or a document writes, no
card or message the bot sends carries chat markup (Slack's or Teams' own ``<at>`` mentions), a
disguised Markdown link or an invisible character."""

from __future__ import annotations

import json

from assistant.models import Role
from tests.adapters.teams.conftest import HANDOFF_CHANNEL, Harness

MARKUP = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0EVIL>",
    "<#C0EVIL|general>",
    "<http://evil.example/login|your invoice>",
    "<at>Everyone</at>",
    "[your invoice](http://evil.example/pay)",
)
INVISIBLE = ("\u202e", "\u2066", "\u200d", "\u200b", "\ufeff", "\x07", "\U000e0041")
HOSTILE = " ".join(MARKUP) + " why is my bill wrong " + "".join(INVISIBLE) + "?"


def everything_sent(harness: Harness) -> str:
    return json.dumps([posted.activity for posted in harness.connector.writes()], ensure_ascii=False)


def assert_neutralised(sent: str) -> None:
    for markup in MARKUP:
        assert markup not in sent
    for char in INVISIBLE:
        assert char not in sent, repr(char)


async def test_a_hostile_question_is_handed_off_without_its_markup(harness: Harness) -> None:
    await harness.say(HOSTILE)

    assert harness.connector.threads_started(HANDOFF_CHANNEL)
    sent = everything_sent(harness)
    assert_neutralised(sent)
    assert "why is my bill wrong" in sent and "your invoice (http://evil.example/pay)" in sent


async def test_a_document_with_markup_is_never_echoed(harness: Harness) -> None:
    question = "When is the maintenance window?"
    answer = "Maintenance is on Sundays " + HOSTILE
    await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
    await harness.say(question)

    assert harness.connector.writes()
    assert_neutralised(everything_sent(harness))
