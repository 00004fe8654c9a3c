"""Clicks, modal submissions and slash commands are kept in the inbox like events: nothing is lost.

Through the real Bolt app on loopback against ``FaultySlack`` and a real SQLite store, with a fast
inbox (``test_faults.faulty_harness``): Slack failing beyond the client's retries, or the database
failing while learning, leaves the payload pending; the sweep dispatches it again through the
same listeners, and what it learns and posts happens once. A payload delivered twice is handled
once. ``interaction_key`` is checked on its own first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import constants as ids
from adapters.slack import texts
from adapters.slack.interactions import describe, interaction_key
from adapters.slack.payloads import HandoffRef
from assistant.models import Signal
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    PASSWORD_Q,
    VAGUE,
    Harness,
)
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.adapters.slack.test_faults import ask, faulty_harness, in_thread, inbox_status, wait_status
from tests.adapters.slack.test_faults_db import failing_after_the_event_row
from tests.fakes.slack_requests import block_actions, slash_command, view_submission

CORRECTED = "Go to Settings > Security and press Reset password; the link in the email is valid for an hour."
TAUGHT_Q = "Do you support single sign-on with Okta?"
TAUGHT_A = "Yes: Settings > Security > SSO, then pick Okta and paste your metadata URL."
PATIENT = {"inbox_max_attempts": 50}  # the database may still refuse a few attempts


def key_of(payload: dict[str, Any]) -> str:
    key = interaction_key(payload)
    assert key is not None
    return key


async def handed_off(harness: Harness) -> tuple[str, dict[str, Any]]:
    """A question handed off: (its ts, the hand-off post in the internal channel)."""
    ts = await ask(harness, VAGUE)
    [handoff] = await harness.fake.wait_for(
        "chat.postMessage", where=lambda call: call.args.get("channel") == HANDOFF_CHANNEL, timeout=30
    )
    await harness.settle()
    return ts, {**handoff.args, "ts": handoff.response["ts"]}


async def answered(harness: Harness) -> tuple[str, dict[str, Any]]:
    """A question answered: (its ts, the answer's post)."""
    ts = await ask(harness, PASSWORD_Q)
    await harness.fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=30)
    await harness.settle()
    [answer] = harness.replies(ts)
    return ts, answer


