"""Only agents teach, deliberately (issue 14), through the real Bot Framework stack over HTTP:

* a customer in a 1:1 chat is never an agent, even when the chat's tenant is theirs; a bot with no
  explicit agent rule refuses to start;
* agents' notes, holding replies and questions in a customer thread are not even candidates, and a
  real answer typed there is a candidate, not knowledge;
* a double-submitted correction form teaches once and posts once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.teams import constants as ids
from adapters.teams import texts
from assistant.errors import ConfigurationError
from assistant.models import Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    ACME_TENANT,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    Harness,
    action,
    card_of,
    card_text,
    open_bot,
    settings_for,
    teams_settings,
)
from tests.fakes.bot_activities import Teams
from tests.fakes.bot_connector import FakeBotConnector

CORRECTED = "Go to Settings > Security and press Reset password; the link in the email is valid for an hour."


async def test_a_bot_without_an_explicit_agent_rule_refuses_to_start(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    bare = teams_settings(agent_tenant_id=None)
    with pytest.raises(ConfigurationError, match="tell agents from customers"):
        async with open_bot(settings_for(tmp_path), embedder, connector, teams=bare):
            pass


async def test_a_customer_in_a_one_to_one_chat_is_never_an_agent(harness: Harness) -> None:
    # The chat belongs to the customer's tenant: the old rule ("own tenant = the conversation's")
    # made them an agent.
    acme = Teams(harness.connector.service_url, ACME_TENANT)
    chat = "a:1-acme-personal-chat"
    status, _ = await harness.post(acme.personal_message(CUSTOMER, PASSWORD_Q, chat=chat))
    assert status in (200, 201)
    [answer] = harness.connector.in_thread(chat)
    assert PASSWORD_A in card_text(card_of(answer))
    assert ids.CORRECT not in [button["verb"] for button in card_of(answer)["actions"]]
    forged = {**action(card_of(answer), ids.HELPED), "verb": ids.CORRECT}  # the customer's view has none
    click = acme.card_action(CUSTOMER, forged, conversation=chat, card_id=answer.id, channel=None)
    status, refused = await harness.post(click)
    assert status == 200 and refused["value"] == texts.AGENTS_ONLY
    assert await events_of(harness.assistant, Signal.CORRECT) == []


@pytest.mark.parametrize(
    "reply",
    [
        "Let me check with our billing team and get back to you shortly.",
        "Which customer is it for, and do you want the invoices sent automatically or saved as drafts?",
        "Internal note: their IT admin resets passwords, ticket 4411.",
        "**NOTE** - their IT admin resets passwords.",
        "Notiz: das Passwort setzt deren IT zurück.",
    ],
)
async def test_agent_notes_holding_replies_and_questions_are_not_candidates(
    harness: Harness, reply: str
) -> None:
    question = await harness.say(PASSWORD_Q)
    await harness.say(reply, user=AGENT, thread=question["id"])
    assert await harness.conversations.thread_candidates("teams", CUSTOMER_CHANNEL, question["id"]) == []
    again = await harness.say(PASSWORD_Q)
    assert PASSWORD_A in card_text(card_of(harness.replies(again)[0]))


async def test_a_typed_answer_is_a_candidate_not_knowledge(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    await harness.say(CORRECTED, user=AGENT, thread=question["id"])
    [candidate] = await harness.conversations.thread_candidates("teams", CUSTOMER_CHANNEL, question["id"])
    assert candidate.text == CORRECTED and candidate.event_id is None
    assert await events_of(harness.assistant, Signal.CORRECT) == []
    again = await harness.say(PASSWORD_Q)
    assert CORRECTED not in card_text(card_of(harness.replies(again)[0]))


async def test_a_double_submitted_correction_form_teaches_once(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    form = await harness.click(answer, ids.CORRECT, user=AGENT)
    inputs = {ids.TEXT_INPUT: CORRECTED, ids.SCOPE_INPUT: ids.SCOPE_ACCOUNT}
    first = await harness.click(answer, ids.CORRECT_SUBMIT, user=AGENT, inputs=inputs, shown=form["value"])
    second = await harness.click(answer, ids.CORRECT_SUBMIT, user=AGENT, inputs=inputs, shown=form["value"])
    assert isinstance(first["value"], dict) and second["value"] == texts.ALREADY_HANDLED
    assert len(await events_of(harness.assistant, Signal.CORRECT)) == 1
    assert len(harness.replies(question)) == 2  # the answer and one posted correction
