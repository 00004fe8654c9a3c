"""Spot checks in Teams (as Slack's ``/assistant spot-check``), through the real Bot Framework stack:

* ``spot-check``, typed in a 1:1 chat or @mentioning the bot: agents only; the newest silent answer
  drawn for a check comes as a card in the agent's 1:1 chat (never in a customer's channel), with
  a link to the channel thread it was given in when there is one;
* Right / Wrong record the agent's verdict once, as a spot check's, then show the next answer
  waiting in the card's place (or that none is), through ``Action.Execute`` and its ``Action.Submit``
  fallback alike.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.handlers.spot_checks import thread_link
from adapters.teams.payloads import ExchangeRef, SpotCheckRef
from assistant.learning.spot_checks import SpotCheck
from assistant.models import Answer, Decision, Signal, StoredQuestion, utcnow
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    Harness,
    action,
    card_of,
    card_text,
    verbs,
)
from tests.fakes.bot_connector import Posted

AGENT_CHAT = "a:1-agent"


async def drawn(harness: Harness, *answers: Answer) -> None:
    """The answers went unanswered long enough to count as silent, and were drawn for a check."""
    accepted = await harness.assistant.teacher.accept_silent_answers(before=utcnow() + timedelta(days=2))
    assert accepted == len(answers)
    await harness.assistant.store.mark_spot_checks([answer.id for answer in answers])


async def asked_in_the_channel(harness: Harness) -> tuple[dict[str, Any], Posted, Answer]:
    question = await harness.say(PASSWORD_Q)
    [posted] = harness.replies(question)
    answer = await harness.answer_on(posted)
    assert not answer.handed_off
    return question, posted, answer


async def spot_check(harness: Harness, user: dict[str, Any], chat: str = AGENT_CHAT) -> Posted:
    """``user`` types ``spot-check`` in their 1:1 chat with the bot; what the bot said there."""
    status, _ = await harness.post(harness.teams.personal_message(user, "spot-check", chat=chat))
    assert status in (200, 201)
    return harness.connector.in_thread(chat)[-1]


def checked_answer(card: dict[str, Any], verb: str = ids.SPOT_CHECK_RIGHT) -> str:
    ref = SpotCheckRef.parse(action(card, verb)["data"])
    assert ref is not None
    return ref.answer_id


async def test_spot_checks_are_judged_in_a_row_once_each(harness: Harness) -> None:
    """An agent judges the drawn silent answers one after another; a customer is refused, a double
    click records nothing more, and each verdict is read as a spot check's."""
    older = (await asked_in_the_channel(harness))[2]
    newer = (await asked_in_the_channel(harness))[2]
    await drawn(harness, older, newer)

    assert (await spot_check(harness, CUSTOMER, chat="a:1-customer")).text == texts.AGENTS_ONLY
    shown = await spot_check(harness, AGENT)
    card = card_of(shown)
    assert checked_answer(card) == checked_answer(card, ids.SPOT_CHECK_WRONG) == newer.id
    assert texts.SPOT_CHECK_INTRO in card_text(card)
    assert PASSWORD_Q in card_text(card) and PASSWORD_A in card_text(card)
    assert "account **acme**" in card_text(card)
    forged = await harness.click(shown, ids.SPOT_CHECK_RIGHT, user=CUSTOMER)
    assert forged["value"] == texts.AGENTS_ONLY

    judged = await harness.click(shown, ids.SPOT_CHECK_RIGHT, user=AGENT)
    assert judged["type"] == ids.CARD_CONTENT_TYPE
    assert texts.spot_check_recorded(True) in card_text(judged["value"])
    assert checked_answer(judged["value"]) == older.id  # the next one in its place
    [update] = harness.connector.writes("update")  # the chat's message too, not only the clicker's view
    assert update.id == shown.id and card_of(update) == judged["value"]
    again = await harness.click(shown, ids.SPOT_CHECK_RIGHT, user=AGENT)  # a double click
    assert texts.SPOT_CHECK_GONE in card_text(again["value"])
    assert checked_answer(again["value"]) == older.id

    wrong = await harness.click(shown, ids.SPOT_CHECK_WRONG, user=AGENT, shown=judged["value"])
    assert texts.NO_SPOT_CHECKS in card_text(wrong["value"]) and verbs(wrong["value"]) == []
    assert "Recorded as wrong" in card_text(wrong["value"])

    mine = [e for e in await harness.assistant.learned(limit=100) if e.actor == AGENT["aadObjectId"]]
    assert [(e.signal, e.answer_id) for e in mine] == [(Signal.REJECT, older.id), (Signal.APPROVE, newer.id)]
    checked = [o for o in await harness.assistant.store.labelled_outcomes(10) if o.spot_checked]
    assert sorted(o.correct for o in checked) == [False, True]
    none_left = await spot_check(harness, AGENT)
    assert card_text(card_of(none_left)) == texts.NO_SPOT_CHECKS


