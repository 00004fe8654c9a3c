"""A deleted question is purged from every table that quoted it (issue 15, item 4), on real
SQLite: the question, the question of a resolution learned from its answer, and the examples of
a bug report (the inbox and the reply candidates: ``tests/adapters/slack/test_inbox_privacy.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.storage.sql.insights import SqlInsightSource
from adapters.storage.sql.insights_schema import bug_reports
from adapters.storage.sql.schema import knowledge_items, questions
from assistant.insights.records import BugReport, MessageRef
from assistant.models import Question, Role, Signal
from assistant.service import Assistant

ASKED = "The export to Xero fails with error LL-4012 since this morning, what is wrong?"
KEPT = "Another customer: the Xero export fails with LL-4012 for us too."


async def quoted_anywhere(assistant: Assistant, phrase: str) -> list[str]:
    engine = create_async_engine(assistant.settings.database_url)
    try:
        async with engine.connect() as conn:
            found = [
                *(await conn.execute(select(questions.c.text))).scalars(),
                *(await conn.execute(select(knowledge_items.c.question))).scalars(),
                *(json.dumps(e) for e in (await conn.execute(select(bug_reports.c.examples))).scalars()),
            ]
    finally:
        await engine.dispose()
    return [text for text in found if text and phrase in text]


async def test_a_deleted_question_leaves_no_copy(assistant: Assistant) -> None:
    answer = await assistant.ask(Question(text=ASKED, account="acme", external_id="slack:C1:1.1"))
    other = await assistant.ask(Question(text=KEPT, account="globex", external_id="slack:C2:2.2"))
    await assistant.feedback(
        answer.id, Signal.CORRECT, actor="dana", role=Role.AGENT, text="Reconnect Xero under Settings > Apps."
    )
    now = datetime.now(UTC)
    source = SqlInsightSource(assistant.settings.database_url)
    await source.initialize()
    await source.save_bug_report(
        BugReport(
            id="bug_1",
            title="Xero export fails",
            symptom="LL-4012",
            keywords=["xero"],
            examples=[
                MessageRef(question_id=answer.question_id, text=ASKED, account="acme", asked_at=now),
                MessageRef(question_id=other.question_id, text=KEPT, account="globex", asked_at=now),
            ],
            accounts=["acme", "globex"],
            first_seen=now,
            last_seen=now,
            question_ids=[answer.question_id, other.question_id],
            signature=np.ones(384, dtype=np.float32) / np.sqrt(384),
        )
    )
    await source.close()
    assert len(await quoted_anywhere(assistant, "since this morning")) == 3  # question, learned, bug

    stored = await assistant.store.find_question_by_external_id("slack:C1:1.1")
    assert stored is not None
    await assistant.store.delete_question_text(stored.id)

    assert await quoted_anywhere(assistant, "since this morning") == []
    assert len(await quoted_anywhere(assistant, "for us too")) == 2  # the other customer's stays
    # The learned resolution still answers: it matches on its answer's text now.
    learned = await assistant.store.list_items(limit=100)
    assert any(
        item.text == "Reconnect Xero under Settings > Apps." and item.question is None for item in learned
    )
