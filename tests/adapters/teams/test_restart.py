"""Proactive messages from stored conversation references: after a restart (new process objects,
the same database) a hand-off's draft, a notice and a digest still reach their conversations."""

from __future__ import annotations

from pathlib import Path

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.markup import teams_text
from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.cards import card, text_block
from assistant.models import Role, Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    PASSWORD_A,
    SEED,
    VAGUE,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    settings_for,
)
from tests.fakes.bot_connector import FakeBotConnector


async def test_send_draft_and_digests_after_a_restart(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    settings = settings_for(tmp_path)
    async with open_bot(settings, embedder, connector) as first:
        await bind_channels(first.conversations)
        for question, answer in SEED:
            await first.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        await first.post(first.teams.bot_added(HANDOFF_CHANNEL, AGENT))
        asked = await first.say(VAGUE)
        [notice] = first.replies(asked)
        assert notice.text == texts.HANDOFF_NOTICE
        [handoff] = connector.threads_started(HANDOFF_CHANNEL)
        draft = (await first.answer_on(handoff)).text
    thread = asked["conversation"]["id"]

    async with open_bot(settings, embedder, connector) as second:
        done = await second.click(handoff, ids.SEND_DRAFT, user=AGENT)
        assert texts.sent_by("Alex Agent") in card_text(done["value"])
        sent, rating = second.replies(asked)[-2:]  # the draft, then the request for a rating
        assert card_text(card_of(rating)) == texts.CSAT_QUESTION
        assert (sent.conversation, sent.reply_to) == (thread, asked["id"])
        assert teams_text(draft) in card_text(card_of(sent)) and sent.token is None
        [resolution] = await events_of(second.assistant, Signal.RESOLVE)
        assert resolution.actor == "aad-agent"

        # a digest: a new thread in the internal channel, and a line in the customer's thread
        digest = card(text_block("This week: 1 hand-off, resolved."))
        posted = await second.bot.post_card(HANDOFF_CHANNEL, digest, "Weekly digest")
        assert posted.conversation == f"{HANDOFF_CHANNEL};messageid={posted.activity_id}"
        assert connector.threads_started(HANDOFF_CHANNEL)[-1].card == digest
        notice = await second.bot.notify(thread, "We've also reset your session.")
        assert connector.in_thread(thread)[-1].text == "We've also reset your session."
        assert notice.activity_id == connector.in_thread(thread)[-1].id
    assert second.bot.work.failures == 0


async def test_a_one_to_one_chat_is_answered_and_remembered(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    settings = settings_for(tmp_path)
    chat = "a:1personal-chat-with-casey"
    async with open_bot(settings, embedder, connector) as first:
        for question, answer in SEED:
            await first.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        status, _ = await first.post(first.teams.personal_message(CUSTOMER, SEED[0][0], chat=chat))
        assert status in (200, 201)
        [answer] = connector.in_thread(chat)
        assert PASSWORD_A in card_text(card_of(answer)) and answer.kind == "reply"
        stored = await first.assistant.get_answer((await first.answer_on(answer)).id)
        assert stored.account == "teams:tenant-home"
    async with open_bot(settings, embedder, connector) as second:
        await second.bot.notify(chat, "Your ticket was closed.")
        assert connector.in_thread(chat)[-1].text == "Your ticket was closed."
