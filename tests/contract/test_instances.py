"""Two instances on one PostgreSQL: what one learns the other answers with; an event is handled once.

Each instance is a whole ``Assistant`` with its own in-memory engine (as two ``assistant serve``
processes would be), sharing only the database. SQLite runs the same tests as a baseline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.storage.sql.conversations import SqlConversationStore
from assistant.models import Question, Role, Signal
from tests.contract.conftest import Backend
from tests.postgres import fresh_database

AGENT: dict[str, Any] = {"actor": "dana", "role": Role.AGENT}
LINKS = "How long do payment links last?"


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
async def shared(request: pytest.FixtureRequest, tmp_path: Path, embedder: object) -> AsyncIterator[Backend]:
    from assistant.config import load_settings

    async def build(url: str) -> Backend:
        settings = load_settings(database_url=url, anthropic_api_key=None, sync_seconds=0.0)
        return Backend(name=request.param, settings=settings, embedder=embedder)  # type: ignore[arg-type]

    if request.param == "sqlite":
        backend = await build(f"sqlite+aiosqlite:///{tmp_path}/shared.db")
        yield backend
        await backend.close()
        return
    async with fresh_database() as url:
        backend = await build(url)
        try:
            yield backend
        finally:
            await backend.close()


async def test_a_correction_on_one_instance_changes_the_answer_on_the_other(shared: Backend) -> None:
    a = await shared.assistant()
    b = await shared.assistant(sync_seconds=3600.0)
    await a.teach(LINKS, "Payment links last 7 days.", **AGENT)
    assert await b.sync(force=True) == 1
    wrong = await b.ask(Question(text=LINKS, account="acme"))
    assert wrong.text == "Payment links last 7 days."

    await a.feedback(
        wrong.id, Signal.CORRECT, text="Payment links last 30 days by default.", make_global=True, **AGENT
    )
    stale = await b.ask(Question(text=LINKS, account="acme"))
    assert stale.text == "Payment links last 7 days.", "within the sync interval B answers as before"
    await b.sync(force=True)
    right = await b.ask(Question(text=LINKS, account="acme"))
    assert right.text == "Payment links last 30 days by default."
    assert await b.sync(force=True) == 0, "nothing new: the sync is one empty range read"


async def test_sync_every_ask_with_zero_interval(shared: Backend) -> None:
    a = await shared.assistant()
    b = await shared.assistant(sync_seconds=0.0)
    await a.teach(LINKS, "Payment links last 7 days.", **AGENT)
    assert (await b.ask(Question(text=LINKS, account="acme"))).text == "Payment links last 7 days."
    event = (await a.learned())[0]
    await a.forget(event.id, **AGENT)
    assert "7 days" not in (await b.ask(Question(text=LINKS, account="acme"))).text


async def test_concurrent_learning_on_both_instances_is_seen_by_both(shared: Backend) -> None:
    a = await shared.assistant()
    b = await shared.assistant()
    questions = [f"What is the limit for export number {n}?" for n in range(6)]
    await asyncio.gather(
        *(
            (a if n % 2 else b).teach(question, f"The limit for export {n} is {n}00 rows.", **AGENT)
            for n, question in enumerate(questions)
        )
    )
    await a.sync(force=True)
    await b.sync(force=True)
    for n, question in enumerate(questions):
        for instance in (a, b):
            answer = await instance.ask(Question(text=question, account="acme"))
            assert answer.text == f"The limit for export {n} is {n}00 rows."
    assert len(await a.learned(limit=100)) == len(questions)


async def test_the_same_slack_event_on_both_instances_is_handled_once(shared: Backend) -> None:
    a = await shared.assistant()
    b = await shared.assistant()
    await a.teach(LINKS, "Payment links last 7 days.", **AGENT)
    answer = await a.ask(Question(text=LINKS, account="acme"))
    url = shared.settings.database_url
    conversations = [SqlConversationStore(url), SqlConversationStore(url)]
    for store in conversations:
        await store.initialize()
    handled: list[str] = []

    async def deliver(instance: int, event_id: str) -> None:
        # What adapters/slack does first with every event: claim it, and drop it if another won.
        if await conversations[instance].claim_event("slack", event_id):
            handled.append(event_id)
            await (a, b)[instance].feedback(answer.id, Signal.APPROVE, **AGENT)

    try:
        # Slack retries, and the load balancer sends each copy to either instance, at once.
        await asyncio.gather(*(deliver(n % 2, "Ev0REACTION") for n in range(6)))
    finally:
        for store in conversations:
            await store.close()
    assert handled == ["Ev0REACTION"]
    approvals = [e for e in await b.learned(limit=100) if e.signal is Signal.APPROVE]
    assert len(approvals) == 1, "one learning event, not one per delivery"
