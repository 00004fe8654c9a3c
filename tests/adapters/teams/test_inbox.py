"""The Teams inbox through the real bot (CloudAdapter) on loopback: no question is lost.

The bot runs against ``FlakyConnector`` (the fake Bot Connector, refusing replies with 500 for as
long as it is told, or holding them) on a real SQLite store, with a short inbox lease and sweep
interval so a message left pending is taken again within a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from botbuilder.schema import Activity, ConversationAccount
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.storage.sql.conversations_schema import inbox_events
from adapters.teams import texts
from adapters.teams.inbox import event_key
from assistant.config import Settings
from assistant.models import Role
from tests.adapters.database_locks import locked_once
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    Harness,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    populate,
    settings_for,
    teams_settings,
)
from tests.fakes.bot_connector import FakeBotConnector

INBOX = {"inbox_lease_seconds": 0.5, "inbox_sweep_seconds": 0.2}


class FlakyConnector(FakeBotConnector):
    """The fake Bot Connector; ``failures`` replies and sends are refused with 500 (as the real one
    does when it is down), and while ``held`` is set they wait until it is cleared (then 503)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0
        self.refused = 0
        self.held: asyncio.Event | None = None
        self.holding = asyncio.Event()  # set when a request is being held

    async def _outage(self) -> web.Response | None:
        if self.held is not None:
            self.holding.set()
            await self.held.wait()
            return web.json_response({"error": {"code": "ServiceUnavailable", "message": "held"}}, status=503)
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return web.json_response({"error": {"code": "ServiceError", "message": "down"}}, status=500)
        return None

    async def _send(self, request: web.Request) -> web.Response:
        return await self._outage() or await super()._send(request)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._outage() or await super()._reply(request)


@asynccontextmanager
async def flaky_bot(
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    connector: FlakyConnector,
    *,
    seed: bool = True,
    **inbox: Any,
) -> AsyncIterator[Harness]:
    """``open_bot`` with a fast inbox; ``seed`` sets up a new database as the ``harness`` fixture does."""
    teams = teams_settings(**{**INBOX, **inbox})
    async with open_bot(settings, embedder, connector, teams=teams) as harness:
        if seed:
            await bind_channels(harness.conversations)
            for question, answer in SEED:
                await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
            status, _ = await harness.post(harness.teams.bot_added(HANDOFF_CHANNEL, AGENT))
            assert status in (200, 201)
        yield harness


@asynccontextmanager
async def flaky_connector() -> AsyncIterator[FlakyConnector]:
    async with FlakyConnector() as connector:
        populate(connector)
        yield connector


def key_of(activity: dict[str, Any]) -> str:
    key = event_key(Activity().deserialize(activity))
    assert key is not None
    return key


def test_inbox_keys_are_per_conversation_and_fit_the_store() -> None:
    def message(conversation: str, activity_id: str = "1700000000001", **more: Any) -> Activity:
        return Activity(
            type="message", id=activity_id, conversation=ConversationAccount(id=conversation), **more
        )

    assert event_key(message("a:chat")) == "a:chat|1700000000001"
    assert event_key(message("a:chat")) != event_key(message("a:other-chat"))
    long_one, long_two = "a:" + "x" * 400, "a:" + "x" * 399 + "y"
    assert len(str(event_key(message(long_one)))) <= 255
    assert event_key(message(long_one)) != event_key(message(long_two))
    assert event_key(message("a:chat", value={"verb": "answer_helped"})) is None  # a card submission
    assert event_key(Activity(type="invoke", id="1", conversation=ConversationAccount(id="a:chat"))) is None


async def inbox_status(harness: Harness, key: str) -> tuple[str, int]:
    query = select(inbox_events.c.status, inbox_events.c.attempts).where(inbox_events.c.event_id == key)
    async with harness.conversations._engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return str(row.status), int(row.attempts)


async def wait_status(harness: Harness, key: str, status: str, timeout: float = 30.0) -> int:
    """Wait until the inbox row has ``status``; its attempts."""
    async with asyncio.timeout(timeout):
        while (found := await inbox_status(harness, key))[0] != status:
            await asyncio.sleep(0.05)
    return found[1]


