"""Two ``assistant serve`` processes on one PostgreSQL, nothing in front: the same Slack event sent
to both is answered once, and what a third instance learns is answered with by both."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.config import load_settings
from assistant.models import Role
from tests.adapters.slack.conftest import CUSTOMER, HANDOFF_CHANNEL, SEED, SIGNING_SECRET, populate
from tests.adapters.slack.helpers import block_text
from tests.adapters.slack.test_serve import ASSISTANT, environment, free_port, run, wait_healthy
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.slack_requests import message_event
from tests.postgres import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NEW_Q = "Can invoices be sent in Portuguese?"
NEW_A = "Yes: set the customer's language to Portuguese under Customers > Language."


async def test_two_serve_processes_share_learning_and_handle_an_event_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with FakeSlack() as fake, fresh_database() as url:
        populate(fake)
        env = environment(tmp_path, fake) | {"ASSISTANT_DATABASE_URL": url, "ASSISTANT_SYNC_SECONDS": "0"}
        settings = load_settings(database_url=url, anthropic_api_key=None)
        async with open_assistant(settings, embedder=embedder) as seed:
            for question, answer in SEED:
                await seed.teach(question, answer, actor="seed", role=Role.AGENT)
        await run(
            env, tmp_path, "channels", "set", "C_ACME", "--account", "acme", "--handoff", HANDOFF_CHANNEL
        )

        ports = [free_port(), free_port()]
        logs = [(tmp_path / f"serve{n}.log").open("wb") for n in range(2)]
        processes = [
            await asyncio.create_subprocess_exec(
                ASSISTANT, "serve", "--port", str(port), env=env, cwd=tmp_path, stdout=log, stderr=log
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        try:
            async with aiohttp.ClientSession() as session:
                for port, process in zip(ports, processes, strict=True):
                    await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", process)
                senders = [
                    SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
                    for port in ports
                ]
                # One event, delivered to both instances at once (a retry routed to the other one).
                ts = "1710000000.000001"
                event = message_event("C_ACME", CUSTOMER, SEED[0][0], ts=ts, user_team="T_ACME")
                statuses = await asyncio.gather(*(s.event(event, event_id="Ev0SAME") for s in senders))
                assert [status for status, _, _ in statuses] == [200, 200]
                await fake.wait_for("chat.postMessage", timeout=60)
                await asyncio.sleep(2.0)
                replies = [c for c in fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
                assert len(replies) == 1, "the event was answered by one instance only"

                # A third instance learns; each serving instance answers with it on its next ask.
                async with open_assistant(settings, embedder=embedder) as third:
                    await third.teach(NEW_Q, NEW_A, actor="dana", role=Role.AGENT)
                for n, sender in enumerate(senders):
                    asked = f"1710000000.00010{n}"
                    status, _, _ = await sender.event(
                        message_event("C_ACME", CUSTOMER, NEW_Q, ts=asked, user_team="T_ACME"),
                        event_id=f"Ev0NEW{n}",
                    )
                    assert status == 200

                    def answered(thread: str = asked) -> list[str]:
                        return [
                            block_text(c.args)
                            for c in fake.calls_to("chat.postMessage")
                            if c.args.get("thread_ts") == thread
                        ]

                    async with asyncio.timeout(60):
                        while not answered():
                            await asyncio.sleep(0.2)
                    assert any(NEW_A in text for text in answered()), f"instance {n}"
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(p.wait(), 30) for p in processes]
            for log in logs:
                log.close()
        assert codes == [0, 0], [(tmp_path / f"serve{n}.log").read_text() for n in range(2)]
