"""Concurrent reactions on one item all count (issue 15, item 6): the feedback counters are added
in SQL (``x = x + :delta``), never written back from a read. On real SQLite and, when it answers,
PostgreSQL at 127.0.0.1:5432 (``tests.postgres``); one instance and two instances on one store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from adapters.wiring import build_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.models import Decision, Question, Role, Signal
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.postgres import fresh_database

QUESTION = "How long do payment links last?"
ANSWER = "Payment links expire after 30 days; Share → Copy payment link makes a new one."
REJECTS = 10


@asynccontextmanager
async def instances(url: str, embedder: Embedder, count: int) -> AsyncIterator[list[Assistant]]:
    async with AsyncExitStack() as stack:
        services = []
        for _ in range(count):
            service = build_assistant(
                load_settings(database_url=url, anthropic_api_key=None),
                embedder=embedder,
                background_refit=False,
            )
            await service.start()
            stack.push_async_callback(service.close)
            services.append(service)
        yield services


async def concurrent_rejections(url: str, embedder: Embedder, count: int) -> tuple[float, int]:
    """Teach one answer, get it answered ``REJECTS`` times, then every customer rejects at once
    (spread over ``count`` instances); the item's stored rejections and the events recorded."""
    async with instances(url, embedder, count) as services:
        first = services[0]
        taught = await first.teach(QUESTION, ANSWER, actor="dana", role=Role.AGENT)
        assert taught.item_id is not None
        for service in services[1:]:
            await service.sync(force=True)
        answers = [await first.ask(Question(text=QUESTION, account="acme")) for _ in range(REJECTS)]
        assert all(a.decision is Decision.ANSWER and a.item_ids == [taught.item_id] for a in answers)
        await asyncio.gather(
            *(
                services[n % count].feedback(a.id, Signal.REJECT, actor=f"U{n}", role=Role.CUSTOMER)
                for n, a in enumerate(answers)
            )
        )
        item_id = taught.item_id
        item = (await first.store.get_items([item_id]))[item_id]
        events = [e for e in await first.learned(limit=100) if e.signal is Signal.REJECT]
        in_memory = (await first.engine.get_items([item_id]))[item_id]
        assert in_memory.feedback.rejections <= item.feedback.rejections
        return item.feedback.rejections, len(events)


@pytest.mark.parametrize("count", [1, 2], ids=["one-instance", "two-instances"])
async def test_concurrent_rejections_all_count_on_sqlite(
    tmp_path: Path, embedder: Embedder, count: int
) -> None:
    rejections, events = await concurrent_rejections(
        default_database_url_for(tmp_path / "counters.db"), embedder, count
    )
    assert events == REJECTS
    assert rejections == pytest.approx(REJECTS * 0.3)  # a customer's reject weighs 0.3


@pytest.mark.postgres
@pytest.mark.parametrize("count", [1, 2], ids=["one-instance", "two-instances"])
async def test_concurrent_rejections_all_count_on_postgresql(embedder: Embedder, count: int) -> None:
    async with fresh_database() as url:
        rejections, events = await concurrent_rejections(url, embedder, count)
    assert events == REJECTS
    assert rejections == pytest.approx(REJECTS * 0.3)


async def test_an_undo_takes_back_exactly_its_own_delta(tmp_path: Path, embedder: Embedder) -> None:
    async with instances(default_database_url_for(tmp_path / "undo.db"), embedder, 1) as [service]:
        taught = await service.teach(QUESTION, ANSWER, actor="dana", role=Role.AGENT)
        assert taught.item_id is not None
        answers = [await service.ask(Question(text=QUESTION, account="acme")) for _ in range(3)]
        events = await asyncio.gather(
            *(service.feedback(a.id, Signal.APPROVE, actor="dana", role=Role.AGENT) for a in answers)
        )
        await service.forget(events[0].id, actor="dana", role=Role.AGENT)
        item_id = taught.item_id
        item = (await service.store.get_items([item_id]))[item_id]
    assert item.feedback.approvals == pytest.approx(2.0)
