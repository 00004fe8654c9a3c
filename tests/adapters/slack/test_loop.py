"""The learning loop through real Bolt over HTTP: answers, hand-offs, reactions, replies, buttons."""

from __future__ import annotations

from adapters.slack import constants as ids
from adapters.slack import texts
from assistant.models import Role, Signal
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    VAGUE,
    Harness,
)
from tests.adapters.slack.helpers import block_text, button, events_of, has_button, teach_prompts
from tests.fakes.slack_requests import block_actions, reaction_event, view_submission

CORRECTED = "Go to Settings > Security and press Reset password; the link in the email is valid for an hour."


async def test_question_answer_reject_correct_and_the_next_customer_gets_the_correction(
    harness: Harness,
) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    [answer_message] = harness.replies(question_ts)
    assert PASSWORD_A in block_text(answer_message)
    assert "confidence" not in block_text(answer_message)  # internal unless SLACK_SHOW_CONFIDENCE
    assert has_button(answer_message, ids.HELPED) and has_button(answer_message, ids.NOT_HELPED)
    assert harness.fake.messages(HANDOFF_CHANNEL) == []

    status, _, _ = await harness.sender.event(
        reaction_event(AGENT, "x", channel="C_ACME", ts=answer_message["ts"])
    )
    assert status == 200
    await harness.settle()
    [rejection] = await events_of(harness.assistant, Signal.REJECT)
    assert (rejection.actor, rejection.role) == (AGENT, Role.AGENT)

    reply_ts = await harness.say(f"<@{CUSTOMER}> {CORRECTED}", user=AGENT, thread_ts=question_ts)
    # typed is not taught: the reply is a candidate until the agent says it is the answer
    assert await events_of(harness.assistant, Signal.CORRECT) == []
    [prompt] = teach_prompts(harness.fake, AGENT)
    assert "acme" in prompt["text"] and prompt["thread_ts"] == question_ts
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.TEACH_REPLY,
            value=button(prompt, ids.TEACH_REPLY)["value"],
            channel="C_ACME",
            message_ts=harness.ts(),
            response_url=harness.fake.response_url("teach"),
        )
    )
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.actor == AGENT and correction.account == "acme"
    assert "private to acme" in correction.effect
    [candidate] = await harness.conversations.thread_candidates("slack", "C_ACME", question_ts)
    assert candidate.message_ts == reply_ts and candidate.event_id == correction.id
    assert harness.fake.answered("reactions.add") == []  # no mark customers see (SLACK_LEARNED_REACTION)
    told = harness.fake.answered("chat.postEphemeral")[-1].args["text"]
    assert correction.id in told and "forget" in told  # what was learned, and how to undo it

    second_ts = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    [second] = harness.replies(second_ts)
    assert CORRECTED in block_text(second)
    assert f"<@{CUSTOMER}>" not in block_text(second)


async def test_small_talk_bots_edits_and_agents_get_no_answer(harness: Harness) -> None:
    for text in ("thanks!", "ok", ":+1: :tada:", "Hi team"):
        await harness.say(text)
    await harness.say("How do I reset my password? (asking for the team)", user=AGENT)
    ts = harness.ts()
    await harness.sender.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B_OTHER",
            "channel": "C_ACME",
            "text": "How?",
            "ts": ts,
        }
    )
    await harness.sender.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C_ACME",
            "ts": harness.ts(),
            "message": {"type": "message", "user": CUSTOMER, "text": PASSWORD_Q, "ts": ts},
        }
    )
    await harness.settle()
    assert harness.fake.calls_to("chat.postMessage") == []
    assert (await harness.assistant.store.stats())["questions"] == 0


async def test_a_thread_question_is_answered_once_and_a_follow_up_is_answered_too(harness: Harness) -> None:
    root = await harness.say("Hi all")
    await harness.say(PASSWORD_Q, thread_ts=root)
    assert len(harness.replies(root)) == 1
    await harness.say("And how do I change my email address?", thread_ts=root)
    first, follow_up = harness.replies(root)
    assert PASSWORD_A in block_text(first) and "Settings > Profile" in block_text(follow_up)


async def test_handoff_then_send_draft_resolves_and_teaches(harness: Harness) -> None:
    question_ts = await harness.say(VAGUE)
    [notice] = harness.replies(question_ts)
    assert notice["text"] == texts.HANDOFF_NOTICE
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    draft = (await harness.answer_on(HANDOFF_CHANNEL, handoff["ts"])).text
    shown = block_text(handoff)
    assert draft and VAGUE in shown and "acme" in shown and draft in shown and "confidence" in shown
    assert all(has_button(handoff, a) for a in (ids.SEND_DRAFT, ids.EDIT_AND_SEND, ids.TAKE_HANDOFF))

    send = button(handoff, ids.SEND_DRAFT)
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.SEND_DRAFT,
            value=send["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("send"),
        )
    )
    sent, rating = harness.replies(question_ts)[-2:]  # the answer, then the request for a rating
    assert rating["text"] == texts.CSAT_QUESTION
    assert draft in block_text(sent)
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert resolution.actor == AGENT
    [update] = harness.fake.answered("chat.update")
    assert update.args["ts"] == handoff["ts"] and "sent the draft" in block_text(update.args)
    assert not has_button(update.args, ids.SEND_DRAFT)

    # a second click (another agent, or a double click) changes nothing
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.SEND_DRAFT,
            value=send["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("send"),
        )
    )
    assert len(harness.replies(question_ts)) == 3  # the notice, the draft and the rating request: once
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.ALREADY_HANDLED

    # the same question now has a learned answer
    again_ts = await harness.say(VAGUE, user=OTHER_CUSTOMER)
    [answer] = harness.replies(again_ts)
    assert draft in block_text(answer) and has_button(answer, ids.HELPED)


