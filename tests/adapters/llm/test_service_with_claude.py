"""The whole assistant with Claude switched on from configuration, against the local fake API:
grounded answers when it works, the offline answer when it fails, never silence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from adapters.wiring import build_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.models import Decision, Question, Role
from assistant.service import Assistant
from tests.fakes.anthropic_api import Delay, FakeAnthropic, Reply, ScriptStep, overloaded

TAUGHT = "Payment links expire after 30 days; Share → Copy payment link makes a new one."
QUESTION = "How long do payment links last?"


@asynccontextmanager
async def assistant_on(fake: FakeAnthropic, tmp_path: Path, embedder) -> AsyncIterator[Assistant]:  # type: ignore[no-untyped-def]
    settings = load_settings(
        database_url=default_database_url_for(tmp_path / "claude.db"),
        anthropic_api_key=fake.api_key,
        anthropic_base_url=fake.base_url,
        llm_timeout_seconds=0.5,
    )
    service = build_assistant(settings, embedder=embedder, background_refit=False)
    await service.start()
    try:
        await service.teach(QUESTION, TAUGHT, actor="dana", role=Role.AGENT)
        yield service
    finally:
        await service.close()
        close = getattr(service.answerer, "close", None)
        if close is not None:
            await close()


async def test_claude_writes_the_answer_from_the_retrieved_items(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    script: list[ScriptStep] = [Reply("They last 30 days [1].")]
    async with FakeAnthropic(script=script) as fake, assistant_on(fake, tmp_path, embedder) as service:
        assert service.answerer.name == "claude"
        answer = await service.ask(Question(text=QUESTION, account="acme"))
    assert answer.text == "They last 30 days."
    assert len(answer.sources) == 1
    assert TAUGHT in str(fake.requests[0])


async def test_claude_down_or_slow_falls_back_to_the_offline_answer(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    script: list[ScriptStep] = [overloaded()] * 3 + [Delay(3.0)] * 3
    async with FakeAnthropic(script=script) as fake, assistant_on(fake, tmp_path, embedder) as service:
        overloaded_answer = await service.ask(Question(text=QUESTION, account="acme"))
        slow_answer = await service.ask(Question(text=QUESTION, account="acme"))
    for answer in (overloaded_answer, slow_answer):
        assert answer.text == TAUGHT
        assert answer.decision in (Decision.ANSWER, Decision.HANDOFF)
        assert answer.sources
