"""Question rate limits through the real Bot Framework stack: a customer asking too fast is told
when to ask again (never silently dropped), others in the channel are not affected."""

from __future__ import annotations

from pathlib import Path

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.limits import QuestionLimits
from assistant.models import Role
from tests.adapters.teams.conftest import (
    CUSTOMER,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    settings_for,
)
from tests.fakes.bot_connector import FakeBotConnector


async def test_a_customer_asking_too_fast_is_told_when_to_ask_again(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    settings = settings_for(tmp_path).model_copy(update={"questions_per_user_per_minute": 1})
    async with open_bot(settings, embedder, connector) as harness:
        # time stands still, so the wait told is exact however long the first answer takes
        harness.bot.deps.limits = QuestionLimits(
            per_user=settings.questions_per_user_per_minute,
            per_channel=settings.questions_per_channel_per_minute,
            clock=lambda: 0.0,
        )
        await bind_channels(harness.conversations)
        for question, taught in SEED:
            await harness.assistant.teach(question, taught, actor="seed", role=Role.AGENT)
        await harness.post(harness.teams.bot_added(HANDOFF_CHANNEL, CUSTOMER))

        first = await harness.say(PASSWORD_Q)
        second = await harness.say("Where can I download my invoices?")
        other = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)

        [answer] = harness.replies(first)
        assert PASSWORD_A in card_text(card_of(answer))
        [refusal] = harness.replies(second)
        assert "ask again in 60 seconds" in refusal.activity["text"]
        assert len(harness.replies(other)) == 1
        assert (await harness.assistant.store.stats())["questions"] == 2
