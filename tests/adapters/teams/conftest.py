"""The real Teams bot (CloudAdapter) on loopback, a fake Bot Connector, real SQLite, the real embedder.

``harness`` starts everything for one test: the fake connector (the roster: one agent of the
bot's own tenant, two customers of the Acme tenant), the assistant on a SQLite file in tmp_path,
the conversation store with one customer channel (account ``acme``) handing off to one internal
channel, and the bot served by aiohttp on 127.0.0.1 port 0 in unauthenticated mode (requests
carry no token, replies carry none). ``open_bot`` builds the same on an existing database, as a
restarted process would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.teams import TeamsBot, TeamsSettings, add_routes
from adapters.teams import constants as ids
from adapters.wiring import build_assistant
from assistant.config import Settings, default_database_url_for, load_settings
from assistant.conversations import ChannelBinding
from assistant.handoff import HandoffNotifier
from assistant.models import Answer, Role
from assistant.service import Assistant
from tests.fakes.bot_activities import Teams, TeamsSender, person
from tests.fakes.bot_connector import FakeBotConnector, Posted

HOME_TENANT = "tenant-home"
ACME_TENANT = "tenant-acme"
CUSTOMER_CHANNEL = "19:acme-shared@thread.tacv2"
HANDOFF_CHANNEL = "19:support@thread.tacv2"
AGENT = person("29:agent", "aad-agent", "Alex Agent")
CUSTOMER = person("29:customer", "aad-customer", "Casey Customer")
OTHER_CUSTOMER = person("29:customer2", "aad-customer2", "Chris Customer")

PASSWORD_Q = "How do I reset my password?"
PASSWORD_A = "Use the Forgot password link on the sign-in page."
SEED = [
    (PASSWORD_Q, PASSWORD_A),
    ("How do I change the email address on my account?", "Open Settings > Profile and edit Email."),
    ("Where can I download my invoices?", "Invoices are under Settings > Billing."),
]
VAGUE = "I can't get into my account anymore, the login keeps failing"


def populate(connector: FakeBotConnector) -> None:
    connector.add_member(AGENT["id"], aad_object_id=AGENT["aadObjectId"], tenant_id=HOME_TENANT, name="Alex")
    for customer in (CUSTOMER, OTHER_CUSTOMER):
        connector.add_member(customer["id"], aad_object_id=customer["aadObjectId"], tenant_id=ACME_TENANT)


def teams_settings(**overrides: Any) -> TeamsSettings:
    values: dict[str, Any] = {"allow_unauthenticated": True, "agent_tenant_id": HOME_TENANT, **overrides}
    return TeamsSettings(_env_file=None, **values)  # type: ignore[call-arg]


async def bind_channels(conversations: SqlConversationStore) -> None:
    await conversations.bind_channel(
        ChannelBinding("teams", CUSTOMER_CHANNEL, "acme", "customer", HANDOFF_CHANNEL)
    )
    await conversations.bind_channel(ChannelBinding("teams", HANDOFF_CHANNEL, None, "internal"))


@dataclass
class Harness:
    connector: FakeBotConnector
    teams: Teams
    bot: TeamsBot
    sender: TeamsSender
    assistant: Assistant
    conversations: SqlConversationStore
    url: str

    async def settle(self) -> None:
        await self.bot.drain(timeout=30)

    async def post(self, activity: dict[str, Any], **options: Any) -> tuple[int, Any]:
        status, body = await self.sender.post(activity, **options)
        await self.settle()
        return status, body

    async def say(
        self,
        text: str,
        *,
        user: dict[str, Any] = CUSTOMER,
        thread: str | None = None,
        channel: str = CUSTOMER_CHANNEL,
    ) -> dict[str, Any]:
        """A person's channel message; waits for the work it starts and returns the activity."""
        activity = self.teams.channel_message(channel, user, text, thread=thread)
        status, _ = await self.post(activity)
        assert status in (200, 201), status
        return activity

    async def click(
        self,
        posted: Posted,
        verb: str,
        *,
        user: dict[str, Any],
        inputs: dict[str, Any] | None = None,
        shown: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Click the Action.Execute ``verb`` on a posted message's card (or on the card ``shown`` in
        its place since); returns the invoke response's body. A verb only ``user``'s own view has
        (an agent's "Correct this") is clicked on that view, as their client refreshed it."""
        card = card_of(shown or posted)
        if shown is None and verb not in verbs(card) and "refresh" in card:
            card = await self.view(posted, user=user)
        activity = self.teams.card_action(
            user,
            action(card, verb),
            conversation=posted.conversation,
            card_id=posted.id,
            channel=channel_of(posted.conversation),
            inputs=inputs,
        )
        status, body = await self.post(activity)
        assert status == 200, (status, body)
        return dict(body)

    async def view(
        self, posted: Posted, *, user: dict[str, Any], shown: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The card ``user``'s client shows after refreshing the posted card (or the card ``shown``
        in its place since): Teams' automatic ``adaptiveCard/action`` invoke of its ``refresh``."""
        card = card_of(shown or posted)
        activity = self.teams.card_action(
            user,
            card["refresh"]["action"],
            conversation=posted.conversation,
            card_id=posted.id,
            channel=channel_of(posted.conversation),
            trigger="automatic",
        )
        status, body = await self.post(activity)
        assert status == 200 and body["type"] == ids.CARD_CONTENT_TYPE, (status, body)
        return dict(body["value"])

    async def view_as_agent_once(self) -> None:
        """An agent clicks on a hand-off card, so the bot knows them (and lists them in ``userIds``)."""
        question = await self.say(VAGUE, user=OTHER_CUSTOMER)
        handoff = self.connector.threads_started(HANDOFF_CHANNEL)[-1]
        await self.click(handoff, ids.TAKE_HANDOFF, user=AGENT)
        assert question
        self.connector.posted.clear()

    def replies(self, activity: dict[str, Any]) -> list[Posted]:
        """What the bot posted in the thread (or chat) of ``activity``."""
        return self.connector.in_thread(activity["conversation"]["id"])

    async def answer_on(self, posted: Posted) -> Answer:
        channel = channel_of(posted.conversation) or posted.conversation
        link = await self.conversations.find_link("teams", channel, posted.id)
        assert link is not None, f"no link for {posted.id}"
        return await self.assistant.get_answer(link.answer_id)


def channel_of(conversation: str) -> str | None:
    return conversation.partition(";messageid=")[0] if ";messageid=" in conversation else None


def card_of(posted: Posted | dict[str, Any]) -> dict[str, Any]:
    card = posted.card if isinstance(posted, Posted) else posted
    assert card is not None and card["type"] == "AdaptiveCard", posted
    return card


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    for candidate in card.get("actions") or []:
        if candidate.get("verb") == verb:
            return dict(candidate)
    raise AssertionError(f"no {verb} action in {card.get('actions')}")


def verbs(card: dict[str, Any]) -> list[str]:
    return [candidate["verb"] for candidate in card.get("actions") or [] if "verb" in candidate]


def card_text(card: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "TextBlock":
                parts.append(element["text"])
            walk(element.get("items") or [])

    walk(card.get("body") or [])
    return "\n".join(parts)


def settings_for(tmp_path: Path) -> Settings:
    return load_settings(
        database_url=default_database_url_for(tmp_path / "assistant.db"), anthropic_api_key=None
    )


@asynccontextmanager
async def open_bot(
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    connector: FakeBotConnector,
    teams: TeamsSettings | None = None,
    handoff_notifier: HandoffNotifier | None = None,
) -> AsyncIterator[Harness]:
    """Everything a process of ``assistant serve`` builds, on an existing (or new) database."""
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    bot = TeamsBot(
        assistant=assistant,
        conversations=conversations,
        settings=teams or teams_settings(),
        handoff_notifier=handoff_notifier,
    )
    app = web.Application()
    add_routes(app, bot)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}"
        async with aiohttp.ClientSession() as session:
            sender = TeamsSender(session, f"{url}/api/messages")
            yield Harness(
                connector,
                Teams(connector.service_url, HOME_TENANT),
                bot,
                sender,
                assistant,
                conversations,
                url,
            )
    finally:
        await runner.cleanup()
        await bot.close()
        await conversations.close()
        await assistant.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        populate(fake)
        yield fake


@pytest.fixture
async def harness(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> AsyncIterator[Harness]:
    async with open_bot(settings_for(tmp_path), embedder, connector) as harness:
        await bind_channels(harness.conversations)
        for question, answer in SEED:
            await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        # The bot was added to the support team: Teams told it, so it knows the channel's service URL.
        status, _ = await harness.post(harness.teams.bot_added(HANDOFF_CHANNEL, AGENT))
        assert status in (200, 201)
        harness.connector.posted.clear()  # its welcome (tests/adapters/teams/test_onboarding.py)
        yield harness


STATE_TABLES = ("questions", "platform_events", "conversation_references", "message_links", "learning_events")


async def stored_rows(conversations: SqlConversationStore) -> dict[str, int]:
    """How many rows each table a request could write to holds."""
    from sqlalchemy import text

    counts = {}
    async with conversations._engine.connect() as conn:
        for table in STATE_TABLES:
            counts[table] = int((await conn.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one())
    return counts
