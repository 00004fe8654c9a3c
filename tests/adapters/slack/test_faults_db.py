"""The database failing: ``/healthz`` turns red, a learning event is all or nothing, users are told.

Health is checked over HTTP on loopback (``adapters.server.health_handler``, what ``assistant
serve`` mounts) against a PostgreSQL URL whose port nobody listens on, a SQLite file that cannot
be opened, and a PostgreSQL database dropped while the server runs. The failure in the middle of
a learning event is injected where a locked or lost database would surface: the driver refuses a
statement after the event row was written, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.server import HEALTH_PATH, health_handler
from adapters.slack import constants as ids
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.schema import learning_events
from assistant.errors import ServiceUnavailableError
from assistant.models import Role, Signal
from assistant.service import Assistant
from tests.adapters.slack.conftest import AGENT, PASSWORD_Q, Harness
from tests.adapters.slack.helpers import button, teach_prompts
from tests.adapters.slack.test_serve import free_port
from tests.fakes.slack_requests import block_actions
from tests.postgres import POSTGRES_URL, fresh_database


@asynccontextmanager
async def health_of(store: SqlConversationStore) -> AsyncIterator[str]:
    """``GET /healthz`` served for ``store`` on loopback; yields its URL."""
    app = web.Application()
    app.router.add_get(HEALTH_PATH, health_handler(store, {}))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}{HEALTH_PATH}"
    finally:
        await runner.cleanup()
        await store.close()


async def get(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_health_is_red_when_postgresql_is_unreachable() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"  # nobody listens there
    async with health_of(SqlConversationStore(url)) as health:
        assert await get(health) == (503, {"ok": False, "store": False})


async def test_health_is_red_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing-folder/assistant.db"
    async with health_of(SqlConversationStore(url)) as health:
        assert await get(health) == (503, {"ok": False, "store": False})


@pytest.mark.postgres
async def test_health_turns_red_when_the_database_goes_away() -> None:
    async with fresh_database() as url:
        store = SqlConversationStore(url)
        await store.initialize()
        async with health_of(store) as health:
            assert await get(health) == (200, {"ok": True, "store": True})
            admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            name = url.rsplit("/", 1)[1]
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            await admin.dispose()
            assert await get(health) == (503, {"ok": False, "store": False})


@contextmanager
def failing_after_the_event_row(assistant: Assistant) -> Iterator[list[str]]:
    """The database refuses the change-feed write that follows a learning event's row (as a lock
    timeout or a lost connection would), in the same transaction; yields the refused statements."""
    refused: list[str] = []
    engine = assistant.store._engine.sync_engine  # type: ignore[attr-defined]

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ITEM_CHANGES"):
            refused.append(statement)
            raise OperationalError(statement, {}, Exception("database is locked"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


async def learning_event_rows(assistant: Assistant) -> int:
    async with assistant.store._engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(select(func.count()).select_from(learning_events))).scalar_one())


async def test_a_learning_event_is_all_or_nothing_when_the_database_fails_mid_way(harness: Harness) -> None:
    assistant = harness.assistant
    ts = await harness.say(PASSWORD_Q)
    answer = await harness.answer_on("C_ACME", harness.replies(ts)[0]["ts"])
    rows, items = await learning_event_rows(assistant), await assistant.store.count_items()

    def correct() -> Any:
        return assistant.feedback(answer.id, Signal.CORRECT, actor=AGENT, role=Role.AGENT, text="Call us.")

    with (
        failing_after_the_event_row(assistant) as refused,
        pytest.raises(ServiceUnavailableError, match="database is unavailable"),
    ):
        await correct()
    assert refused  # the failure happened after the event row was written
    assert await learning_event_rows(assistant) == rows
    assert await assistant.store.count_items() == items
    assert (await assistant.store.get_answer(answer.id)) == answer  # no outcome half-recorded

    learned = await correct()
    assert await learning_event_rows(assistant) == rows + 1
    assert (await assistant.store.get_event(learned.id)) is not None


async def test_teaching_a_reply_while_the_database_fails_learns_nothing_and_may_be_pressed_again(
    harness: Harness,
) -> None:
    assistant = harness.assistant
    ts = await harness.say(PASSWORD_Q)
    rows = await learning_event_rows(assistant)
    reply = await harness.say("Open Settings > Security and press Reset.", user=AGENT, thread_ts=ts)
    [prompt] = teach_prompts(harness.fake, AGENT)

    async def teach() -> None:
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

    with failing_after_the_event_row(assistant):
        await teach()
    assert await learning_event_rows(assistant) == rows

    await teach()  # the candidate and the exchange's claim were released: it is learned now
    assert await learning_event_rows(assistant) == rows + 1
    [candidate] = await harness.conversations.thread_candidates("slack", "C_ACME", ts)
    assert candidate.message_ts == reply and candidate.event_id is not None
