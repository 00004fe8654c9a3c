"""No question is lost: `assistant serve` killed between the ack and the answer, then restarted.

The first process acknowledges a signed question event (the inbox stored it first), answers it in
the store, and hangs posting the answer (the fake Slack never replies to ``chat.postMessage``);
it is then SIGKILLed. The second process, started on the same database with Slack answering
normally, finds the event pending with its lease run out, takes it, and posts the answer once;
Slack's own retry of the same ``event_id`` is still deduplicated.

The same holds for a click: an agent's "Send draft" acknowledged (the draft learned) and killed
while posting it is sent once and learned once by the restarted process.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import constants as ids
from adapters.slack.interactions import interaction_key
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.conversations_schema import inbox_events
from assistant.config import load_settings
from assistant.models import Role, Signal
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    SIGNING_SECRET,
    VAGUE,
    bind_channels,
    populate,
)
from tests.adapters.slack.faulty_slack import FaultySlack
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.adapters.slack.test_serve import ASSISTANT, environment, free_port, wait_healthy
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.slack_requests import block_actions, message_event

EVENT_ID = "EvCRASHED"
INBOX = {"SLACK_INBOX_LEASE_SECONDS": "2", "SLACK_INBOX_SWEEP_SECONDS": "0.5"}


async def start(env: dict[str, str], cwd: Path, port: int, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            ASSISTANT, "serve", "--port", str(port), env=env, cwd=cwd, stdout=out, stderr=out
        )


async def inbox_row(url: str, key: str = EVENT_ID) -> tuple[str, int]:
    store = SqlConversationStore(url)
    try:
        row_of = inbox_events.c.event_id == key
        query = select(inbox_events.c.status, inbox_events.c.attempts).where(row_of)
        async with store._engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return str(row.status), int(row.attempts)
    finally:
        await store.close()


@pytest.mark.slow
async def test_a_question_acked_before_a_crash_is_answered_once_after_the_restart(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with FaultySlack() as fake:
        populate(fake)
        env = await seeded(tmp_path, fake, embedder)
        url = env["ASSISTANT_DATABASE_URL"]
        log = tmp_path / "serve.log"
        ts = "1710000000.000001"
        event = message_event(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q, ts=ts, user_team="T_ACME")

        fake.hang("chat.postMessage")
        port = free_port()
        first = await start(env, tmp_path, port, log)
        try:
            async with aiohttp.ClientSession() as session:
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", first)
                sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                status, _, _ = await sender.event(event, event_id=EVENT_ID)
                assert status == 200
                attempt = await fake.wait_for_attempt("chat.postMessage", timeout=60)
                assert attempt.args["thread_ts"] == ts
        finally:
            first.send_signal(signal.SIGKILL)
            await asyncio.wait_for(first.wait(), 30)
        assert first.returncode == -signal.SIGKILL
        assert fake.answered("chat.postMessage") == []
        assert await inbox_row(url) == ("pending", 1)

        fake.recover()
        port = free_port()
        second = await start(env, tmp_path, port, log)
        try:
            async with aiohttp.ClientSession() as session:
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", second)
                [posted] = await fake.wait_for(
                    "chat.postMessage", where=lambda call: call.args.get("thread_ts") == ts, timeout=60
                )
                assert PASSWORD_A in block_text(posted.args)
                sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                status, _, headers = await sender.event(event, event_id=EVENT_ID, retry_num=1)
                assert status == 200 and headers.get("x-slack-no-retry") == "1"
        finally:
            if second.returncode is None:
                second.send_signal(signal.SIGTERM)  # lets running work finish, then exits
            returncode = await asyncio.wait_for(second.wait(), 30)
        assert returncode == 0, log.read_text()

        assert len(fake.messages(CUSTOMER_CHANNEL, ts)) == 1  # answered exactly once
        state, attempts = await inbox_row(url)
        assert state == "done" and attempts >= 2
        async with open_assistant(load_settings(database_url=url), embedder=embedder) as a:
            assert (await a.store.stats())["questions"] == 1  # the stored answer was reused, not asked again


async def seeded(tmp_path: Path, fake: FakeSlack, embedder: SentenceTransformerEmbedder) -> dict[str, str]:
    """The environment of ``assistant serve`` on a store with the seed answers and the channels."""
    env = {**environment(tmp_path, fake), **INBOX}
    url = env["ASSISTANT_DATABASE_URL"]
    async with open_assistant(load_settings(database_url=url), embedder=embedder) as a:
        for question, answer in SEED:
            await a.teach(question, answer, actor="seed", role=Role.AGENT)
    store = SqlConversationStore(url)
    await store.initialize()
    await bind_channels(store)
    await store.close()
    return env


@pytest.mark.slow
async def test_a_send_draft_click_acked_before_a_crash_is_sent_and_learned_once_after_the_restart(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with FaultySlack() as fake:
        populate(fake)
        env = await seeded(tmp_path, fake, embedder)
        url = env["ASSISTANT_DATABASE_URL"]
        log = tmp_path / "serve.log"
        ts = "1710000000.000002"
        vague = message_event(CUSTOMER_CHANNEL, CUSTOMER, VAGUE, ts=ts, user_team="T_ACME")

        def in_thread(args: dict[str, Any]) -> bool:
            return args.get("channel") == CUSTOMER_CHANNEL and args.get("thread_ts") == ts

        port = free_port()
        first = await start(env, tmp_path, port, log)
        try:
            async with aiohttp.ClientSession() as session:
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", first)
                sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                assert (await sender.event(vague))[0] == 200
                [posted] = await fake.wait_for(
                    "chat.postMessage", where=lambda call: call.args["channel"] == HANDOFF_CHANNEL, timeout=60
                )
                handoff = {**posted.args, "ts": posted.response["ts"]}
                fake.hang("chat.postMessage", where=in_thread)  # the draft never reaches the customer
                click = block_actions(
                    user=AGENT,
                    action_id=ids.SEND_DRAFT,
                    value=button(handoff, ids.SEND_DRAFT)["value"],
                    channel=HANDOFF_CHANNEL,
                    message_ts=handoff["ts"],
                    response_url=fake.response_url("send"),
                )
                assert (await sender.interaction(click))[0] == 200
                # the hand-off notice, then the draft (hanging)
                await fake.wait_for_attempt("chat.postMessage", count=2, where=in_thread, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            await asyncio.wait_for(first.wait(), 30)
        key = interaction_key(click)
        assert key is not None
        assert len(fake.messages(CUSTOMER_CHANNEL, ts)) == 1  # the notice only
        assert await inbox_row(url, key) == ("pending", 1)

        fake.recover()
        port = free_port()
        second = await start(env, tmp_path, port, log)
        try:
            async with aiohttp.ClientSession() as session:
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", second)
                [_, sent, *_] = await fake.wait_for(
                    "chat.postMessage", 2, where=lambda call: in_thread(call.args), timeout=60
                )
                sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                assert (await sender.interaction(click))[0] == 200  # delivered again: skipped
        finally:
            if second.returncode is None:
                second.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(second.wait(), 30)
        assert returncode == 0, log.read_text()

        posted = [m for m in fake.messages(CUSTOMER_CHANNEL, ts) if "csat" not in json.dumps(m)]
        assert len(posted) == 2  # the notice and the draft, sent exactly once (then the rating prompt)
        state, attempts = await inbox_row(url, key)
        assert state == "done" and attempts >= 2
        async with open_assistant(load_settings(database_url=url), embedder=embedder) as a:
            [resolution] = await events_of(a, Signal.RESOLVE)  # learned before the crash, not again
            assert resolution.actor == AGENT and resolution.answer_id is not None
            assert (await a.get_answer(resolution.answer_id)).text in block_text(sent.args)
