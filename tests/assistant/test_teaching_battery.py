"""Deliberate, scoped teaching, adversarially (issue 14): the teaching battery on four accounts.

Non-answers in many wordings and languages are never kept or taught, a typed answer waits for a
deliberate signal, private lessons stay with their account and never take shared knowledge from
another, and every signal counts once (``tests/assistant/teaching_battery.py``). The same battery
on twenty accounts is recorded by ``benchmarks/leak_battery.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.storage.sql.conversations import SqlConversationStore
from assistant.config import Settings
from assistant.models import LearningEvent
from assistant.service import Assistant
from tests.assistant.teaching_battery import NON_ANSWERS, run_teaching_battery

ACCOUNTS = ("acme", "globex", "initech", "umbrella")


@pytest.fixture
async def conversations(settings: Settings, assistant: Assistant) -> AsyncIterator[SqlConversationStore]:
    store = SqlConversationStore(settings.database_url)
    yield store
    await store.close()


async def test_nothing_unintended_is_learned_and_nothing_crosses_accounts(
    assistant: Assistant, conversations: SqlConversationStore
) -> None:
    result = await run_teaching_battery(assistant, conversations, ACCOUNTS)

    assert result.attempts_by_kind["non-answer (note)"] == 4 * sum(k == "note" for k, _ in NON_ANSWERS)
    assert result.non_answers_kept == []
    assert result.forced_promotions_accepted == []
    assert result.unpromoted_served == []
    assert result.leaks == []
    assert result.shared_lost == []
    assert result.counted_twice == []
    assert result.withdrawn_served == []
    # The positive control: each account is served what it was taught.
    assert result.own_recalled == len(ACCOUNTS)


async def test_the_battery_sees_lessons_widened_to_everyone(
    assistant: Assistant, conversations: SqlConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detector is not blind: with every agent's lesson made global (the widening of issue 14),
    the battery reports other accounts' secrets."""
    feedback = assistant.teacher.feedback

    async def widened(*args: Any, **kwargs: Any) -> LearningEvent:
        return await feedback(*args, **{**kwargs, "make_global": True})

    monkeypatch.setattr(assistant.teacher, "feedback", widened)
    result = await run_teaching_battery(assistant, conversations, ("acme", "globex"))
    assert any("secret" in leak for leak in result.leaks), result
