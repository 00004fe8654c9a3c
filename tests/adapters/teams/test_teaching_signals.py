"""Deliberate teaching signals in Teams (issue 14), through the real Bot Framework stack over HTTP:

* an agent's 👍 on their own or a colleague's reply teaches it, private to the thread's account; a
  customer's 👍 on it says it solved their problem, and teaches it the same way; removing the
  reaction takes it back; a 👍 on a holding reply or a note teaches nothing;
* the "Teach this" message action: agents only, private unless the agent chooses everyone, once
  however often it is clicked, and the dialog says what was learned and how to undo it;
* reactions on the assistant's answer approve or reject it once per person, and removing one takes
  it back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.teams import constants as ids
from adapters.teams import texts
from assistant.models import LearningEvent, Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    Harness,
    card_of,
    card_text,
)
from tests.fakes.bot_activities import Teams, person

CORRECTED = "Go to Settings, then Security, and press Reset password; the emailed link lasts an hour."
GLOBEX_TENANT = "tenant-globex"
GLOBEX = person("29:globex", "aad-globex", "Gil Globex")
MANIFEST = Path(__file__).resolve().parents[3] / "manifests" / "teams" / "manifest.json"


async def reply_as_agent(harness: Harness, text: str = CORRECTED) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer's question answered by the bot, then an agent's reply in its thread."""
    question = await harness.say(PASSWORD_Q)
    reply = await harness.say(text, user=AGENT, thread=question["id"])
    return question, reply