async def until(condition: Any, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


# the keys


def test_each_kind_of_interactive_payload_has_the_key_slack_makes_unique() -> None:
    click = block_actions(
        user=AGENT, action_id=ids.SEND_DRAFT, value="{}", channel="C1", message_ts="1.2", response_url="u"
    )
    action_ts = click["actions"][0]["action_ts"]
    assert interaction_key(click) == f"action:{action_ts}:{AGENT}:{ids.SEND_DRAFT}"
    other_user = {**click, "user": {"id": "U_OTHER"}}  # two agents clicking at the same instant
    assert interaction_key(other_user) != interaction_key(click)

    submitted = view_submission(user=AGENT, callback_id=ids.CORRECT_VIEW, private_metadata="", values={})
    view = submitted["view"]
    assert interaction_key(submitted) == f"view:{view['id']}:{view['hash']}"

    command = slash_command(user=AGENT, channel="C1", text="help", response_url="u")
    assert interaction_key(command) == f"command:{command['trigger_id']}"

    assert interaction_key({"type": "message_action", "callback_id": ids.CORRECT_SHORTCUT}) is None
    assert interaction_key({"type": "block_actions", "actions": []}) is None
    assert interaction_key({"command": "/assistant"}) is None  # no trigger_id
    assert interaction_key({"type": "view_submission", "view": "nonsense"}) is None


def test_an_overlong_or_unprintable_key_is_hashed_to_a_bounded_one() -> None:
    long_key = interaction_key({"command": "/assistant", "trigger_id": "t" * 1000})
    odd_key = interaction_key({"command": "/assistant", "trigger_id": "a\x00b\ud800"})
    assert long_key is not None and long_key.startswith("command:sha256:") and len(long_key) < 100
    assert odd_key is not None and odd_key.isprintable() and odd_key != long_key


def test_a_given_up_payload_is_described_by_its_channel_and_what_was_asked() -> None:
    command = slash_command(user=AGENT, channel="C1", text="teach a | b", response_url="u")
    assert describe(command) == ("C1", "/assistant teach a | b")
    click = block_actions(
        user=AGENT, action_id=ids.SEND_DRAFT, value="{}", channel="C2", message_ts="1.2", response_url="u"
    )
    assert describe(click) == ("C2", f"a click on {ids.SEND_DRAFT} by {AGENT}")


# through the app


async def test_a_send_draft_click_slack_failed_to_post_is_completed_by_the_sweep_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        question_ts, handoff = await handed_off(harness)
        draft = (await harness.answer_on(HANDOFF_CHANNEL, handoff["ts"])).text
        # the first attempt's call and the client's 2 retries fail: the click stays in the inbox
        fake.fail("chat.postMessage", times=3, where=lambda args: args.get("thread_ts") == question_ts)
        click = block_actions(
            user=AGENT,
            action_id=ids.SEND_DRAFT,
            value=button(handoff, ids.SEND_DRAFT)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=fake.response_url("send"),
        )
        status, _, _ = await harness.sender.interaction(click)
        assert status == 200

        [_, sent] = await fake.wait_for("chat.postMessage", 2, where=in_thread(question_ts), timeout=60)
        assert await wait_status(harness, key_of(click), "done") >= 2
        await harness.settle()
        assert draft in block_text(sent.args)
        assert len([c for c in fake.calls_to("chat.postMessage") if c.status == 500]) == 3
        # the hand-off notice, then the draft (once), then the request for a rating
        assert [m["text"] for m in harness.replies(question_ts)][::2] == [
            texts.HANDOFF_NOTICE,
            texts.CSAT_QUESTION,
        ]
        assert len(harness.replies(question_ts)) == 3
        [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
        assert resolution.actor == AGENT
        [update] = fake.answered("chat.update")
        assert "sent the draft" in block_text(update.args)
        assert fake.calls_to("chat.postEphemeral") == []  # no "already handled" on the replay
        link = await harness.conversations.find_link("slack", CUSTOMER_CHANNEL, sent.response["ts"])
        assert link is not None and link.kind == "answer"


async def test_a_correction_the_database_failed_to_learn_is_learned_once_by_the_sweep(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, slack=PATIENT) as (harness, fake):
        question_ts, answer_post = await answered(harness)
        answer = await harness.answer_on(CUSTOMER_CHANNEL, answer_post["ts"])
        ref = HandoffRef(answer_id=answer.id, channel=CUSTOMER_CHANNEL, thread_ts=question_ts)
        values: dict[str, dict[str, Any]] = {
            ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": CORRECTED}},
            ids.SCOPE_BLOCK: {
                ids.SCOPE_INPUT: {"type": "radio_buttons", "selected_option": {"value": ids.SCOPE_ACCOUNT}}
            },
        }
        submission = view_submission(
            user=AGENT, callback_id=ids.CORRECT_VIEW, private_metadata=ref.dump(), values=values
        )
        with failing_after_the_event_row(harness.assistant) as refused:
            status, body, _ = await harness.sender.interaction(submission)
            assert (status, body) == (200, "")  # the modal closes: the submission is kept
            await until(lambda: bool(refused))
            assert await events_of(harness.assistant, Signal.CORRECT) == []

        assert await wait_status(harness, key_of(submission), "done") >= 2
        await harness.settle()
        [correction] = await events_of(harness.assistant, Signal.CORRECT)
        assert correction.actor == AGENT and correction.account == "acme"
        corrected = [m for m in harness.replies(question_ts) if CORRECTED in block_text(m)]
        assert len(corrected) == 1
        assert fake.calls_to("chat.postEphemeral") == []  # nobody was shown an error

        again = await ask(harness, PASSWORD_Q, user=CUSTOMER)
        [reply] = await fake.wait_for("chat.postMessage", where=in_thread(again), timeout=30)
        assert CORRECTED in block_text(reply.args)


async def test_a_command_replayed_after_a_database_failure_teaches_once_and_replies_ephemerally(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, slack=PATIENT) as (harness, fake):
        fields = slash_command(
            user=AGENT,
            channel=CUSTOMER_CHANNEL,
            text=f"teach {TAUGHT_Q} | {TAUGHT_A}",
            response_url=fake.response_url("teach"),
        )
        with failing_after_the_event_row(harness.assistant) as refused:
            status, _, _ = await harness.sender.command(fields)
            assert status == 200
            await until(lambda: bool(refused))

        assert await wait_status(harness, key_of(fields), "done") >= 2
        await harness.settle()
        [taught] = [e for e in await events_of(harness.assistant, Signal.TEACH) if e.actor == AGENT]
        # the replay answers through the Web API (the response_url may have expired), once
        assert fake.responses["teach"] == []
        [told] = fake.answered("chat.postEphemeral")
        assert told.args["user"] == AGENT and told.args["channel"] == CUSTOMER_CHANNEL
        assert taught.id in told.args["text"]


async def test_a_payload_delivered_twice_is_handled_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        _, answer_post = await answered(harness)
        helped = block_actions(
            user=CUSTOMER,
            action_id=ids.HELPED,
            value=button(answer_post, ids.HELPED)["value"],
            channel=CUSTOMER_CHANNEL,
            message_ts=answer_post["ts"],
            response_url=fake.response_url("helped"),
            team_id="T_ACME",
        )
        teach = slash_command(
            user=AGENT,
            channel=CUSTOMER_CHANNEL,
            text=f"teach {TAUGHT_Q} | {TAUGHT_A}",
            response_url=fake.response_url("teach"),
        )
        for _ in range(2):
            for status, body, _ in (
                await harness.sender.interaction(helped),
                await harness.sender.command(teach),
            ):
                assert (status, body) == (200, "")
        await harness.settle()

        [verdict] = await events_of(harness.assistant, Signal.HELPED)
        assert verdict.actor == CUSTOMER
        assert len(fake.answered("chat.update")) == 1
        assert len([e for e in await events_of(harness.assistant, Signal.TEACH) if e.actor == AGENT]) == 1
        [reply] = fake.responses["teach"]
        assert reply["text"].startswith("Learned: taught a new answer")
        assert fake.calls_to("chat.postEphemeral") == []
        for payload in (helped, teach):
            assert await inbox_status(harness, key_of(payload)) == ("done", 1)


async def test_an_already_taken_hand_off_is_still_refused_and_the_refusal_is_kept_done(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        _, handoff = await handed_off(harness)
        take = block_actions(
            user=AGENT,
            action_id=ids.TAKE_HANDOFF,
            value=button(handoff, ids.TAKE_HANDOFF)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=fake.response_url("take"),
        )
        fake.add_user("U_AGENT2")
        second = {**take, "user": {"id": "U_AGENT2", "team_id": "T_HOME"}}  # same instant, another agent
        for payload in (take, second):
            status, _, _ = await harness.sender.interaction(payload)
            assert status == 200
            await harness.settle()

        [update] = fake.answered("chat.update")
        assert f"<@{AGENT}> is taking this one" in block_text(update.args)
        [refusal] = fake.answered("chat.postEphemeral")
        assert (refusal.args["user"], refusal.args["text"]) == ("U_AGENT2", texts.ALREADY_TAKEN)
        for payload in (take, second):
            assert await inbox_status(harness, key_of(payload)) == ("done", 1)
