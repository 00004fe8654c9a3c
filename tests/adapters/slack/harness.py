"""The Slack test kit: the real Bolt app on loopback against the fake Slack Web API.

Shared by the Slack tests (through the ``harness`` fixture of ``conftest.py``), the load test and
the scale benchmark, so the set-up lives in one place: the fake Slack (users, channels), the
assistant on the given database, the conversation store with one customer channel (account
``acme``) handing off to one internal channel, the Slack app served by aiohttp on 127.0.0.1 port 0,
and a sender that signs requests as Slack does. ``Harness.settle()`` waits for the background work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.slack import SlackApp, SlackSettings, web_app
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.wiring import build_assistant
from assistant.accounts import AccountContext
from assistant.config import load_settings
from assistant.conversations import ChannelBinding
from assistant.models import Answer, Role
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.slack_requests import message_event

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ACME_TEAM = "T_ACME"
CUSTOMER_CHANNEL = "C_ACME"
HANDOFF_CHANNEL = "C_SUPPORT"
AGENT = "U_AGENT"
CUSTOMER = "U_CUSTOMER"
OTHER_CUSTOMER = "U_CUSTOMER2"

PASSWORD_Q = "How do I reset my password?"
PASSWORD_A = "Use the Forgot password link on the sign-in page."
VAGUE = "I can't get into my account anymore, the login keeps failing"  # nothing seeded answers it
SEED = [
    (PASSWORD_Q, PASSWORD_A),
    ("How do I change the email address on my account?", "Open Settings > Profile and edit Email."),
    ("Where can I download my invoices?", "Invoices are under Settings > Billing."),
]


@dataclass
class Harness:
    fake: FakeSlack
    slack: SlackApp
    sender: SlackSender
    assistant: Assistant
    conversations: SqlConversationStore
    url: str
    _ts: int = 0

    def ts(self) -> str:
        """A fresh Slack ``ts`` for a message a person posts."""
        self._ts += 1
        return f"1710000000.{self._ts:06d}"

    async def settle(self) -> None:
        await self.slack.drain(timeout=30)

    async def say(
        self,
        text: str,
        *,
        user: str = CUSTOMER,
        thread_ts: str | None = None,
        channel: str = CUSTOMER_CHANNEL,
    ) -> str:
        """Post a person's message event and wait for the work it starts; returns its ts."""
        ts = self.ts()
        team = self.fake.users[user]["team_id"]
        status, _, _ = await self.sender.event(
            message_event(channel, user, text, ts=ts, thread_ts=thread_ts, user_team=team)
        )
        assert status == 200
        await self.settle()
        return ts

    async def interact(self, payload: dict[str, Any]) -> None:
        status, _, _ = await self.sender.interaction(payload)
        assert status == 200
        await self.settle()

    async def answer_on(self, channel: str, ts: str) -> Answer:
        """The stored answer a posted message carries."""
        link = await self.conversations.find_link("slack", channel, ts)
        assert link is not None, f"no link for {channel} {ts}"
        return await self.assistant.get_answer(link.answer_id)

    def replies(self, thread_ts: str, channel: str = CUSTOMER_CHANNEL) -> list[dict[str, Any]]:
        return self.fake.messages(channel, thread_ts)


def slack_settings(fake: FakeSlack, **overrides: Any) -> SlackSettings:
    values: dict[str, Any] = {
        "signing_secret": SIGNING_SECRET,
        "bot_token": fake.token,
        "app_token": None,
        "api_url": fake.api_url,
        "agent_usergroup": None,
        "handoff_channel": None,
        **overrides,
    }
    return SlackSettings(_env_file=None, **values)  # type: ignore[call-arg]


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/assistant.db"


def populate(fake: FakeSlack) -> None:
    fake.add_user(AGENT, name="agent")
    fake.add_user(CUSTOMER, team_id=ACME_TEAM, name="customer")
    fake.add_user(OTHER_CUSTOMER, team_id=ACME_TEAM, name="customer2")
    fake.add_channel(CUSTOMER_CHANNEL, is_ext_shared=True, external_teams=[ACME_TEAM])
    fake.add_channel(HANDOFF_CHANNEL, is_private=True)


async def bind_channels(conversations: SqlConversationStore) -> None:
    await conversations.bind_channel(
        ChannelBinding("slack", CUSTOMER_CHANNEL, "acme", "customer", HANDOFF_CHANNEL)
    )
    await conversations.bind_channel(ChannelBinding("slack", HANDOFF_CHANNEL, None, "internal"))


@asynccontextmanager
async def running_harness(
    url: str,
    embedder: Embedder,
    *,
    background_refit: bool = False,
    settings_overrides: dict[str, Any] | None = None,
    slack_overrides: dict[str, Any] | None = None,
    fake_slack: type[FakeSlack] = FakeSlack,
    accounts: AccountContext | None = None,
) -> AsyncIterator[Harness]:
    """Everything started on database ``url``; torn down on exit.

    ``background_refit`` is the production setting (the resolution head refits off the request
    path); tests keep it off so what they assert does not depend on timing. The overrides go to
    the assistant's and the Slack app's settings; ``fake_slack`` is the fake Web API to run
    (``FaultySlack`` for the fault tests); ``accounts`` the account profiles (none by default).
    """
    async with fake_slack() as fake:
        populate(fake)
        settings = load_settings(database_url=url, **(settings_overrides or {}))
        assistant = build_assistant(settings, embedder=embedder, background_refit=background_refit)
        await assistant.start()
        conversations = SqlConversationStore(settings.database_url)
        await conversations.initialize()
        await bind_channels(conversations)
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        slack = SlackApp(
            assistant=assistant,
            conversations=conversations,
            settings=slack_settings(fake, **(slack_overrides or {})),
            accounts=accounts,
        )
        await slack.start()
        runner = web.AppRunner(web_app(slack, conversations), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                sender = SlackSender(session, f"{base}/slack/events", SIGNING_SECRET)
                yield Harness(fake, slack, sender, assistant, conversations, base)
        finally:
            await runner.cleanup()
            await slack.close()
            await conversations.close()
            await assistant.close()