async def test_edit_and_send_posts_the_edited_text_and_learns_it(harness: Harness) -> None:
    question_ts = await harness.say(VAGUE)
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    draft = (await harness.answer_on(HANDOFF_CHANNEL, handoff["ts"])).text
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.EDIT_AND_SEND,
            value=button(handoff, ids.EDIT_AND_SEND)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("edit"),
        )
    )
    [opened] = harness.fake.answered("views.open")
    modal = opened.args["view"]
    assert opened.args["trigger_id"].startswith("trigger-")
    assert modal["callback_id"] == ids.EDIT_VIEW
    assert modal["blocks"][0]["element"]["initial_value"] == draft

    edited = "Your account was locked after five failed sign-ins; it unlocks itself after 15 minutes."
    values = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": edited}}}
    await harness.interact(
        view_submission(
            user=AGENT, callback_id=ids.EDIT_VIEW, private_metadata=modal["private_metadata"], values=values
        )
    )
    sent, rating = harness.replies(question_ts)[-2:]  # the answer, then the request for a rating
    assert rating["text"] == texts.CSAT_QUESTION
    assert edited in block_text(sent) and f"<@{AGENT}>" in block_text(sent)
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert "learned" in resolution.effect
    [update] = harness.fake.answered("chat.update")
    assert "edited answer" in block_text(update.args)

    again_ts = await harness.say(VAGUE, user=OTHER_CUSTOMER)
    assert edited in block_text(harness.replies(again_ts)[0])


async def test_ill_take_it_claims_once_and_an_agent_reply_resolves(harness: Harness) -> None:
    question_ts = await harness.say(VAGUE)
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    take = block_actions(
        user=AGENT,
        action_id=ids.TAKE_HANDOFF,
        value=button(handoff, ids.TAKE_HANDOFF)["value"],
        channel=HANDOFF_CHANNEL,
        message_ts=handoff["ts"],
        response_url=harness.fake.response_url("take"),
    )
    await harness.interact(take)
    [update] = harness.fake.answered("chat.update")
    assert f"<@{AGENT}> is taking this one" in block_text(update.args)
    assert not has_button(update.args, ids.TAKE_HANDOFF) and has_button(update.args, ids.SEND_DRAFT)

    harness.fake.add_user("U_AGENT2")
    await harness.interact({**take, "user": {"id": "U_AGENT2", "team_id": "T_HOME"}})
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.ALREADY_TAKEN
    assert len(harness.fake.answered("chat.update")) == 1

    fix = "Your account was locked; I've unlocked it, please try again."
    fix_ts = await harness.say(fix, user=AGENT, thread_ts=question_ts)
    assert await events_of(harness.assistant, Signal.RESOLVE) == []  # a candidate, not knowledge
    await harness.sender.event(reaction_event(AGENT, "white_check_mark", channel="C_ACME", ts=fix_ts))
    await harness.settle()
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert resolution.actor == AGENT
    # a note is not even a candidate, and only one reply resolves the exchange
    await harness.say("note: checked the auth logs", user=AGENT, thread_ts=question_ts)
    assert len(teach_prompts(harness.fake, AGENT)) == 1
    also_ts = await harness.say("Also, please update your browser.", user=AGENT, thread_ts=question_ts)
    await harness.sender.event(reaction_event(AGENT, "white_check_mark", channel="C_ACME", ts=also_ts))
    await harness.settle()
    assert len(await events_of(harness.assistant, Signal.RESOLVE)) == 1


async def test_customer_buttons_helped_and_still_need_help(harness: Harness) -> None:
    first = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(first)
    await harness.interact(
        block_actions(
            user=CUSTOMER,
            action_id=ids.HELPED,
            value=button(answer, ids.HELPED)["value"],
            channel="C_ACME",
            message_ts=answer["ts"],
            response_url=harness.fake.response_url("helped"),
            team_id="T_ACME",
        )
    )
    [helped] = await events_of(harness.assistant, Signal.HELPED)
    assert helped.role is Role.CUSTOMER
    [update] = harness.fake.answered("chat.update")
    assert texts.HELPED_THANKS in block_text(update.args) and not has_button(update.args, ids.HELPED)

    second = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    [answer2] = harness.replies(second)
    await harness.interact(
        block_actions(
            user=OTHER_CUSTOMER,
            action_id=ids.NOT_HELPED,
            value=button(answer2, ids.NOT_HELPED)["value"],
            channel="C_ACME",
            message_ts=answer2["ts"],
            response_url=harness.fake.response_url("not-helped"),
            team_id="T_ACME",
        )
    )
    [not_helped] = await events_of(harness.assistant, Signal.NOT_HELPED)
    assert not_helped.role is Role.CUSTOMER
    assert harness.replies(second)[-1]["text"] == texts.STILL_NEED_HELP
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    assert PASSWORD_Q in block_text(handoff)

    sso_ts = await harness.say(
        "Your account is SSO-only: sign in with Okta instead.", user=AGENT, thread_ts=second
    )
    assert await events_of(harness.assistant, Signal.RESOLVE) == []
    # the customer's ✅ on the agent's reply: "this solved it"
    await harness.sender.event(
        reaction_event(OTHER_CUSTOMER, "white_check_mark", channel="C_ACME", ts=sso_ts)
    )
    await harness.settle()
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert resolution.actor == AGENT and resolution.account == "acme"
