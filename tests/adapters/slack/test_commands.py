"""``/assistant`` through Bolt: agents teach, list, undo, forget and see stats; customers are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.slack import constants as ids
from adapters.slack import texts
from assistant.models import Question, Signal, utcnow
from tests.adapters.slack.conftest import AGENT, CUSTOMER, CUSTOMER_CHANNEL, HANDOFF_CHANNEL, Harness
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.fakes.slack_requests import block_actions, slash_command

QUESTION = "Do you support single sign-on with Okta?"
ANSWER = "Yes: Settings > Security > SSO, then pick Okta and paste your metadata URL."


async def command(harness: Harness, user: str, text: str, channel: str = "C_ACME") -> dict[str, Any]:
    name = f"cmd-{len(harness.fake.responses)}"
    team = harness.fake.users[user]["team_id"]
    fields = slash_command(
        user=user, channel=channel, text=text, response_url=harness.fake.response_url(name), team_id=team
    )
    status, body, _ = await harness.sender.command(fields)
    assert status == 200 and body == ""
    await harness.settle()
    [response] = harness.fake.responses[name]
    return response


async def test_a_customer_is_politely_refused_teach_and_nothing_is_learned(harness: Harness) -> None:
    before = await harness.assistant.learned(limit=100)
    for text in (f"teach {QUESTION} | {ANSWER}", "learned", "stats", f"forget {before[0].id}"):
        response = await command(harness, CUSTOMER, text)
        assert response["text"] == texts.AGENTS_ONLY
        assert response["response_type"] == "ephemeral"
    assert await harness.assistant.learned(limit=100) == before


async def test_an_agent_teaches_and_the_customer_gets_it(harness: Harness) -> None:
    response = await command(harness, AGENT, f"teach {QUESTION} | {ANSWER} --private")
    assert response["text"].startswith("Learned: taught a new answer (private to acme)")
    ts = await harness.say(QUESTION)
    assert ANSWER in block_text(harness.replies(ts)[0])


async def test_private_teaching_needs_a_customer_channel(harness: Harness) -> None:
    response = await command(
        harness, AGENT, f"teach {QUESTION} | {ANSWER} --private", channel=HANDOFF_CHANNEL
    )
    assert texts.NEED_ACCOUNT in response["text"]
    response = await command(harness, AGENT, "teach just a question")
    assert "Use: /assistant teach" in response["text"]


async def test_learned_lists_with_undo_and_undo_forgets(harness: Harness) -> None:
    await command(harness, AGENT, f"teach {QUESTION} | {ANSWER}")
    listing = await command(harness, AGENT, "learned")
    [newest] = [e for e in await events_of(harness.assistant, Signal.TEACH) if e.actor == AGENT]
    assert newest.id in block_text(listing) and f"<@{AGENT}>" in block_text(listing)
    undo = button(listing, ids.UNDO_LEARNED)  # the first button: newest first
    assert newest.id in undo["value"]

    name = "undo"
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.UNDO_LEARNED,
            value=undo["value"],
            channel="C_ACME",
            message_ts="1710000000.999999",
            response_url=harness.fake.response_url(name),
        )
    )
    [replaced] = harness.fake.responses[name]
    assert replaced["replace_original"] is True
    events = {e.id: e for e in await harness.assistant.learned(limit=100, include_undone=True)}
    assert events[newest.id].undone_at is not None
    ts = await harness.say(QUESTION)
    assert ANSWER not in block_text(harness.replies(ts)[0])


async def test_forget_stats_ask_help_and_unknown(harness: Harness) -> None:
    await command(harness, AGENT, f"teach {QUESTION} | {ANSWER}")
    [newest] = [e for e in await events_of(harness.assistant, Signal.TEACH) if e.actor == AGENT]
    assert (await command(harness, AGENT, f"forget {newest.id}"))["text"] == texts.undone(newest.id)
    again = await command(harness, AGENT, f"forget {newest.id}")
    assert again["text"].startswith(":warning:") and "already undone" in again["text"]
    assert (await command(harness, AGENT, "forget nope_123"))["text"].startswith(":warning:")

    asked = await command(harness, CUSTOMER, "ask How do I reset my password?")
    assert "Forgot password" in block_text(asked)
    stats = await command(harness, AGENT, "stats")
    assert "Auto-resolution" in stats["text"] and "Questions: 1" in stats["text"]
    assert (await command(harness, CUSTOMER, "help"))["text"] == texts.HELP
    assert (await command(harness, AGENT, ""))["text"] == texts.HELP
    assert (await command(harness, AGENT, "dance"))["text"].startswith(texts.UNKNOWN_COMMAND)


async def test_a_command_without_a_usable_response_url_is_answered_privately_in_the_channel(
    harness: Harness,
) -> None:
    fields = slash_command(user=CUSTOMER, channel="C_ACME", text="stats", response_url="not a url", team_id=(
        harness.fake.users[CUSTOMER]["team_id"]
    ))
    status, _, _ = await harness.sender.command(fields)
    await harness.settle()
    assert status == 200
    [reply] = harness.fake.answered("chat.postEphemeral")
    assert reply.args["user"] == CUSTOMER and reply.args["channel"] == "C_ACME"
    assert reply.args["text"] == texts.AGENTS_ONLY


async def click(harness: Harness, user: str, action_id: str, value: str) -> dict[str, Any]:
    name = f"click-{len(harness.fake.responses)}"
    await harness.interact(
        block_actions(
            user=user,
            action_id=action_id,
            value=value,
            channel="C_ACME",
            message_ts="1710000000.999999",
            response_url=harness.fake.response_url(name),
        )
    )
    [response] = harness.fake.responses[name]
    return response


async def test_spot_checks_are_judged_in_a_row_once_each(harness: Harness) -> None:
    """An agent judges the drawn silent answers one after another; a double click or a customer's
    click records nothing more, and each verdict is read as a spot check's."""
    answers = [
        await harness.assistant.ask(Question(text="How do I reset my password?", account="acme"))
        for _ in range(2)
    ]
    assert all(not answer.handed_off for answer in answers)
    assert await harness.assistant.teacher.accept_silent_answers(before=utcnow() + timedelta(days=2)) == 2
    await harness.assistant.store.mark_spot_checks([answer.id for answer in answers])
    older, newer = answers

    assert (await command(harness, CUSTOMER, "spot-check"))["text"] == texts.AGENTS_ONLY
    shown = await command(harness, AGENT, "spot-check")
    right = button(shown, ids.SPOT_CHECK_RIGHT)
    assert newer.id in right["value"] and "Forgot password" in block_text(shown)
    assert "How do I reset my password?" in block_text(shown)
    assert (await click(harness, CUSTOMER, ids.SPOT_CHECK_RIGHT, right["value"]))["text"] == texts.AGENTS_ONLY

    judged = await click(harness, AGENT, ids.SPOT_CHECK_RIGHT, right["value"])
    assert judged["replace_original"] is True
    assert texts.spot_check_recorded(True) in block_text(judged)
    assert older.id in button(judged, ids.SPOT_CHECK_WRONG)["value"]  # the next one in its place
    again = await click(harness, AGENT, ids.SPOT_CHECK_RIGHT, right["value"])
    assert texts.SPOT_CHECK_GONE in block_text(again)

    wrong = await click(harness, AGENT, ids.SPOT_CHECK_WRONG, button(judged, ids.SPOT_CHECK_WRONG)["value"])
    assert texts.spot_check_recorded(False) in block_text(wrong) and texts.NO_SPOT_CHECKS in block_text(wrong)

    assert [e.signal for e in await harness.assistant.learned(limit=100) if e.actor == AGENT] == [
        Signal.REJECT,
        Signal.APPROVE,
    ]
    checked = [o for o in await harness.assistant.store.labelled_outcomes(10) if o.spot_checked]
    assert sorted(o.correct for o in checked) == [False, True]
    assert (await command(harness, AGENT, "spot-check"))["text"] == texts.NO_SPOT_CHECKS