async def test_a_reply_teams_refused_is_sent_once_by_the_sweep(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with flaky_connector() as connector, flaky_bot(settings_for(tmp_path), embedder, connector) as bot:
        connector.failures = 1
        asked = await bot.say(PASSWORD_Q)
        assert connector.refused == 1 and bot.replies(asked) == []
        assert await inbox_status(bot, key_of(asked)) == ("pending", 1)
        assert bot.bot.work.failures == 1  # RetryLater: not told to the user, left to the sweep

        status, _ = await bot.post(asked)  # the connector's redelivery while it is pending: skipped
        assert status in (200, 201)
        assert await inbox_status(bot, key_of(asked)) == ("pending", 1)

        bot.bot.start()
        assert await wait_status(bot, key_of(asked), "done") == 2
        await bot.settle()
        [answer] = bot.replies(asked)
        assert PASSWORD_A in card_text(card_of(answer)) and answer.reply_to == asked["id"]
        assert (await bot.assistant.store.stats())["questions"] == 1  # asked once, answered once

        status, _ = await bot.post(asked)  # redelivered after it was answered: skipped
        assert status in (200, 201)
        assert len(bot.replies(asked)) == 1
        assert await inbox_status(bot, key_of(asked)) == ("done", 2)


async def test_a_question_pending_when_the_bot_stopped_is_answered_once_after_a_restart(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = settings_for(tmp_path)
    async with flaky_connector() as connector:
        async with flaky_bot(settings, embedder, connector) as first:
            connector.held = asyncio.Event()  # the reply hangs: the process stops while sending it
            activity = first.teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)
            status, _ = await first.sender.post(activity)
            assert status in (200, 201)  # stored before the endpoint answered
            await connector.holding.wait()
            await first.bot.work.close(timeout=0)  # the process is stopped mid-reply
            assert await inbox_status(first, key_of(activity)) == ("pending", 1)
        connector.held.set()
        connector.held = None
        assert first.replies(activity) == []

        async with flaky_bot(settings, embedder, connector, seed=False) as second:
            second.bot.start()
            assert await wait_status(second, key_of(activity), "done") == 2
            await second.settle()
            [answer] = second.replies(activity)
            assert PASSWORD_A in card_text(card_of(answer))
            assert (await second.assistant.store.stats())["questions"] == 1  # the stored answer reused
            status, _ = await second.post(activity)  # a late redelivery after the restart: skipped
            assert status in (200, 201)
            assert len(second.replies(activity)) == 1
            assert second.bot.work.failures == 0


async def test_a_message_that_fails_every_time_is_handed_to_people(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with (
        flaky_connector() as connector,
        flaky_bot(settings_for(tmp_path), embedder, connector, inbox_max_attempts=2) as bot,
    ):
        connector.failures = 1_000
        asked = await bot.say(PASSWORD_Q)
        bot.bot.start()
        assert await wait_status(bot, key_of(asked), "failed") == 3
        [alert] = [p for p in connector.threads_started(HANDOFF_CHANNEL) if "could not answer" in p.text]
        assert alert.text.startswith(texts.could_not_handle(CUSTOMER_CHANNEL, 2, ""))
        assert PASSWORD_Q in alert.text
        assert bot.replies(asked) == []


@contextmanager
def refusing_inbox_rows(harness: Harness) -> Iterator[list[str]]:
    """The database refuses to store received messages (as a lock timeout or a lost connection
    would); yields the refused statements."""
    refused: list[str] = []
    engine = harness.conversations._engine.sync_engine

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INBOX_EVENTS"):
            refused.append(statement)
            raise OperationalError(statement, {}, Exception("database is locked"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


async def test_a_message_the_database_could_not_keep_is_not_acknowledged(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with flaky_connector() as connector, flaky_bot(settings_for(tmp_path), embedder, connector) as bot:
        activity = bot.teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)
        with refusing_inbox_rows(bot) as refused:
            status, body = await bot.post(activity)
        assert refused and (status, body) == (503, {"error": "ServiceUnavailable"})
        assert bot.replies(activity) == []
        assert (await bot.assistant.store.stats())["questions"] == 0  # nothing done for it

        status, _ = await bot.post(activity)  # the connector delivers it again
        assert status in (200, 201)
        [answer] = bot.replies(activity)
        assert PASSWORD_A in card_text(card_of(answer))
        assert await inbox_status(bot, key_of(activity)) == ("done", 1)


async def test_a_question_whose_thread_the_database_failed_to_record_is_answered_by_the_sweep(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """The database failing outside the ask itself (recording the customer's message in its
    conversation) leaves the message to the sweep a second later: the customer is not told
    "unavailable" while nobody is asked to answer, and it is not left for the whole lease."""
    lease = 600.0
    async with (
        flaky_connector() as connector,
        flaky_bot(settings_for(tmp_path), embedder, connector, inbox_lease_seconds=lease) as bot,
    ):
        with locked_once(bot.conversations._engine, "conversation_messages") as refused:
            asked = await bot.say(PASSWORD_Q)
            assert refused and bot.replies(asked) == []  # nobody was told "unavailable"
            assert await inbox_status(bot, key_of(asked)) == ("pending", 1)
            bot.bot.start()
            assert await wait_status(bot, key_of(asked), "done", timeout=lease / 10) == 2
        await bot.settle()
        [answer] = bot.replies(asked)
        assert PASSWORD_A in card_text(card_of(answer))
        assert (await bot.assistant.store.stats())["questions"] == 1
