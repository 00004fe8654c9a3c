"""What only the clicker, or only the person asking, should read (issue 19.2), through the real Bot
Framework stack: Action.Submit notices go to the clicker's 1:1 chat, never the customer's thread;
a messageBack's string ``value`` is handled; group chats and unmapped channels get a hint instead
of silence; ``help`` answers.
"""

from __future__ import annotations

import json

from adapters.teams import constants as ids
from adapters.teams import texts
from assistant.models import Role, Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    PASSWORD_Q,
    Harness,
    card_of,
    card_text,
)

UNMAPPED = "19:not-mapped@thread.tacv2"


async def test_submit_notices_reach_only_the_clicker(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    mine = await harness.view(answer, user=AGENT)
    correct = next(a for a in mine["actions"] if a["verb"] == ids.CORRECT)
    submit = harness.teams.card_submit(  # a customer's (older) client submits an agent-only button
        CUSTOMER, correct, conversation=answer.conversation, card_id=answer.id, channel=CUSTOMER_CHANNEL
    )
    status, _ = await harness.post(submit)
    assert status in (200, 201)
    assert harness.replies(question) == [answer]  # nothing said in the customer's thread
    [notice] = harness.connector.direct_to(CUSTOMER["id"])
    assert notice.text == texts.AGENTS_ONLY and notice.conversation.startswith("a:1:")

    stale = {**correct, "fallback": {**correct["fallback"], "data": {"verb": ids.HELPED, "ref": {}}}}
    submit = harness.teams.card_submit(
        CUSTOMER, stale, conversation=answer.conversation, card_id=answer.id, channel=CUSTOMER_CHANNEL
    )
    await harness.post(submit)
    assert harness.replies(question) == [answer]
    assert [p.text for p in harness.connector.direct_to(CUSTOMER["id"])] == [
        texts.AGENTS_ONLY,
        texts.STALE_BUTTON,
    ]
    assert harness.connector.writes("update") == []


async def test_a_message_back_string_value_is_a_click_and_a_plain_string_a_message(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    helped = next(a for a in card_of(answer)["actions"] if a["verb"] == ids.HELPED)
    back = harness.teams.message_back(
        CUSTOMER_CHANNEL,
        CUSTOMER,
        value=json.dumps(helped["fallback"]["data"]),
        text="helpful",
        conversation=answer.conversation,
        card_id=answer.id,
    )
    status, _ = await harness.post(back)
    assert status in (200, 201)
    [helped_event] = await events_of(harness.assistant, Signal.HELPED)
    assert helped_event.role is Role.CUSTOMER
    [update] = harness.connector.writes("update")
    assert update.id == answer.id and texts.HELPED_THANKS in card_text(card_of(update))

    plain = harness.teams.message_back(
        CUSTOMER_CHANNEL,
        CUSTOMER,
        value="not json",
        text="",
        conversation=answer.conversation,
        card_id=answer.id,
    )
    status, _ = await harness.post(plain)
    assert status in (200, 201)  # not refused with 400: an ordinary (empty) message


async def test_group_chats_and_unmapped_channels_get_a_hint_once(harness: Harness) -> None:
    chat = "19:group-chat-1@thread.v2"
    for _ in range(2):
        status, _ = await harness.post(harness.teams.group_message(CUSTOMER, PASSWORD_Q, chat=chat))
        assert status in (200, 201)
    [hint] = harness.connector.in_thread(chat)
    assert hint.text == texts.not_set_up(chat)

    question = await harness.say(PASSWORD_Q, channel=UNMAPPED)
    [hint] = harness.replies(question)
    assert hint.text == texts.not_set_up(UNMAPPED)
    quiet = harness.teams.channel_message(UNMAPPED, CUSTOMER, "just chatting", mention=False)
    await harness.post(quiet)  # read through RSC, not addressed to the bot: no reply
    assert harness.replies(quiet) == []
    assert (
        await harness.assistant.store.find_question_by_external_id(
            f"teams:{question['conversation']['id']}:{question['id']}"
        )
        is None
    )


async def test_help_in_a_chat_and_in_a_channel(harness: Harness) -> None:
    status, _ = await harness.post(harness.teams.personal_message(CUSTOMER, "help", chat="a:1-help"))
    assert status in (200, 201)
    [said] = harness.connector.in_thread("a:1-help")
    assert said.text == texts.HELP
    asked = await harness.say("Help", channel=CUSTOMER_CHANNEL)
    [said] = harness.replies(asked)
    assert said.text == texts.HELP


async def test_an_agents_submit_updates_the_card_and_sends_no_private_view(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    helped = next(a for a in card_of(answer)["actions"] if a["verb"] == ids.HELPED)
    submit = harness.teams.card_submit(
        AGENT, helped, conversation=answer.conversation, card_id=answer.id, channel=CUSTOMER_CHANNEL
    )
    await harness.post(submit)
    [update] = harness.connector.writes("update")
    assert update.id == answer.id and texts.HELPED_THANKS in card_text(card_of(update))
    assert harness.connector.direct_to(AGENT["id"]) == []  # their own view needs Universal Actions
    assert harness.replies(question) == [answer]
