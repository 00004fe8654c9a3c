"""What customers see in Slack (issue 18.5), through the real Bolt app against the fake Web API:
Markdown from documents and agents arrives as mrkdwn (bold, links with their real target, lists,
tables as lines), never literally; the confidence figure and the learned mark are internal unless a
setting shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.models import Role
from tests.adapters.slack.conftest import AGENT, PASSWORD_Q, Harness
from tests.adapters.slack.harness import database_url, running_harness
from tests.adapters.slack.helpers import block_text, teach_prompts
from tests.adapters.slack.test_deliberate_learning import click_teach

REFUND_Q = "How do I refund a card payment?"
REFUND_MD = (
    "To refund a **card payment**, open *Payments* and press `Refund`. "
    "See [the refunds guide](https://docs.example.com/refunds).\n\n"
    "| Plan | Window |\n|---|---|\n| Pro | 30 days |\n| Basic | 14 days |\n\n"
    "1. Open Payments\n2. Press **Refund**"
)


async def ask_refund(harness: Harness) -> str:
    await harness.assistant.teach(REFUND_Q, REFUND_MD, actor="docs", role=Role.AGENT)
    question_ts = await harness.say(REFUND_Q)
    [answer] = harness.replies(question_ts)
    return block_text(answer)


async def test_markdown_answers_arrive_as_mrkdwn_not_literally(harness: Harness) -> None:
    shown = await ask_refund(harness)
    assert "*card payment*" in shown and "**" not in shown
    assert "_Payments_" in shown and "`Refund`" in shown
    assert "the refunds guide (https://docs.example.com/refunds)" in shown and "](" not in shown
    assert "*Plan* | *Window*" in shown and "Pro | 30 days" in shown and "|---|" not in shown
    assert "1. Open Payments" in shown and "2. Press *Refund*" in shown


async def test_customers_do_not_see_the_confidence_by_default(harness: Harness) -> None:
    assert "confidence" not in await ask_refund(harness)


@pytest.fixture
async def showing(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    overrides = {"show_confidence": True, "learned_reaction": True}
    folder = tmp_path / "showing"  # beside the default harness's store, never in it
    folder.mkdir()
    async with running_harness(database_url(folder), embedder, slack_overrides=overrides) as started:
        yield started


async def test_the_confidence_is_shown_when_a_setting_asks(showing: Harness) -> None:
    assert "confidence" in await ask_refund(showing)


async def learned_marks(harness: Harness) -> list[object]:
    question_ts = await harness.say(PASSWORD_Q)
    reply = "Go to Settings, then Security, and press Reset password; the emailed link lasts an hour."
    await harness.say(reply, user=AGENT, thread_ts=question_ts)
    await click_teach(harness, teach_prompts(harness.fake, AGENT)[0])
    added = harness.fake.answered("reactions.add")
    return [call for call in added if call.args.get("name") == "mortar_board"]


async def test_the_learned_mark_is_opt_in(harness: Harness, showing: Harness) -> None:
    assert await learned_marks(harness) == []
    assert len(await learned_marks(showing)) == 1
