"""``/assistant ask`` through Bolt (issue 15, item 6): limited like questions in a channel, and
honest: it hands nothing off, so it never says it did (or would, to a customer)."""

from __future__ import annotations

from pathlib import Path

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import texts
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    Harness,
    database_url,
    running_harness,
)
from tests.adapters.slack.harness import VAGUE
from tests.adapters.slack.helpers import block_text
from tests.adapters.slack.test_commands import command


async def test_a_customer_asking_too_fast_is_told_when_to_ask_again(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    limits = {"questions_per_user_per_minute": 3, "questions_per_channel_per_minute": 100}
    async with running_harness(database_url(tmp_path), embedder, settings_overrides=limits) as harness:
        replies = [await command(harness, CUSTOMER, "ask How do I reset my password?") for _ in range(4)]
        stored = (await harness.assistant.store.stats())["questions"]
    assert all("Forgot password" in block_text(reply) for reply in replies[:3])
    assert "asking faster than I can answer" in replies[3]["text"]
    assert stored == 3  # the refused one was not even read


async def test_a_customer_is_not_told_of_a_handoff_that_did_not_happen(harness: Harness) -> None:
    posted_before = len(harness.fake.messages(HANDOFF_CHANNEL))
    reply = await command(harness, CUSTOMER, f"ask {VAGUE}")
    shown = f"{reply.get('text', '')} {block_text(reply)}"
    assert "hand this off" not in shown and "Draft" not in shown
    assert reply["text"] == texts.ASK_NOT_ANSWERED
    assert len(harness.fake.messages(HANDOFF_CHANNEL)) == posted_before


async def test_an_agent_sees_a_preview_that_says_so(harness: Harness) -> None:
    reply = await command(harness, AGENT, f"ask {VAGUE}")
    assert reply["text"].startswith("Preview only, nothing was handed off")
    assert "I would hand this off" not in reply["text"]
