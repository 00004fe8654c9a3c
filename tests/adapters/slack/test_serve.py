"""`assistant serve` as a subprocess, configured as the README says, driven over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.config import load_settings
from assistant.models import Role
from tests.adapters.slack.conftest import (
    CUSTOMER,
    HANDOFF_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    SIGNING_SECRET,
    database_url,
    populate,
)
from tests.adapters.slack.helpers import block_text
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.slack_requests import message_event

ASSISTANT = str(Path(sys.executable).with_name("assistant"))
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ASSISTANT_", "ANTHROPIC_"))}
    env.update(
        {
            "ASSISTANT_DATABASE_URL": database_url(tmp_path),
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": fake.token,
            "SLACK_API_URL": fake.api_url,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    return env


async def run(env: dict[str, str], cwd: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        ASSISTANT, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def wait_healthy(session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            assert process.returncode is None, "assistant serve exited before it was healthy"
            try:
                async with session.get(url) as response:
                    if response.status == 200 and (await response.json())["store"] is True:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.25)


@pytest.mark.slow
async def test_assistant_serve_answers_a_question(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with FakeSlack() as fake:
        populate(fake)
        env = environment(tmp_path, fake)
        async with open_assistant(
            load_settings(database_url=env["ASSISTANT_DATABASE_URL"]), embedder=embedder
        ) as a:
            for question, answer in SEED:
                await a.teach(question, answer, actor="seed", role=Role.AGENT)
        shown = await run(
            env, tmp_path, "channels", "set", "C_ACME", "--account", "acme", "--handoff", HANDOFF_CHANNEL
        )
        assert "account acme" in shown
        listed = await run(env, tmp_path, "channels", "list")
        assert "C_ACME" in listed and f"{HANDOFF_CHANNEL}  internal" in listed

        port = free_port()
        log = (tmp_path / "serve.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            ASSISTANT, "serve", "--port", str(port), env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        try:
            async with aiohttp.ClientSession() as session:
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", process)
                sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                ts = "1710000000.000001"
                status, _, _ = await sender.event(
                    message_event("C_ACME", CUSTOMER, PASSWORD_Q, ts=ts, user_team="T_ACME")
                )
                assert status == 200
                [posted] = await fake.wait_for("chat.postMessage", timeout=30)
            assert posted.args["thread_ts"] == ts and PASSWORD_A in block_text(posted.args)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), 30)
            log.close()
        assert returncode == 0, (tmp_path / "serve.log").read_text()
        assert PASSWORD_Q not in (tmp_path / "serve.log").read_text()  # message text is never logged
