"""Socket Mode through ``serve``: the app connects to the fake's WebSocket and answers from it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack.server import serve
from adapters.storage.sql.conversations import SqlConversationStore
from assistant.config import load_settings
from assistant.models import Role
from tests.adapters.slack.conftest import (
    CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    bind_channels,
    database_url,
    populate,
    slack_settings,
)
from tests.adapters.slack.helpers import block_text
from tests.fakes import FakeSlack
from tests.fakes.slack_requests import message_event


async def test_socket_mode_answers_and_ignores_a_redelivery(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = load_settings(database_url=database_url(tmp_path))
    async with open_assistant(settings, embedder=embedder) as assistant:
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    await bind_channels(conversations)
    await conversations.close()

    async with FakeSlack() as fake:
        populate(fake)
        config = slack_settings(fake, signing_secret=None, app_token=fake.app_token)
        stop = asyncio.Event()
        lines: list[str] = []
        running = asyncio.create_task(
            serve(
                settings=settings,
                slack_settings=config,
                host="127.0.0.1",
                port=0,
                ready=lines.append,
                stop=stop,
                embedder=embedder,
            )
        )
        try:
            await fake.wait_for_socket(timeout=30)
            ts = "1710000000.000001"
            event = message_event("C_ACME", CUSTOMER, PASSWORD_Q, ts=ts, user_team="T_ACME")
            payload = {
                "type": "event_callback",
                "event_id": "EvSOCKET1",
                "team_id": "T_HOME",
                "api_app_id": "A_APP",
                "event": event,
            }
            await fake.socket_send(payload, envelope_id="env-1")
            await fake.wait_for_ack("env-1")
            [posted] = await fake.wait_for("chat.postMessage", timeout=30)
            assert posted.args["thread_ts"] == ts and PASSWORD_A in block_text(posted.args)

            await fake.socket_send(payload, envelope_id="env-2", retry_attempt=1)
            await fake.wait_for_ack("env-2")
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)
        assert len(fake.answered("chat.postMessage")) == 1
        assert any("Socket Mode" in line for line in lines)