async def test_a_spot_check_links_to_its_channel_thread_and_reaches_only_the_agent(harness: Harness) -> None:
    """@mentioned in a customer's channel, the bot sends the card to the agent's 1:1 chat; an answer
    given in a channel thread links to it (the link the exchange itself has), one given in a chat
    does not; judging it wrong through Action.Submit says to correct it there."""
    _, posted, in_channel = await asked_in_the_channel(harness)
    exchange = ExchangeRef.parse(action(card_of(posted), ids.HELPED)["data"])
    link = exchange.link() if exchange is not None else None
    assert link is not None  # the link the exchange itself has, from the live activity
    chat = harness.teams.personal_message(CUSTOMER, PASSWORD_Q, chat="a:1-customer")
    await harness.post(chat)
    in_chat = await harness.answer_on(harness.connector.in_thread("a:1-customer")[-1])
    await drawn(harness, in_channel, in_chat)

    typed = await harness.say("spot-check", user=AGENT)
    assert harness.replies(typed) == []  # nothing in the customer's channel
    [card] = [card_of(p) for p in harness.connector.direct_to(AGENT["id"])]
    assert checked_answer(card) == in_chat.id
    assert [a for a in card["actions"] if a["type"] == "Action.OpenUrl"] == []

    shown = harness.connector.direct_to(AGENT["id"])[-1]

    async def submit(verb: str, card: dict[str, Any]) -> None:
        clicked = harness.teams.card_submit(
            AGENT, action(card, verb), conversation=shown.conversation, card_id=shown.id, channel=None
        )
        status, _ = await harness.post(clicked)
        assert status in (200, 201)

    await submit(ids.SPOT_CHECK_RIGHT, card)
    [update] = harness.connector.writes("update")
    assert update.id == shown.id and checked_answer(card_of(update)) == in_channel.id
    [opens] = [a for a in card_of(update)["actions"] if a["type"] == "Action.OpenUrl"]
    assert opens["url"] == link and opens["title"] == texts.OPEN_THREAD

    for _ in range(2):  # the second Submit of the same card records nothing more
        await submit(ids.SPOT_CHECK_WRONG, card_of(update))
    judged, replayed = [card_text(card_of(u)) for u in harness.connector.writes("update")[1:]]
    assert texts.spot_check_recorded(False, link) in judged and texts.NO_SPOT_CHECKS in judged
    assert f"[its thread]({link})" in judged
    assert texts.SPOT_CHECK_GONE in replayed and texts.NO_SPOT_CHECKS in replayed
    assert [e.answer_id for e in await events_of(harness.assistant, Signal.REJECT)] == [in_channel.id]
    assert [e.answer_id for e in await events_of(harness.assistant, Signal.APPROVE)] == [in_chat.id]
    assert harness.connector.direct_to(CUSTOMER["id"]) == []


async def test_a_customer_is_refused_where_they_typed_it(harness: Harness) -> None:
    typed = await harness.say("spot-check")
    [refused] = harness.replies(typed)
    assert refused.text == texts.AGENTS_ONLY
    assert harness.connector.direct_to(CUSTOMER["id"]) == []


async def test_help_offers_spot_checks() -> None:
    assert f"**{texts.SPOT_CHECK_COMMAND}**" in texts.HELP


THREAD = "19:acme-shared@thread.tacv2;messageid=1710000000001"


@pytest.mark.parametrize(
    ("channel", "thread", "external_id", "linked"),
    [
        ("19:acme-shared@thread.tacv2", "1710000000001", f"teams:{THREAD}:1710000000005", True),
        ("a:1-chat", "a:1-chat", "teams:a:1-chat:1710000000005", False),  # a chat has no thread link
        ("C0ACME", "1710000000.000100", "slack:C0ACME:1710000000.000100", False),  # another platform's
        ("19:acme-shared@thread.tacv2", "1710000000001", None, False),  # asked another way
        ("19:acme-shared@thread.tacv2", "1710000000002", f"teams:{THREAD}:1710000000005", False),
    ],
)
def test_only_a_question_asked_in_that_teams_thread_links_to_it(
    channel: str, thread: str, external_id: str | None, linked: bool
) -> None:
    answer = Answer("a1", "q1", PASSWORD_A, Decision.ANSWER, 0.9, None, [], [], account="acme")
    question = StoredQuestion("q1", PASSWORD_Q, "acme", channel, "u1", thread, external_id, utcnow())
    link = thread_link(SpotCheck(answer, question))
    expected = ExchangeRef(answer_id="a1", channel=channel, conversation=THREAD, thread=thread).link()
    assert link == (expected if linked else None)
    assert thread_link(SpotCheck(answer, None)) is None  # the question is gone
