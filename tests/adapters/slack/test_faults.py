"""Faults through the real Bolt app: Slack failing (5xx), given-up events, rate and length limits.

The app runs on loopback against ``FaultySlack`` (the fake Web API with outages) on a real SQLite
store, with a short inbox lease and sweep interval so a failed event is retried within seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import texts
from adapters.slack.constants import PLATFORM
from adapters.storage.sql.conversations_schema import inbox_events
from assistant.limits import QuestionLimits
from assistant.models import Signal
from tests.adapters.database_locks import locked_once
from tests.adapters.slack.conftest import (
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
    running_harness,
)
from tests.adapters.slack.faulty_slack import FaultySlack
from tests.adapters.slack.helpers import block_text, events_of
from tests.adapters.slack.test_faults_db import failing_after_the_event_row
from tests.fakes.slack_requests import message_event, reaction_event

INBOX = {"inbox_lease_seconds": 0.5, "inbox_sweep_seconds": 0.2}


@asynccontextmanager
async def faulty_harness(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    *,
    slack: dict[str, Any] | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[Harness, FaultySlack]]:
    """``tests.adapters.slack.harness.running_harness`` on ``FaultySlack`` with a fast inbox."""
    async with running_harness(
        database_url(tmp_path),
        embedder,
        settings_overrides=settings,
        slack_overrides={**INBOX, **(slack or {})},
        fake_slack=FaultySlack,
    ) as harness:
        assert isinstance(harness.fake, FaultySlack)
        yield harness, harness.fake


async def inbox_status(harness: Harness, event_id: str) -> tuple[str, int]:
    query = select(inbox_events.c.status, inbox_events.c.attempts).where(inbox_events.c.event_id == event_id)
    async with harness.conversations._engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return str(row.status), int(row.attempts)


async def wait_status(harness: Harness, event_id: str, status: str, timeout: float = 30.0) -> int:
    """Wait until the inbox event has ``status``; its attempts."""
    async with asyncio.timeout(timeout):
        while (found := await inbox_status(harness, event_id))[0] != status:
            await asyncio.sleep(0.05)
    return found[1]


def in_thread(ts: str, channel: str = CUSTOMER_CHANNEL) -> Any:
    return lambda call: call.args.get("channel") == channel and call.args.get("thread_ts") == ts


async def ask(harness: Harness, text: str, *, user: str = CUSTOMER, event_id: str | None = None) -> str:
    ts = harness.ts()
    team = harness.fake.users[user]["team_id"]
    status, _, _ = await harness.sender.event(
        message_event(CUSTOMER_CHANNEL, user, text, ts=ts, user_team=team), event_id=event_id
    )
    assert status == 200
    return ts


async def test_slack_failing_with_500s_then_recovering_gets_the_answer_posted_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        # 1 call + 2 retries of the client fail (the first attempt gives up), then 1 more.
        fake.fail("chat.postMessage", times=4, status=500)
        ts = await ask(harness, PASSWORD_Q, event_id="EvFLAKY")

        [posted] = await fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=60)
        await harness.settle()
        assert PASSWORD_A in block_text(posted.args)
        failed = [call for call in fake.calls_to("chat.postMessage") if call.status == 500]
        assert len(failed) == 4
        assert await wait_status(harness, "EvFLAKY", "done") >= 2
        assert (await harness.assistant.store.stats())["questions"] == 1  # asked once, posted once
        assert len(harness.replies(ts)) == 1


async def test_an_answer_slack_refused_is_retried_at_the_next_sweeps_not_when_the_lease_ends(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    lease = 600.0  # a crashed attempt would wait this long; a failed one waits a sweep or two
    async with faulty_harness(tmp_path, embedder, slack={"inbox_lease_seconds": lease}) as (harness, fake):
        fake.fail("chat.postMessage", times=3, status=503)  # the first attempt and its client's retries
        ts = await ask(harness, PASSWORD_Q, event_id="EvBRIEF")

        [posted] = await fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=lease / 10)
        assert PASSWORD_A in block_text(posted.args)
        assert await wait_status(harness, "EvBRIEF", "done") == 2
        assert len(harness.replies(ts)) == 1


def in_channel(channel: str) -> Any:
    return lambda args: args.get("channel") == channel


async def test_an_answer_posted_but_its_reply_lost_is_not_posted_again(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        fake.lose_answer("chat.postMessage", times=1, where=in_channel(CUSTOMER_CHANNEL))
        ts = await ask(harness, PASSWORD_Q, event_id="EvLOST")

        assert await wait_status(harness, "EvLOST", "done") == 2  # resumed by the sweep
        await harness.settle()
        [posted] = harness.replies(ts)  # Slack had it: found by its metadata, not posted twice
        assert PASSWORD_A in block_text(posted)
        assert len(fake.attempts("chat.postMessage")) == 1
        assert fake.calls_to("conversations.replies"), "the resumed attempt looked in the thread"
        link = await harness.conversations.find_thread(PLATFORM, CUSTOMER_CHANNEL, ts)
        assert link is not None and link.kind == "answer" and link.message_ts == posted["ts"]


async def test_a_handoff_whose_posts_were_lost_or_refused_is_posted_once_each(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, slack={"inbox_max_attempts": 4}) as (harness, fake):
        # the customer's notice goes through but its reply is lost; then the internal channel fails
        fake.lose_answer("chat.postMessage", times=1, where=in_channel(CUSTOMER_CHANNEL))
        fake.fail("chat.postMessage", times=3, status=503, where=in_channel(HANDOFF_CHANNEL))
        ts = await ask(harness, VAGUE, event_id="EvHANDOFF")

        await wait_status(harness, "EvHANDOFF", "done")
        await harness.settle()
        [notice] = harness.replies(ts)
        assert notice["text"] == texts.HANDOFF_NOTICE
        [handoff] = fake.messages(HANDOFF_CHANNEL)  # not lost after the notice was posted
        assert VAGUE in block_text(handoff)
        link = await harness.conversations.find_link(PLATFORM, HANDOFF_CHANNEL, handoff["ts"])
        assert link is not None and link.kind == "handoff"


async def test_an_event_failing_every_attempt_is_handed_to_people(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, slack={"inbox_max_attempts": 2}) as (harness, fake):
        fake.fail("chat.postMessage", times=1000, where=lambda args: args.get("channel") == CUSTOMER_CHANNEL)
        ts = await ask(harness, PASSWORD_Q, event_id="EvDOOMED")

        [alert] = await fake.wait_for(
            "chat.postMessage", where=lambda call: call.args.get("channel") == HANDOFF_CHANNEL, timeout=60
        )
        assert f"<#{CUSTOMER_CHANNEL}>" in alert.args["text"] and "after 2 attempts" in alert.args["text"]
        assert PASSWORD_Q in alert.args["text"]
        assert await wait_status(harness, "EvDOOMED", "failed") == 3
        assert harness.replies(ts) == []


async def test_a_user_asking_too_fast_is_told_when_to_ask_again(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(
        tmp_path, embedder, questions_per_user_per_minute=2, questions_per_channel_per_minute=100
    ) as (harness, fake):
        # time stands still, so the wait told is exact however long the answers take
        harness.slack.deps.limits = QuestionLimits(per_user=2, per_channel=100, clock=lambda: 0.0)
        # one after the other, as people type: concurrent questions take the tokens in the order
        # their work reaches the limiter, which is not the order they were sent in
        asked = []
        for text, user in [
            (PASSWORD_Q, CUSTOMER),
            ("Where can I download my invoices?", CUSTOMER),
            ("How do I change the email address on my account?", CUSTOMER),
            (PASSWORD_Q, OTHER_CUSTOMER),
        ]:
            asked.append(await ask(harness, text, user=user))
            await harness.settle()
        first, second, third, other = asked

        assert len(harness.replies(first)) == 1 and len(harness.replies(second)) == 1
        assert harness.replies(third) == []
        [refusal] = [c for c in fake.answered("chat.postEphemeral") if c.args.get("thread_ts") == third]
        assert refusal.args["user"] == CUSTOMER
        assert "ask again in 30 seconds" in refusal.args["text"]
        assert len(harness.replies(other)) == 1  # someone else in the channel is not limited
        assert (await harness.assistant.store.stats())["questions"] == 3


async def test_a_busy_channel_is_limited_too(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    async with faulty_harness(
        tmp_path, embedder, questions_per_user_per_minute=10, questions_per_channel_per_minute=1
    ) as (harness, fake):
        first = await ask(harness, PASSWORD_Q)
        await harness.settle()
        second = await ask(harness, PASSWORD_Q, user=OTHER_CUSTOMER)
        await harness.settle()

        assert len(harness.replies(first)) == 1 and harness.replies(second) == []
        [refusal] = fake.answered("chat.postEphemeral")
        assert refusal.args["user"] == OTHER_CUSTOMER and "this channel is asking" in refusal.args["text"]


async def test_an_over_long_question_is_refused_clearly_and_a_person_told(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, max_question_chars=200) as (harness, fake):
        text = "Why does my export fail? " + "The log says error 42. " * 20
        ts = await ask(harness, text)
        await harness.settle()

        assert harness.replies(ts) == []
        [told] = fake.answered("chat.postEphemeral")
        assert told.args["user"] == CUSTOMER and f"{len(text.strip()):,} characters" in told.args["text"]
        [alert] = harness.fake.messages(HANDOFF_CHANNEL)
        assert f"<@{CUSTOMER}>" in alert["text"] and f"<#{CUSTOMER_CHANNEL}>" in alert["text"]
        assert (await harness.assistant.store.stats())["questions"] == 0


@pytest.mark.parametrize("retry_num", [1, 2])
async def test_a_redelivery_while_the_first_is_still_running_is_not_processed(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, retry_num: int
) -> None:
    async with faulty_harness(tmp_path, embedder, slack={"inbox_lease_seconds": 60}) as (harness, fake):
        fake.fail("chat.postMessage", times=1, status=503)  # slows the first attempt (one retry)
        ts = harness.ts()
        event = message_event(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q, ts=ts, user_team="T_ACME")
        first, _, _ = await harness.sender.event(event, event_id="EvTWICE")
        again, _, headers = await harness.sender.event(event, event_id="EvTWICE", retry_num=retry_num)
        await harness.settle()

        assert (first, again) == (200, 200) and headers.get("x-slack-no-retry") == "1"
        assert len(harness.replies(ts)) == 1
        assert await inbox_status(harness, "EvTWICE") == ("done", 1)


async def test_a_reaction_the_database_failed_to_learn_is_learned_once_by_the_sweep(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder, slack={"inbox_max_attempts": 50}) as (harness, fake):
        ts = await ask(harness, PASSWORD_Q)
        [posted] = await fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=30)
        await harness.settle()  # the answer's message is linked to it
        answer_ts = posted.response["ts"]
        with failing_after_the_event_row(harness.assistant) as refused:
            status, _, _ = await harness.sender.event(
                reaction_event(AGENT, "white_check_mark", channel=CUSTOMER_CHANNEL, ts=answer_ts),
                event_id="EvREACTION",
            )
            assert status == 200
            async with asyncio.timeout(30):
                while not refused:
                    await asyncio.sleep(0.05)
            assert await events_of(harness.assistant, Signal.APPROVE) == []

        assert await wait_status(harness, "EvREACTION", "done") >= 2
        await harness.settle()
        [approval] = await events_of(harness.assistant, Signal.APPROVE)
        assert approval.actor == AGENT


async def test_a_question_the_database_failed_to_store_is_answered_once_by_the_sweep(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with faulty_harness(tmp_path, embedder) as (harness, fake):
        # after the question row, in the same transaction
        with locked_once(harness.assistant.store._engine, "answers") as refused:  # type: ignore[attr-defined]
            ts = await ask(harness, PASSWORD_Q, event_id="EvLOCKED")
            [posted] = await fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=60)

        assert refused and PASSWORD_A in block_text(posted.args)
        assert await wait_status(harness, "EvLOCKED", "done") >= 2
        assert fake.calls_to("chat.postEphemeral") == []  # nobody was shown an error
        assert (await harness.assistant.store.stats())["questions"] == 1
        assert len(harness.replies(ts)) == 1


async def test_a_question_whose_thread_the_database_failed_to_record_is_answered_at_the_next_sweeps(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """The database failing outside the ask itself (here: recording the customer's message in its
    conversation) is retried a sweep later too, not when the lease ends."""
    lease = 600.0
    async with faulty_harness(tmp_path, embedder, slack={"inbox_lease_seconds": lease}) as (harness, fake):
        with locked_once(harness.conversations._engine, "conversation_messages") as refused:
            ts = await ask(harness, PASSWORD_Q, event_id="EvTHREADLOCKED")
            [posted] = await fake.wait_for("chat.postMessage", where=in_thread(ts), timeout=lease / 10)

        assert refused and PASSWORD_A in block_text(posted.args)
        assert await wait_status(harness, "EvTHREADLOCKED", "done") == 2
        assert (await harness.assistant.store.stats())["questions"] == 1
        assert len(harness.replies(ts)) == 1
