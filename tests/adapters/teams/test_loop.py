"""The learning loop through the real Bot Framework stack over HTTP: answers, corrections, hand-offs."""

from __future__ import annotations

import json

from adapters.markup import teams_text
from adapters.teams import constants as ids
from adapters.teams import texts
from assistant.learning.candidates import ReplyLearning
from assistant.models import Role, Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    VAGUE,
    Harness,
    card_of,
    card_text,
    verbs,
)

CORRECTED = "Go to Settings > Security and press Reset password; the link in the email is valid for an hour."


async def test_question_card_not_helpful_correction_and_the_next_customer_gets_it(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    assert answer.kind == "reply" and answer.reply_to == question["id"] and answer.token is None
    card = card_of(answer)
    assert PASSWORD_A in card_text(card) and "confidence" not in card_text(card)  # TEAMS_SHOW_CONFIDENCE
    assert verbs(card) == [ids.HELPED, ids.NOT_HELPED]  # customers never see "Correct this"
    assert harness.connector.threads_started(HANDOFF_CHANNEL) == []
    mine = await harness.view(answer, user=AGENT)
    assert verbs(mine) == [ids.APPROVE, ids.REJECT, ids.CORRECT] and "confidence" in card_text(mine)

    body = await harness.click(answer, ids.NOT_HELPED, user=AGENT)
    assert body["statusCode"] == 200 and body["type"] == ids.CARD_CONTENT_TYPE
    assert verbs(body["value"]) == [ids.APPROVE, ids.REJECT, ids.CORRECT]
    [verdict] = await events_of(harness.assistant, Signal.NOT_HELPED)
    assert (verdict.actor, verdict.role) == ("aad-agent", Role.AGENT)

    form = await harness.click(answer, ids.CORRECT, user=AGENT, shown=mine)
    inputs = {element["id"]: element for element in form["value"]["body"] if "id" in element}
    assert inputs[ids.TEXT_INPUT]["value"] == PASSWORD_A
    inputs = {ids.TEXT_INPUT: CORRECTED, ids.SCOPE_INPUT: ids.SCOPE_ACCOUNT}
    saved = await harness.click(answer, ids.CORRECT_SUBMIT, user=AGENT, inputs=inputs, shown=form["value"])
    assert texts.corrected_by("Alex Agent") in card_text(saved["value"])
    assert verbs(saved["value"]) == [ids.APPROVE, ids.REJECT]  # the agent's view: no second correction
    everyone = harness.connector.writes("update")[-1]  # and everyone's card says it was corrected
    assert everyone.id == answer.id and verbs(card_of(everyone)) == []
    assert texts.corrected_by("Alex Agent") in card_text(card_of(everyone))
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.actor == "aad-agent" and correction.account == "acme"
    posted = harness.replies(question)[-1]
    assert teams_text(CORRECTED) in card_text(card_of(posted))

    again = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    [second] = harness.replies(again)
    assert teams_text(CORRECTED) in card_text(card_of(second))


async def test_customers_cannot_correct_and_helpful_counts_once(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    assert verbs(await harness.view(answer, user=CUSTOMER)) == [ids.HELPED, ids.NOT_HELPED]
    agents = await harness.view(answer, user=AGENT)
    refused = await harness.click(answer, ids.CORRECT, user=CUSTOMER, shown=agents)  # a forged click
    assert refused["type"] == ids.MESSAGE_RESPONSE_TYPE and refused["value"] == texts.AGENTS_ONLY
    form = await harness.click(answer, ids.CORRECT, user=AGENT, shown=agents)
    inputs = {ids.TEXT_INPUT: "Wrong!", ids.SCOPE_INPUT: ids.SCOPE_EVERYONE}
    refused = await harness.click(
        answer, ids.CORRECT_SUBMIT, user=CUSTOMER, inputs=inputs, shown=form["value"]
    )
    assert refused["value"] == texts.AGENTS_ONLY
    assert await events_of(harness.assistant, Signal.CORRECT) == []

    for _ in range(2):
        body = await harness.click(answer, ids.HELPED, user=CUSTOMER)
        assert texts.HELPED_THANKS in card_text(body["value"])
    [helped] = await events_of(harness.assistant, Signal.HELPED)
    assert helped.role is Role.CUSTOMER


async def test_handoff_card_in_the_internal_channel_and_send_draft(harness: Harness) -> None:
    question = await harness.say(VAGUE)
    [notice] = harness.replies(question)
    assert notice.text == texts.HANDOFF_NOTICE
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    card = card_of(handoff)
    draft = (await harness.answer_on(handoff)).text
    shown = card_text(card)
    assert (
        draft and VAGUE in shown and "acme" in shown and teams_text(draft) in shown and "confidence" in shown
    )
    assert verbs(card) == [ids.SEND_DRAFT, ids.TAKE_HANDOFF]

    refused = await harness.click(handoff, ids.SEND_DRAFT, user=CUSTOMER)
    assert refused["value"] == texts.AGENTS_ONLY

    body = await harness.click(handoff, ids.SEND_DRAFT, user=AGENT)
    assert texts.sent_by("Alex Agent") in card_text(body["value"]) and verbs(body["value"]) == []
    sent, rating = harness.replies(question)[-2:]  # the draft, then the request for a rating
    assert card_text(card_of(rating)) == texts.CSAT_QUESTION
    assert sent.conversation == question["conversation"]["id"] and teams_text(draft) in card_text(
        card_of(sent)
    )
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert resolution.actor == "aad-agent"

    again = await harness.click(handoff, ids.SEND_DRAFT, user=AGENT)
    assert again["value"] == texts.ALREADY_HANDLED
    assert len(harness.replies(question)) == 3

    second = await harness.say(VAGUE, user=OTHER_CUSTOMER)
    [answer] = harness.replies(second)
    assert teams_text(draft) in card_text(card_of(answer)) and ids.HELPED in verbs(card_of(answer))


async def test_take_it_then_an_agent_reply_in_the_thread_is_the_resolution(harness: Harness) -> None:
    question = await harness.say(VAGUE)
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    taken = await harness.click(handoff, ids.TAKE_HANDOFF, user=AGENT)
    assert texts.taken_by("Alex Agent") in card_text(taken["value"])
    assert verbs(taken["value"]) == [ids.SEND_DRAFT]
    again = await harness.click(handoff, ids.TAKE_HANDOFF, user=AGENT)
    assert again["value"] == texts.ALREADY_TAKEN

    fix = "Your account was locked; I've unlocked it, please try again."
    await harness.say(fix, user=AGENT, thread=question["id"])
    await harness.say("note: checked the auth logs", user=AGENT, thread=question["id"])
    await harness.say("Let me check with the team and get back to you.", user=AGENT, thread=question["id"])
    assert await events_of(harness.assistant, Signal.RESOLVE) == []  # typed is not taught
    # the conversation is resolved: its latest real answer is what is learned, once
    learning = ReplyLearning(harness.assistant, harness.conversations)
    channel, thread = CUSTOMER_CHANNEL, question["id"]
    learned = await learning.promote_thread("teams", channel, thread, by="aad-agent")
    assert learned is not None
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert resolution.actor == "aad-agent" and "private to" in resolution.effect
    assert (await harness.assistant.store.get_items([resolution.item_id or ""]))[
        resolution.item_id or ""
    ].text == fix
    await harness.say("Also, please update your browser.", user=AGENT, thread=question["id"])
    assert await learning.promote_thread("teams", channel, thread, by="aad-agent") is None
    assert len(await events_of(harness.assistant, Signal.RESOLVE)) == 1
    # an agent's message is never answered, a customer's follow-up in an answered thread neither
    await harness.say("Thanks, and how do I change my email?", thread=question["id"])
    assert len(harness.replies(question)) == 1
    assert harness.bot.work.failures == 0


async def test_customer_not_helpful_hands_off_and_submit_fallback_updates_the_card(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    action = next(a for a in card_of(answer)["actions"] if a["verb"] == ids.NOT_HELPED)
    submit = harness.teams.card_submit(
        CUSTOMER, action, conversation=answer.conversation, card_id=answer.id, channel=CUSTOMER_CHANNEL
    )
    status, _ = await harness.post(submit)
    assert status in (200, 201)
    [update] = harness.connector.writes("update")
    assert update.id == answer.id and texts.NOT_HELPED_NOTED in card_text(card_of(update))
    [not_helped] = await events_of(harness.assistant, Signal.NOT_HELPED)
    assert not_helped.role is Role.CUSTOMER
    assert harness.replies(question)[-1].text == texts.STILL_NEED_HELP
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    assert PASSWORD_Q in card_text(card_of(handoff))


async def test_a_forged_card_cannot_reach_another_conversation(harness: Harness) -> None:
    mine = await harness.say(PASSWORD_Q)
    theirs = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    [my_answer], [their_answer] = harness.replies(mine), harness.replies(theirs)
    forged = json.loads(json.dumps(card_of(their_answer)))  # their card's refs, clicked from my thread
    before = len(harness.connector.posted)
    for verb in (ids.NOT_HELPED, ids.HELPED):
        body = await harness.click(my_answer, verb, user=CUSTOMER, shown=forged)
        assert body["value"] == texts.STALE_BUTTON
    assert len(harness.connector.posted) == before
    assert await events_of(harness.assistant, Signal.NOT_HELPED) == []
