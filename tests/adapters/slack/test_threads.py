"""Customer threads as conversations, on the real Bolt app against the fake Slack Web API: every
customer message in a thread gets a visible outcome (answered in context, handed off with the
customer told, or relayed to the person who owns it), never silence; agents' replies move the
conversation and can be sent to the customer from the hand-off thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.integrations.account_file import FileAccountContext
from adapters.slack import constants as ids
from adapters.slack import texts
from assistant.models import Role, Signal, utcnow
from assistant.threads import ThreadState
from tests.adapters.slack.conftest import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    VAGUE,
    Harness,
    database_url,
)
from tests.adapters.slack.harness import running_harness
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.fakes.slack_requests import block_actions, message_event

INVOICES_Q = "Where can I download my invoices?"
VAGUE_FOLLOW_UP = "and where can I download the older ones?"
FOLLOW_UP = "I tried that and it still says error 401, what else can I do?"


async def conversation_of(harness: Harness, root: str) -> Any:
    found = await harness.conversations.get_conversation("slack", CUSTOMER_CHANNEL, root)
    assert found is not None
    return found


def relays(harness: Harness, handoff_ts: str) -> list[dict[str, Any]]:
    return [m for m in harness.fake.messages(HANDOFF_CHANNEL, handoff_ts) if ":speech_balloon:" in m["text"]]


async def handed_off(harness: Harness) -> tuple[str, dict[str, Any]]:
    """A question handed off: its ts and the hand-off post."""
    question_ts = await harness.say(VAGUE)
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    return question_ts, handoff


async def test_an_answered_question_is_a_conversation_and_a_follow_up_is_answered_in_its_context(
    harness: Harness,
) -> None:
    question_ts = await harness.say(INVOICES_Q)
    conversation = await conversation_of(harness, question_ts)
    assert (conversation.state, conversation.asker, conversation.account) == (
        ThreadState.ANSWERED,
        CUSTOMER,
        "acme",
    )
    assert conversation.first_response_at is not None

    await harness.say(VAGUE_FOLLOW_UP, thread_ts=question_ts)
    first, follow_up = harness.replies(question_ts)
    assert "Settings > Billing" in block_text(first)
    assert "Settings > Billing" in block_text(follow_up)  # "the older ones" are invoices: the thread says so
    stored = await harness.answer_on(CUSTOMER_CHANNEL, follow_up["ts"])
    question = await harness.assistant.get_question(stored.question_id)
    assert question is not None and question.text == VAGUE_FOLLOW_UP

    # the control: the same words asked on their own are not understood, so they are handed off
    alone = await harness.say(VAGUE_FOLLOW_UP)
    assert harness.replies(alone)[0]["text"] == texts.HANDOFF_NOTICE
    messages = await harness.conversations.thread_messages(conversation.id)
    assert [(m.speaker, m.kind) for m in messages] == [
        ("customer", "question"),
        ("assistant", "answer"),
        ("customer", "follow_up"),
        ("assistant", "answer"),
    ]


async def test_a_follow_up_nothing_answers_is_handed_off_and_the_customer_is_told(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say(FOLLOW_UP, thread_ts=question_ts)
    first, notice = harness.replies(question_ts)
    assert PASSWORD_A in block_text(first)
    assert notice["text"] == texts.FOLLOW_UP_HANDOFF
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    assert FOLLOW_UP in block_text(handoff)
    conversation = await conversation_of(harness, question_ts)
    assert conversation.state is ThreadState.HANDED_OFF
    assert (conversation.handoff_channel, conversation.handoff_post) == (HANDOFF_CHANNEL, handoff["ts"])


async def test_the_handoff_post_is_a_ticket_card_with_asker_and_a_link(harness: Harness) -> None:
    question_ts, handoff = await handed_off(harness)
    shown = block_text(handoff)
    assert f"<@{CUSTOMER}>" in shown
    [permalink] = harness.fake.answered("chat.getPermalink")
    assert permalink.response["permalink"] in shown
    assert permalink.args["message_ts"] == question_ts
    assert "State: *handed off*" in shown


async def test_customer_messages_after_a_handoff_are_relayed_once_each_to_the_handoff_thread(
    harness: Harness,
) -> None:
    question_ts, handoff = await handed_off(harness)
    ts = await harness.say(FOLLOW_UP, thread_ts=question_ts)
    [relay] = relays(harness, handoff["ts"])
    assert FOLLOW_UP in block_text(relay) and f"<@{CUSTOMER}>" in block_text(relay)
    assert len(harness.replies(question_ts)) == 1  # the customer was told already: no second notice

    # the same message delivered again under another event id (a replay after a crash) is not relayed twice
    event = message_event(
        CUSTOMER_CHANNEL, CUSTOMER, FOLLOW_UP, ts=ts, thread_ts=question_ts, user_team=ACME_TEAM
    )
    status, _, _ = await harness.sender.event(event)
    assert status == 200
    await harness.settle()
    assert len(relays(harness, handoff["ts"])) == 1

    # a second customer in the same thread is heard too, and joins the conversation
    await harness.say("Same problem here on my side.", user=OTHER_CUSTOMER, thread_ts=question_ts)
    assert len(relays(harness, handoff["ts"])) == 2
    conversation = await conversation_of(harness, question_ts)
    assert conversation.participants == (CUSTOMER, OTHER_CUSTOMER)
    assert harness.fake.calls_to("chat.update") == []


async def test_small_talk_after_a_handoff_still_reaches_the_agents(harness: Harness) -> None:
    question_ts, handoff = await handed_off(harness)
    await harness.say("thanks!", thread_ts=question_ts)
    assert len(relays(harness, handoff["ts"])) == 1


async def test_an_agents_holding_reply_is_not_a_customer_message_and_makes_them_the_owner(
    harness: Harness,
) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say("Looking into this for you, one moment.", user=AGENT, thread_ts=question_ts)
    assert len(harness.replies(question_ts)) == 1  # nothing answered the agent
    conversation = await conversation_of(harness, question_ts)
    assert (conversation.state, conversation.owner) == (ThreadState.WAITING_ON_CUSTOMER, AGENT)

    await harness.say(FOLLOW_UP, thread_ts=question_ts)
    assert len(harness.replies(question_ts)) == 1  # the bot does not answer over the agent
    [relay] = [m for m in harness.fake.messages(HANDOFF_CHANNEL) if ":speech_balloon:" in m["text"]]
    assert FOLLOW_UP in block_text(relay)
    conversation = await conversation_of(harness, question_ts)
    assert (conversation.handoff_post, conversation.state) == (relay["ts"], ThreadState.HANDED_OFF)


async def test_an_agents_reply_under_the_handoff_post_is_sent_to_the_customer_once(harness: Harness) -> None:
    question_ts, handoff = await handed_off(harness)
    reply = "Your account was locked after too many attempts; I've unlocked it, please try again."
    await harness.say(reply, user=AGENT, channel=HANDOFF_CHANNEL, thread_ts=handoff["ts"])
    assert len(harness.replies(question_ts)) == 1  # the agent's reply stays internal until they say so
    [offer] = [
        c.args
        for c in harness.fake.answered("chat.postEphemeral")
        if c.args.get("user") == AGENT and "Send to customer" in str(c.args.get("blocks"))
    ]
    assert offer["channel"] == HANDOFF_CHANNEL and offer["thread_ts"] == handoff["ts"]
    value = button(offer, ids.SEND_TO_CUSTOMER)["value"]

    for _ in range(2):  # a double click
        await harness.interact(
            block_actions(
                user=AGENT,
                action_id=ids.SEND_TO_CUSTOMER,
                value=value,
                channel=HANDOFF_CHANNEL,
                message_ts=harness.ts(),
                response_url=harness.fake.response_url("send"),
            )
        )
    notice, sent = harness.replies(question_ts)
    assert notice["text"] == texts.HANDOFF_NOTICE
    assert reply in block_text(sent)
    conversation = await conversation_of(harness, question_ts)
    assert (conversation.state, conversation.owner) == (ThreadState.WAITING_ON_CUSTOMER, AGENT)
    [card] = harness.fake.answered("chat.update")  # the ticket card says who has it and where it is
    assert card.args["ts"] == handoff["ts"]
    assert "State: *waiting on customer*" in block_text(card.args) and f"Owner: <@{AGENT}>" in block_text(
        card.args
    )

    # a customer cannot press it
    await harness.interact(
        block_actions(
            user=CUSTOMER,
            action_id=ids.SEND_TO_CUSTOMER,
            value=value,
            channel=HANDOFF_CHANNEL,
            message_ts=harness.ts(),
            response_url=harness.fake.response_url("send2"),
        )
    )
    assert len(harness.replies(question_ts)) == 2


async def test_take_and_resolve_update_the_card_and_the_conversation(harness: Harness) -> None:
    question_ts, handoff = await handed_off(harness)
    for action in (ids.TAKE_HANDOFF, ids.SEND_DRAFT):
        await harness.interact(
            block_actions(
                user=AGENT,
                action_id=action,
                value=button(handoff, action)["value"],
                channel=HANDOFF_CHANNEL,
                message_ts=handoff["ts"],
                response_url=harness.fake.response_url(action),
            )
        )
        if action == ids.TAKE_HANDOFF:
            conversation = await conversation_of(harness, question_ts)
            assert (conversation.state, conversation.owner) == (ThreadState.HANDED_OFF, AGENT)
    taken, resolved = harness.fake.answered("chat.update")
    assert f"Owner: <@{AGENT}>" in block_text(taken.args)
    assert "State: *resolved*" in block_text(resolved.args)
    conversation = await conversation_of(harness, question_ts)
    assert conversation.state is ThreadState.RESOLVED

    # the customer writes again: the conversation opens again and is answered, not relayed
    await harness.say(PASSWORD_Q, thread_ts=question_ts)
    assert PASSWORD_A in block_text(harness.replies(question_ts)[-1])
    assert (await conversation_of(harness, question_ts)).state is ThreadState.ANSWERED


@pytest.fixture
async def named(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    """The harness with the sample accounts file as the account context."""
    accounts = FileAccountContext(Path(__file__).parents[3] / "samples" / "accounts.yaml")
    async with running_harness(database_url(tmp_path), embedder, accounts=accounts) as started:
        yield started


async def test_the_card_names_the_account_and_a_follow_up_knows_its_plan(named: Harness) -> None:
    _, handoff = await handed_off(named)
    assert "Hand-off from Acme Corp" in block_text(handoff)
    assert "account *Acme Corp*" in block_text(handoff)
    assert "Priority: *premium* (first response within 4 h)" in block_text(handoff)  # the default target

    root = await named.say(INVOICES_Q)
    await named.say("and what about on my plan?", thread_ts=root)
    conversation = await conversation_of(named, root)
    context = await named.slack.deps.threads.context(conversation)
    assert context.account is not None and context.account.plan == "Growth"
    assert "Growth" in context.retrieval_text("and what about on my plan?")
    assert len(named.replies(root)) == 2  # answered or handed off: never silent


async def test_edits_and_deletions_update_the_conversation(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    follow_ts = await harness.say("thanks, that worked", thread_ts=question_ts)
    assert len(harness.replies(question_ts)) == 1  # small talk after an answer: recorded, not answered
    edited = {"type": "message", "user": CUSTOMER, "text": "thanks, that worked perfectly", "ts": follow_ts}
    await harness.sender.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CUSTOMER_CHANNEL,
            "hidden": True,
            "ts": harness.ts(),
            "event_ts": harness.ts(),
            "message": {**edited, "thread_ts": question_ts, "edited": {"user": CUSTOMER, "ts": harness.ts()}},
            "previous_message": {**edited, "text": "thanks, that worked", "thread_ts": question_ts},
        }
    )
    await harness.sender.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": CUSTOMER_CHANNEL,
            "hidden": True,
            "deleted_ts": question_ts,
            "ts": harness.ts(),
            "event_ts": harness.ts(),
            "previous_message": {"type": "message", "user": CUSTOMER, "text": PASSWORD_Q, "ts": question_ts},
        }
    )
    await harness.settle()
    conversation = await conversation_of(harness, question_ts)
    said = {m.message_id: m.text for m in await harness.conversations.thread_messages(conversation.id)}
    assert said[question_ts] is None and said[follow_ts] == "thanks, that worked perfectly"
    assert harness.fake.calls_to("chat.postMessage")[-1].args["thread_ts"] == question_ts
    assert len(harness.fake.calls_to("chat.postMessage")) == 1  # nothing posted for the edit or deletion


async def test_a_resolved_conversation_asks_the_customer_for_a_rating_once(harness: Harness) -> None:
    question_ts, handoff = await handed_off(harness)
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.SEND_DRAFT,
            value=button(handoff, ids.SEND_DRAFT)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("send"),
        )
    )
    prompt = harness.replies(question_ts)[-1]
    assert prompt["text"] == texts.CSAT_QUESTION
    great = button(prompt, f"{ids.CSAT_PREFIX}3")
    for user in (AGENT, CUSTOMER, CUSTOMER):  # an agent cannot rate; a customer rates once
        await harness.interact(
            block_actions(
                user=user,
                action_id=great["action_id"],
                value=great["value"],
                channel=CUSTOMER_CHANNEL,
                message_ts=prompt["ts"],
                response_url=harness.fake.response_url("rate"),
            )
        )
    conversation = await conversation_of(harness, question_ts)
    assert conversation.csat == 3
    [helped] = await events_of(harness.assistant, Signal.HELPED)
    assert (helped.actor, helped.role) == (CUSTOMER, Role.CUSTOMER)
    [thanks] = [c for c in harness.fake.answered("chat.update") if c.args["ts"] == prompt["ts"]]
    assert "Thanks for your rating" in thanks.args["text"]


@pytest.fixture
async def strict(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    """Premium accounts (acme, in the sample file) get a first response within 30 minutes."""
    accounts = FileAccountContext(Path(__file__).parents[3] / "samples" / "accounts.yaml")
    overrides = {"first_response_minutes": "premium=30,default=240"}
    async with running_harness(
        database_url(tmp_path), embedder, accounts=accounts, settings_overrides=overrides
    ) as started:
        yield started


async def test_a_conversation_waiting_past_its_tiers_target_is_reminded_once(strict: Harness) -> None:
    question_ts, handoff = await handed_off(strict)
    assert "Priority: *premium* (first response within 30 min)" in block_text(handoff)
    reminders = strict.slack.reminders
    assert await reminders.check(now=utcnow() + timedelta(minutes=20)) == 0
    assert await reminders.check(now=utcnow() + timedelta(minutes=31)) == 1
    assert await reminders.check(now=utcnow() + timedelta(minutes=45)) == 0  # once per waiting period
    [reminder] = [m for m in strict.fake.messages(HANDOFF_CHANNEL, handoff["ts"]) if "⏰" in m["text"]]
    assert f"<@{CUSTOMER}>" in reminder["text"] and "30 min" in reminder["text"]

    # the customer writing again does not restart the clock (nor remind twice) ...
    await strict.say(FOLLOW_UP, thread_ts=question_ts)
    assert await reminders.check(now=utcnow() + timedelta(minutes=50)) == 0
    # ... an agent's reply ends the wait; the customer's next message starts a new one
    await strict.say("Looking at it now.", user=AGENT, thread_ts=question_ts)
    assert await reminders.check(now=utcnow() + timedelta(minutes=50)) == 0
    await strict.say("Any news?", thread_ts=question_ts)
    assert await reminders.check(now=utcnow() + timedelta(minutes=31)) == 1


async def test_the_default_target_applies_to_an_account_without_a_tier(harness: Harness) -> None:
    await handed_off(harness)
    assert await harness.slack.reminders.check(now=utcnow() + timedelta(minutes=31)) == 0
    assert await harness.slack.reminders.check(now=utcnow() + timedelta(hours=4, minutes=1)) == 1


async def test_a_relay_whose_post_was_taken_but_not_answered_is_not_posted_twice(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    from tests.adapters.slack.test_faults import faulty_harness, wait_status

    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        question_ts = await harness.say(VAGUE)
        [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
        harness.slack.inbox.start()  # the sweep runs what a failure left pending
        fake.lose_answer(
            "chat.postMessage", times=1, where=lambda args: args.get("thread_ts") == handoff["ts"]
        )
        ts = harness.ts()
        event = message_event(
            CUSTOMER_CHANNEL, CUSTOMER, FOLLOW_UP, ts=ts, thread_ts=question_ts, user_team=ACME_TEAM
        )
        status, _, _ = await harness.sender.event(event, event_id="EvRELAY")
        assert status == 200
        assert await wait_status(harness, "EvRELAY", "done") >= 2  # retried by the sweep
        await harness.settle()
        [relay] = relays(harness, handoff["ts"])  # Slack took the first post: found, not posted again
        assert FOLLOW_UP in block_text(relay)
        assert len(fake.attempts("chat.postMessage")) == 3  # the notice, the card, the one relay


async def test_a_follow_up_delivered_twice_is_answered_once(harness: Harness) -> None:
    question_ts = await harness.say(INVOICES_Q)
    ts = await harness.say(VAGUE_FOLLOW_UP, thread_ts=question_ts)
    assert len(harness.replies(question_ts)) == 2
    event = message_event(
        CUSTOMER_CHANNEL, CUSTOMER, VAGUE_FOLLOW_UP, ts=ts, thread_ts=question_ts, user_team=ACME_TEAM
    )
    status, _, _ = await harness.sender.event(event)  # another event id: not the inbox's duplicate
    assert status == 200
    await harness.settle()
    assert len(harness.replies(question_ts)) == 2
    assert (await harness.assistant.store.stats())["questions"] == 2


async def test_a_second_customer_in_an_answered_thread_is_answered_and_joins(harness: Harness) -> None:
    question_ts = await harness.say(INVOICES_Q)
    await harness.say(
        "How do I change the email address on my account?", user=OTHER_CUSTOMER, thread_ts=question_ts
    )
    _, second = harness.replies(question_ts)
    assert "Settings > Profile" in block_text(second)
    conversation = await conversation_of(harness, question_ts)
    assert conversation.participants == (CUSTOMER, OTHER_CUSTOMER)
    stored = await harness.answer_on(CUSTOMER_CHANNEL, second["ts"])
    asked = await harness.assistant.get_question(stored.question_id)
    assert asked is not None and asked.user == OTHER_CUSTOMER


async def test_customers_personal_data_is_not_kept_in_the_conversation(harness: Harness) -> None:
    question_ts, _ = await handed_off(harness)
    await harness.say("You can reach me at jane.doe@acme.example or +1 415 555 0100.", thread_ts=question_ts)
    conversation = await conversation_of(harness, question_ts)
    kept = " ".join(m.text or "" for m in await harness.conversations.thread_messages(conversation.id))
    assert "jane.doe@acme.example" not in kept and "555 0100" not in kept


async def test_this_solved_it_resolves_a_conversation_nobody_owns(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question_ts)
    helped = button(answer, ids.HELPED)
    for user in (AGENT, CUSTOMER):  # an agent's approval is not the customer's word
        await harness.interact(
            block_actions(
                user=user,
                action_id=ids.HELPED,
                value=helped["value"],
                channel=CUSTOMER_CHANNEL,
                message_ts=answer["ts"],
                response_url=harness.fake.response_url(f"helped-{user}"),
            )
        )
        state = (await conversation_of(harness, question_ts)).state
        assert state is (ThreadState.ANSWERED if user == AGENT else ThreadState.RESOLVED)
    # and the customer writing again opens it again
    await harness.say("And how do I change the email address on my account?", thread_ts=question_ts)
    assert (await conversation_of(harness, question_ts)).state is ThreadState.ANSWERED
