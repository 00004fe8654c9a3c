"""Slack and Teams in one process: `adapters.server.serve` in process, and `assistant serve` as a
subprocess configured from the environment, with `channels set --platform teams`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.server import serve
from adapters.teams import texts
from assistant.models import Role
from tests.adapters.slack.conftest import SIGNING_SECRET
from tests.adapters.slack.conftest import populate as populate_slack
from tests.adapters.slack.conftest import slack_settings as make_slack_settings
from tests.adapters.slack.helpers import block_text
from tests.adapters.slack.test_serve import free_port, run, wait_healthy
from tests.adapters.teams.conftest import (
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    HOME_TENANT,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    bind_channels,
    card_of,
    card_text,
    settings_for,
    teams_settings,
)
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.bot_activities import Teams, TeamsSender
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_requests import message_event

ASSISTANT = str(Path(sys.executable).with_name("assistant"))


async def test_slack_and_teams_share_one_server_and_one_store(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    connector: FakeBotConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(tmp_path)
    async with open_assistant(settings, embedder=embedder) as assistant:
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
    from adapters.storage.sql.conversations import SqlConversationStore

    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    await bind_channels(conversations)
    await conversations.close()

    async with FakeSlack() as slack:
        populate_slack(slack)
        stop = asyncio.Event()
        lines: list[str] = []
        with caplog.at_level(logging.WARNING, logger="adapters.teams.bot"):
            running = asyncio.create_task(
                serve(
                    settings=settings,
                    slack_settings=make_slack_settings(slack),
                    teams_settings=teams_settings(),
                    host="127.0.0.1",
                    port=0,
                    ready=lines.append,
                    stop=stop,
                    embedder=embedder,
                )
            )
            try:
                async with asyncio.timeout(60):
                    while len(lines) < 2:
                        assert not running.done(), running
                        await asyncio.sleep(0.05)
                address = lines[0].split(" on ")[1].split("/slack")[0]
                assert "/api/messages (UNAUTHENTICATED" in lines[1]
                async with aiohttp.ClientSession() as session:
                    async with session.get(f"{address}/healthz") as response:
                        health = await response.json()
                    assert response.status == 200 and health["store"] is True
                    assert health["teams"]["authenticated"] is False
                    assert health["warnings"] == [texts.UNAUTHENTICATED_WARNING]
                    assert health["slack"] == {"mode": "http"}

                    teams = Teams(connector.service_url, HOME_TENANT)
                    activity = teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)
                    status, _ = await TeamsSender(session, f"{address}/api/messages").post(activity)
                    assert status in (200, 201)
                    [reply] = await connector.wait_for("reply", timeout=30)
                    assert PASSWORD_A in card_text(card_of(reply))

                    ts = "1710000000.000001"
                    sender = SlackSender(session, f"{address}/slack/events", SIGNING_SECRET)
                    event = message_event("C_ACME", "U_CUSTOMER", PASSWORD_Q, ts=ts, user_team="T_ACME")
                    status, _, _ = await sender.event(event)
                    assert status == 200
                    [posted] = await slack.wait_for("chat.postMessage", timeout=30)
                    assert posted.args["thread_ts"] == ts and PASSWORD_A in block_text(posted.args)
            finally:
                stop.set()
                await asyncio.wait_for(running, 30)
        assert texts.UNAUTHENTICATED_WARNING in caplog.text


@pytest.mark.slow
async def test_assistant_serve_runs_teams_from_the_environment(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/assistant.db"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ASSISTANT_", "ANTHROPIC_", "MICROSOFT_", "TEAMS_"))
    }
    env.update(
        {
            "ASSISTANT_DATABASE_URL": database,
            "TEAMS_ALLOW_UNAUTHENTICATED": "1",
            "TEAMS_AGENT_TENANT_ID": HOME_TENANT,  # serve refuses to start without an agent rule
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    async with open_assistant(settings_for(tmp_path), embedder=embedder) as assistant:
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
    args = ("channels", "set", CUSTOMER_CHANNEL, "--account", "acme", "--handoff", HANDOFF_CHANNEL)
    shown = await run(env, tmp_path, *args, "--platform", "teams")
    assert "account acme" in shown
    listed = await run(env, tmp_path, "channels", "list", "--platform", "teams")
    assert CUSTOMER_CHANNEL in listed and f"{HANDOFF_CHANNEL}  internal" in listed
    assert "No channels" in await run(env, tmp_path, "channels", "list")  # Slack's list is apart

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        ASSISTANT, "serve", "--port", str(port), env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", process)
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert (await response.json())["teams"]["authenticated"] is False
            teams = Teams(connector.service_url, HOME_TENANT)
            activity = teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)
            status, _ = await TeamsSender(session, f"http://127.0.0.1:{port}/api/messages").post(activity)
            assert status in (200, 201)
            [reply] = await connector.wait_for("reply", timeout=30)
        assert reply.reply_to == activity["id"] and PASSWORD_A in card_text(card_of(reply))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(process.wait(), 30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert returncode == 0, output
    assert "TEAMS_ALLOW_UNAUTHENTICATED is on" in output and "WARNING" in output
    assert PASSWORD_Q not in output  # message text is never logged