async def react(
    harness: Harness,
    user: dict[str, Any],
    message_id: str,
    thread: str,
    *,
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> None:
    activity = harness.teams.reaction(
        CUSTOMER_CHANNEL, user, message_id=message_id, thread=thread, added=added, removed=removed
    )
    status, _ = await harness.post(activity)
    assert status in (200, 201), status


async def teach(
    harness: Harness, user: dict[str, Any], reply: dict[str, Any], thread: str, **data: str
) -> str:
    activity = harness.teams.message_action(
        CUSTOMER_CHANNEL,
        user,
        command=ids.TEACH_REPLY_COMMAND,
        message_id=reply["id"],
        thread=thread,
        author=AGENT,
        text=CORRECTED,
        data=data,
    )
    status, body = await harness.post(activity)
    assert status == 200, (status, body)
    assert body["task"]["type"] == "message", body
    return str(body["task"]["value"])


async def globex_asks(harness: Harness) -> str:
    """A customer of another company asks in their own 1:1 chat: what do they get?"""
    harness.connector.add_member(GLOBEX["id"], aad_object_id=GLOBEX["aadObjectId"], tenant_id=GLOBEX_TENANT)
    globex = Teams(harness.connector.service_url, GLOBEX_TENANT)
    chat = "a:1-globex-personal-chat"
    status, _ = await harness.post(globex.personal_message(GLOBEX, PASSWORD_Q, chat=chat))
    assert status in (200, 201)
    return "\n".join(
        card_text(card_of(posted)) if posted.card else posted.text
        for posted in harness.connector.in_thread(chat)
    )


async def acme_asks_again(harness: Harness) -> str:
    again = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    return card_text(card_of(harness.replies(again)[0]))


async def live(harness: Harness, signal: Signal) -> list[LearningEvent]:
    return [event for event in await events_of(harness.assistant, signal) if event.undone_at is None]


async def test_an_agents_like_on_a_reply_teaches_it_for_the_account_alone(harness: Harness) -> None:
    question, reply = await reply_as_agent(harness)
    await react(harness, AGENT, reply["id"], question["id"], added=["like"])
    [taught] = await live(harness, Signal.CORRECT)
    assert "for everyone" not in taught.effect
    assert CORRECTED in await acme_asks_again(harness)
    assert CORRECTED not in await globex_asks(harness)


async def test_the_customers_like_says_it_solved_it_and_removing_it_takes_it_back(harness: Harness) -> None:
    question, reply = await reply_as_agent(harness)
    await react(harness, CUSTOMER, reply["id"], question["id"], added=["like"])
    await react(harness, CUSTOMER, reply["id"], question["id"], added=["like"])  # redelivered
    assert len(await live(harness, Signal.CORRECT)) == 1
    await react(harness, CUSTOMER, reply["id"], question["id"], removed=["like"])
    assert await live(harness, Signal.CORRECT) == []
    assert CORRECTED not in await acme_asks_again(harness)
    # Liked again: it counts again.
    await react(harness, CUSTOMER, reply["id"], question["id"], added=["like"])
    assert len(await live(harness, Signal.CORRECT)) == 1


async def test_a_like_on_a_holding_reply_or_a_laugh_teaches_nothing(harness: Harness) -> None:
    question, holding = await reply_as_agent(
        harness, "Let me check with our billing team and get back to you."
    )
    await react(harness, AGENT, holding["id"], question["id"], added=["like"])
    _, answer_reply = await reply_as_agent(harness)
    await react(harness, AGENT, answer_reply["id"], question["id"], added=["laugh"])
    assert await events_of(harness.assistant, Signal.CORRECT) == []
    assert PASSWORD_A in await acme_asks_again(harness)


async def test_teach_this_is_private_unless_the_agent_chooses_everyone(harness: Harness) -> None:
    question, reply = await reply_as_agent(harness)
    said = await teach(harness, AGENT, reply, question["id"], **{ids.SCOPE_INPUT: ids.SCOPE_ACCOUNT})
    [taught] = await live(harness, Signal.CORRECT)
    assert said == texts.taught(taught.id, taught.effect) and taught.id in said
    assert CORRECTED not in await globex_asks(harness)


async def test_teach_this_for_everyone_reaches_other_companies(harness: Harness) -> None:
    question, reply = await reply_as_agent(harness)
    await teach(harness, AGENT, reply, question["id"], **{ids.SCOPE_INPUT: ids.SCOPE_EVERYONE})
    [taught] = await live(harness, Signal.CORRECT)
    assert "for everyone" in taught.effect
    assert CORRECTED in await globex_asks(harness)


async def test_teach_this_is_for_agents_only_and_teaches_once(harness: Harness) -> None:
    question, reply = await reply_as_agent(harness)
    assert await teach(harness, CUSTOMER, reply, question["id"]) == texts.AGENTS_ONLY
    assert await events_of(harness.assistant, Signal.CORRECT) == []
    await teach(harness, AGENT, reply, question["id"])
    assert await teach(harness, AGENT, reply, question["id"]) == texts.ALREADY_HANDLED
    assert len(await events_of(harness.assistant, Signal.CORRECT)) == 1


async def test_teach_this_on_a_note_or_the_question_says_it_is_not_an_answer(harness: Harness) -> None:
    question, note = await reply_as_agent(harness, "Internal note: their IT admin resets passwords.")
    assert await teach(harness, AGENT, note, question["id"]) == texts.NOT_A_CANDIDATE
    assert await teach(harness, AGENT, question, question["id"]) == texts.NOT_A_CANDIDATE
    assert await events_of(harness.assistant, Signal.CORRECT) == []


async def test_reactions_on_the_answer_count_once_per_person_and_can_be_taken_back(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    await react(harness, AGENT, answer.id, question["id"], added=["like"])
    await react(harness, AGENT, answer.id, question["id"], added=["like"])
    await react(harness, CUSTOMER, answer.id, question["id"], added=["angry"])
    assert len(await live(harness, Signal.APPROVE)) == 1
    assert len(await live(harness, Signal.REJECT)) == 1
    await react(harness, AGENT, answer.id, question["id"], removed=["like"])
    assert await live(harness, Signal.APPROVE) == []
    assert len(await live(harness, Signal.REJECT)) == 1


def test_the_manifest_offers_teach_this_on_messages_with_the_bots_scope_choice() -> None:
    manifest = json.loads(MANIFEST.read_text())
    [extension] = manifest["composeExtensions"]
    [command] = extension["commands"]
    assert command["id"] == ids.TEACH_REPLY_COMMAND and command["context"] == ["message"]
    assert command["fetchTask"] is False
    [scope] = command["parameters"]
    assert scope["name"] == ids.SCOPE_INPUT
    assert {choice["value"] for choice in scope["choices"]} == {ids.SCOPE_ACCOUNT, ids.SCOPE_EVERYONE}
    assert scope["value"] == ids.SCOPE_ACCOUNT  # private unless the agent chooses
