"""What customers see in Teams (issue 18.5), through the real Bot Framework stack: Markdown answers
arrive in the card's own Markdown subset (tables as lines, links with their real target), and the
confidence figure is internal unless ``TEAMS_SHOW_CONFIDENCE`` shows it."""

from __future__ import annotations

from pathlib import Path

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.models import Role
from tests.adapters.teams.conftest import (
    SEED,
    Harness,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    settings_for,
    teams_settings,
)
from tests.fakes.bot_connector import FakeBotConnector

REFUND_Q = "How do I refund a card payment?"
REFUND_MD = (
    "To refund a **card payment**, open Payments and press Refund. "
    "See [the refunds guide](https://docs.example.com/refunds).\n\n"
    "| Plan | Window |\n|---|---|\n| Pro | 30 days |\n| Basic | 14 days |"
)


async def refund_card(harness: Harness) -> str:
    await harness.assistant.teach(REFUND_Q, REFUND_MD, actor="docs", role=Role.AGENT)
    question = await harness.say(REFUND_Q)
    return card_text(card_of(harness.replies(question)[0]))


async def test_markdown_answers_arrive_in_the_cards_markdown(harness: Harness) -> None:
    shown = await refund_card(harness)
    assert "**card payment**" in shown  # the card's own Markdown: bold renders
    assert "the refunds guide (https://docs.example.com/refunds)" in shown and "](" not in shown
    assert "**Plan** | **Window**" in shown and "Pro | 30 days" in shown and "|---|" not in shown
    assert "confidence" not in shown


async def test_the_confidence_is_shown_when_a_setting_asks(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    teams = teams_settings(show_confidence=True)
    async with open_bot(settings_for(tmp_path), embedder, connector, teams=teams) as harness:
        await bind_channels(harness.conversations)
        for question, answer in SEED:
            await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        assert "confidence" in await refund_card(harness)