async def test_a_spot_check_links_to_the_thread_where_a_wrong_answer_is_corrected(harness: Harness) -> None:
    """A spot-checked answer given in a Slack thread shows the link to it (as Slack gives it), and
    judging it wrong says to correct it there, with the same link."""
    question_ts = await harness.say("How do I reset my password?")
    answer = await harness.answer_on(CUSTOMER_CHANNEL, question_ts)
    assert not answer.handed_off
    assert await harness.assistant.teacher.accept_silent_answers(before=utcnow() + timedelta(days=2)) == 1
    await harness.assistant.store.mark_spot_checks([answer.id])

    shown = await command(harness, AGENT, "spot-check")
    asked = harness.fake.answered("chat.getPermalink")
    [permalink] = [call for call in asked if call.args["message_ts"] == question_ts]
    assert permalink.args["channel"] == CUSTOMER_CHANNEL
    link = permalink.response["permalink"]
    assert f"<{link}|open the thread>" in block_text(shown)

    wrong = await click(harness, AGENT, ids.SPOT_CHECK_WRONG, button(shown, ids.SPOT_CHECK_WRONG)["value"])
    assert texts.spot_check_recorded(False, link) in block_text(wrong)
    assert f"<{link}|its thread>" in block_text(wrong) and texts.NO_SPOT_CHECKS in block_text(wrong)
