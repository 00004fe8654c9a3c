"""The conversation model: states and their changes, routing of customer messages, the context
budget of long threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.accounts import AccountProfile
from assistant.context import ConversationContext, Turn
from assistant.errors import InvalidInputError
from assistant.threads import (
    Conversation,
    ThreadMessage,
    ThreadState,
    context_of,
    reopened,
    route,
    summarise,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def conversation() -> Conversation:
    return Conversation.start(platform="slack", channel="C1", thread="1.1", account="acme", asker="U1")


def message(n: int, text: str | None, speaker: str = "customer", kind: str = "follow_up") -> ThreadMessage:
    return ThreadMessage(
        conversation_id="conv_1",
        message_id=f"m{n}",
        author="U1" if speaker == "customer" else "bot",
        speaker=speaker,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        text=text,
        created_at=T0 + timedelta(minutes=n),
    )


def test_a_new_conversation_is_open_and_its_first_response_is_timed() -> None:
    opened = conversation()
    assert opened.state is ThreadState.OPEN and opened.participants == ("U1",)
    assert opened.first_response_at is None
    answered = opened.moved(ThreadState.ANSWERED, answer_id="ans_1")
    assert answered.state is ThreadState.ANSWERED and answered.answer_id == "ans_1"
    assert answered.first_response_at is not None
    again = answered.moved(ThreadState.ANSWERED)
    assert again.first_response_at == answered.first_response_at  # the first response, once


def test_changes_the_model_does_not_allow_raise() -> None:
    handed = conversation().moved(ThreadState.HANDED_OFF)
    with pytest.raises(InvalidInputError):
        handed.moved(ThreadState.ANSWERED)  # the bot does not answer over a person
    resolved = handed.moved(ThreadState.RESOLVED)
    with pytest.raises(InvalidInputError):
        resolved.moved(ThreadState.HANDED_OFF)
    assert reopened(resolved).state is ThreadState.OPEN


def test_messages_go_to_answering_until_a_person_owns_the_conversation() -> None:
    opened = conversation()
    assert route(opened) == "answer"
    assert route(opened.moved(ThreadState.ANSWERED)) == "answer"
    assert route(opened.moved(ThreadState.HANDED_OFF)) == "relay"
    taken = opened.moved(ThreadState.WAITING_ON_CUSTOMER, owner="U_AGENT")
    assert route(taken) == "relay"  # an agent replied: the customer's next words are theirs
    resolved = taken.moved(ThreadState.RESOLVED)
    assert route(resolved) == "answer"
    assert reopened(resolved).owner is None


def test_a_second_customer_joins_once() -> None:
    joined = conversation().joined("U2").joined("U2").joined("U1")
    assert joined.participants == ("U1", "U2")


def test_a_long_thread_is_summarised_within_the_budget() -> None:
    first = message(0, "How do I set up recurring invoices?", kind="question")
    chatter = [message(n, f"message number {n} " + "x" * 200) for n in range(1, 400)]
    deleted = message(400, None)
    relay = message(401, "relayed", kind="relay")
    last = message(402, "There is no Recurring tab for me, what now?")
    turns, omitted = summarise([first, *chatter, deleted, relay, last], budget=1000)
    assert turns[0].text == first.text  # what the thread is about is always kept
    assert turns[-1].text == last.text
    assert sum(len(t.text) for t in turns) <= 1000
    assert omitted == len(chatter) + 1 - (len(turns) - 1)
    assert all(t.text != "relayed" for t in turns)


def test_one_huge_message_is_cut_not_dropped() -> None:
    turns, _ = summarise([message(0, "y" * 10_000, kind="question")], budget=500)
    assert len(turns) == 1 and len(turns[0].text) <= 500


def test_context_carries_the_account_for_retrieval_and_as_data() -> None:
    profile = AccountProfile(account="acme", name="Acme Corp", plan="Pro", products=("Billing",))
    context = context_of(
        [
            message(0, "How do I export invoices?", kind="question"),
            message(1, "Use Export.", "assistant", "answer"),
        ],
        profile,
    )
    searched = context.retrieval_text("what about on the Pro plan?")
    assert "export invoices" in searched and "Pro plan" in searched
    assert "Billing" not in searched  # products would pull every search the same way
    assert "Use Export." not in searched  # the assistant's own words do not steer retrieval
    lines = context.lines()
    assert "account: Acme Corp" in lines and "plan: Pro" in lines and "products: Billing" in lines
    assert "assistant: Use Export." in lines
    assert ConversationContext().empty and not ConversationContext(turns=(Turn("customer", "x"),)).empty


def test_the_wait_for_people_starts_once_and_ends_when_they_reply() -> None:
    handed = conversation().moved(ThreadState.HANDED_OFF)
    assert handed.waiting_since is not None
    relayed = handed.moved(ThreadState.HANDED_OFF)  # the customer wrote again meanwhile
    assert relayed.waiting_since == handed.waiting_since
    replied = relayed.moved(ThreadState.WAITING_ON_CUSTOMER, owner="U_AGENT")
    assert replied.waiting_since is None
    again = replied.moved(ThreadState.HANDED_OFF)
    assert again.waiting_since is not None and again.waiting_since > handed.waiting_since
