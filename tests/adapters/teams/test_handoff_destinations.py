"""Where Teams hand-offs go: a Teams channel by default, a Slack channel with
``TEAMS_HANDOFF_SLACK_CHANNEL``, and the way back from Slack to the Teams customer.

The full loop runs in one ``adapters.server.serve`` process with both platforms: the real Bolt app
(signed requests, the fake Slack Web API) and the real Teams bot (the fake Bot Connector).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.cli.session import open_assistant
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.markup import teams_text
from adapters.server import serve
from adapters.slack import constants as slack_ids
from adapters.slack import handoff_notifier as origin
from adapters.slack import texts as slack_texts
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.teams import TeamsBot, texts
from adapters.teams import constants as ids
from assistant.config import Settings
from assistant.errors import ConfigurationError, NotFoundError
from assistant.handoff import HandoffNotice, HandoffOrigin, Relay
from assistant.models import Role, Signal
from tests.adapters.slack.conftest import AGENT as SLACK_AGENT
from tests.adapters.slack.conftest import CUSTOMER as SLACK_CUSTOMER
from tests.adapters.slack.conftest import SIGNING_SECRET
from tests.adapters.slack.conftest import populate as populate_slack
from tests.adapters.slack.conftest import slack_settings as make_slack_settings
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.adapters.teams.conftest import (
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    HOME_TENANT,
    OTHER_CUSTOMER,
    SEED,
    VAGUE,
    Harness,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    settings_for,
    teams_settings,
    verbs,
)
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.bot_activities import Teams, TeamsSender
from tests.fakes.bot_connector import FakeBotConnector, Posted
from tests.fakes.slack_requests import block_actions, view_submission

SLACK_HANDOFFS = "C_SUPPORT"
WAIT = 30.0


# configuration


def test_the_slack_destination_must_be_a_slack_channel_id() -> None:
    from adapters.teams.settings import load_teams_settings

    with pytest.raises(ConfigurationError, match="TEAMS_HANDOFF_SLACK_CHANNEL: must be a Slack channel id"):
        load_teams_settings(_env_file=None, allow_unauthenticated=True, handoff_slack_channel="19:x@thread")
    loaded = load_teams_settings(_env_file=None, allow_unauthenticated=True, handoff_slack_channel=" C0123 ")
    assert loaded.handoff_slack_channel == "C0123"


async def test_a_slack_destination_without_slack_is_refused_before_anything_opens(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(ConfigurationError, match="Slack is not configured"):
        await serve(
            settings=settings,
            teams_settings=teams_settings(handoff_slack_channel=SLACK_HANDOFFS),
            host="127.0.0.1",
            port=0,
        )
    assert not (tmp_path / "assistant.db").exists()


async def test_the_bot_refuses_a_slack_destination_it_has_no_notifier_for(tmp_path: Path) -> None:
    conversations = SqlConversationStore(settings_for(tmp_path).database_url)
    try:
        with pytest.raises(ConfigurationError, match="TEAMS_HANDOFF_SLACK_CHANNEL"):
            TeamsBot(
                assistant=None,  # type: ignore[arg-type]  # refused before it is used
                conversations=conversations,
                settings=teams_settings(handoff_slack_channel=SLACK_HANDOFFS),
            )
    finally:
        await conversations.close()


def test_the_slack_post_shows_other_peoples_words_literally_and_where_they_were_asked() -> None:
    chat = HandoffOrigin("teams", "a:chat", "a:chat", "a:chat")
    notice = HandoffNotice(
        answer_id="ans_1",
        question_id="q_1",
        question="<!channel> why is <https://evil.example|our invoice> late?",
        account="acme",
        draft="Invoices go out on the 1st; see <@U_BOSS>.",
        confidence=0.42,
        sources=(),
        origin=chat,
    )
    message = origin.handoff_message(notice, origin.OriginRef.of(notice))
    shown = block_text(message)
    assert "<!channel>" not in shown and "<https://evil" not in shown and "<@U_BOSS>" not in shown
    assert "From Teams · account *acme*" in shown and "confidence 42%" in shown
    value = json.loads(button(message, origin.SEND_DRAFT)["value"])
    where = {"platform": "teams", "channel": "a:chat", "conversation": "a:chat", "thread": "a:chat"}
    assert value == {"answer_id": "ans_1", **where}
    done = origin.handoff_message(notice, origin.OriginRef.of(notice), done="sent")
    assert [block["type"] for block in done["blocks"]][-1] == "context"


# the port, on the Teams bot alone


@dataclass
class RecordingNotifier:
    """An in-memory ``HandoffNotifier``: what a destination would have been asked to post."""

    notices: list[HandoffNotice]
    relays: list[Relay] = field(default_factory=list)

    async def notify_handoff(self, notice: HandoffNotice) -> None:
        self.notices.append(notice)

    async def relay(self, relay: Relay) -> tuple[str, str] | None:
        self.relays.append(relay)
        return "recorded", relay.handoff_post or f"post-{len(self.relays)}"


@asynccontextmanager
async def bot_with(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector, notifier: Any
) -> AsyncIterator[Harness]:
    async with open_bot(settings_for(tmp_path), embedder, connector, handoff_notifier=notifier) as harness:
        await bind_channels(harness.conversations)
        for question, answer in SEED:
            await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        yield harness


async def test_a_teams_handoff_goes_to_the_notifier_and_comes_back_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    notifier = RecordingNotifier([])
    async with bot_with(tmp_path, embedder, connector, notifier) as harness:
        question = await harness.say(VAGUE)
        [notice] = notifier.notices
        answer = await harness.assistant.get_answer(notice.answer_id)
        assert (notice.question, notice.account, notice.draft) == (VAGUE, "acme", answer.text)
        assert notice.draft and notice.confidence == answer.confidence
        assert notice.handoff_channel == HANDOFF_CHANNEL  # the binding's, a hint for a Teams destination
        place = notice.origin
        assert (place.platform, place.channel, place.thread) == ("teams", CUSTOMER_CHANNEL, question["id"])
        assert place.conversation == question["conversation"]["id"]
        assert place.link is not None and place.link.startswith("https://teams.microsoft.com/l/message/")
        assert harness.connector.threads_started(HANDOFF_CHANNEL) == []  # nothing posted in Teams

        back = harness.bot.handoff_return
        elsewhere = HandoffOrigin("teams", CUSTOMER_CHANNEL, f"{CUSTOMER_CHANNEL};messageid=1", "1")
        with pytest.raises(NotFoundError):
            await back.send_answer(elsewhere, notice.answer_id, text=None, agent="U1", agent_name="Sam")
        written = "Your account was locked; I've unlocked it, please sign in again."
        assert await back.send_answer(place, notice.answer_id, text=written, agent="U1", agent_name="Sam")
        assert not await back.send_answer(place, notice.answer_id, text=None, agent="U1", agent_name="Sam")
        [_, sent, rating] = harness.replies(question)  # the notice, the answer, the request for a rating
        assert card_text(card_of(rating)) == texts.CSAT_QUESTION
        assert written in card_text(card_of(sent)) and "Sam" in card_text(card_of(sent))
        [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
        assert (resolution.actor, resolution.role) == ("U1", Role.AGENT)

        again = await harness.say(VAGUE, user=OTHER_CUSTOMER)
        [answered] = harness.replies(again)
        assert written in card_text(card_of(answered)) and ids.HELPED in verbs(card_of(answered))
        assert len(notifier.notices) == 1


# the whole loop in one process: Teams question -> Slack hand-off -> "Send draft" -> Teams


@dataclass
class Both:
    slack: FakeSlack
    connector: FakeBotConnector
    teams: Teams
    to_teams: TeamsSender
    to_slack: SlackSender

    async def ask(self, text: str, user: dict[str, Any]) -> dict[str, Any]:
        activity = self.teams.channel_message(CUSTOMER_CHANNEL, user, text)
        status, _ = await self.to_teams.post(activity)
        assert status in (200, 201)
        return activity

    async def click(self, post: Any, action_id: str, user: str) -> None:
        element = button(post.args, action_id)
        payload = block_actions(
            user=user,
            action_id=action_id,
            value=element["value"],
            channel=SLACK_HANDOFFS,
            message_ts=post.response["ts"],
            response_url=self.slack.response_url(action_id),
        )
        status, _, _ = await self.to_slack.interaction(payload)
        assert status == 200

    async def ephemeral(self, count: int) -> str:
        calls = await self.slack.wait_for("chat.postEphemeral", count, timeout=WAIT)
        return str(calls[count - 1].args["text"])

    def teams_replies(self, activity: dict[str, Any]) -> list[Posted]:
        return self.connector.in_thread(activity["conversation"]["id"])

    async def wait_replies(self, activity: dict[str, Any], count: int) -> list[Posted]:
        async with asyncio.timeout(WAIT):
            while len(self.teams_replies(activity)) < count:
                await self.connector.wait_for("reply", len(self.connector.writes("reply")) + 1, WAIT)
        return self.teams_replies(activity)


async def seeded(settings: Settings, embedder: SentenceTransformerEmbedder) -> None:
    async with open_assistant(settings, embedder=embedder) as assistant:
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    await bind_channels(conversations)
    await conversations.close()


@asynccontextmanager
async def serving_both(
    settings: Settings, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> AsyncIterator[Both]:
    async with FakeSlack() as slack:
        populate_slack(slack)
        slack.add_channel(SLACK_HANDOFFS, is_private=True)
        stop = asyncio.Event()
        lines: list[str] = []
        running = asyncio.create_task(
            serve(
                settings=settings,
                slack_settings=make_slack_settings(slack),
                teams_settings=teams_settings(handoff_slack_channel=SLACK_HANDOFFS),
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
            async with aiohttp.ClientSession() as session:
                yield Both(
                    slack,
                    connector,
                    Teams(connector.service_url, HOME_TENANT),
                    TeamsSender(session, f"{address}/api/messages"),
                    SlackSender(session, f"{address}/slack/events", SIGNING_SECRET),
                )
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)


@pytest.mark.slow
async def test_teams_question_handed_off_to_slack_send_draft_reaches_teams_and_is_learned_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    settings = settings_for(tmp_path)
    await seeded(settings, embedder)
    async with serving_both(settings, embedder, connector) as both:
        question = await both.ask(VAGUE, CUSTOMER)
        [post] = await both.slack.wait_for(
            "chat.postMessage", timeout=WAIT, where=lambda c: c.args["channel"] == SLACK_HANDOFFS
        )
        [notice] = await both.wait_replies(question, 1)
        assert notice.text == slack_texts.HANDOFF_NOTICE  # the same words on both platforms
        shown = block_text(post.args)
        assert VAGUE in shown and "acme" in shown and "From <https://teams.microsoft.com/" in shown
        draft = json.loads(button(post.args, origin.SEND_DRAFT)["value"])
        assert draft["platform"] == "teams" and draft["conversation"] == question["conversation"]["id"]
        assert connector.threads_started(HANDOFF_CHANNEL) == []  # the Teams channel is not used

        await both.click(post, origin.SEND_DRAFT, SLACK_CUSTOMER)  # customers cannot send drafts
        assert await both.ephemeral(1) == slack_texts.AGENTS_ONLY

        await both.click(post, origin.TAKE_HANDOFF, SLACK_AGENT)
        [taken] = await both.slack.wait_for("chat.update", timeout=WAIT)
        assert taken.args["ts"] == post.response["ts"]
        assert slack_texts.taken_by(SLACK_AGENT) in block_text(taken.args)
        assert button(taken.args, origin.SEND_DRAFT) and len(both.teams_replies(question)) == 1

        await both.click(post, origin.SEND_DRAFT, SLACK_AGENT)
        sent = (await both.wait_replies(question, 2))[1]
        sent_text = card_text(card_of(sent))
        assert sent.conversation == question["conversation"]["id"] and sent.reply_to == question["id"]
        [_, update] = await both.slack.wait_for("chat.update", 2, timeout=WAIT)
        assert update.args["ts"] == post.response["ts"]
        assert slack_texts.sent_by(SLACK_AGENT, False) in block_text(update.args)
        assert "actions" not in [block["type"] for block in update.args["blocks"]]
        assert "confidence" not in sent_text  # internal unless TEAMS_SHOW_CONFIDENCE

        await both.click(post, origin.SEND_DRAFT, SLACK_AGENT)  # a second click changes nothing
        assert await both.ephemeral(2) == slack_texts.ALREADY_HANDLED
        await both.click(post, origin.EDIT_AND_SEND, SLACK_AGENT)
        [opened] = await both.slack.wait_for("views.open", timeout=WAIT)
        view = opened.args["view"]
        assert view["callback_id"] == origin.EDIT_VIEW
        submission = view_submission(
            user=SLACK_AGENT,
            callback_id=origin.EDIT_VIEW,
            private_metadata=view["private_metadata"],
            values={
                slack_ids.TEXT_BLOCK: {slack_ids.TEXT_INPUT: {"type": "plain_text_input", "value": "Other."}}
            },
        )
        status, _, _ = await both.to_slack.interaction(submission)
        assert status == 200
        assert await both.ephemeral(3) == slack_texts.ALREADY_HANDLED
        assert len(both.teams_replies(question)) == 3  # the notice, the draft, the request for a rating

        again = await both.ask(VAGUE, OTHER_CUSTOMER)
        [answer] = await both.wait_replies(again, 1)
        assert ids.HELPED in verbs(card_of(answer))  # answered, not handed off
        assert card_text(card_of(answer)).split("\n")[0] == sent_text.split("\n")[0]
        assert len(both.slack.calls_to("chat.postMessage")) == 1

    async with open_assistant(settings, embedder=embedder) as assistant:
        [resolution] = await events_of(assistant, Signal.RESOLVE)
        assert (resolution.actor, resolution.role, resolution.account) == (SLACK_AGENT, Role.AGENT, "acme")
        handed = await assistant.get_answer(draft["answer_id"])
    assert handed.text and sent_text.split("\n")[0] == teams_text(handed.text)  # the draft went to Teams


@pytest.mark.slow
async def test_a_teams_follow_up_after_a_handoff_to_slack_is_relayed_under_the_slack_post_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, connector: FakeBotConnector
) -> None:
    settings = settings_for(tmp_path)
    await seeded(settings, embedder)
    async with serving_both(settings, embedder, connector) as both:
        question = await both.ask(VAGUE, CUSTOMER)
        [post] = await both.slack.wait_for(
            "chat.postMessage", timeout=WAIT, where=lambda c: c.args["channel"] == SLACK_HANDOFFS
        )
        await both.wait_replies(question, 1)
        follow_up = both.teams.channel_message(
            CUSTOMER_CHANNEL, CUSTOMER, "It also fails on the mobile app.", thread=question["id"]
        )
        for _ in range(2):  # the connector delivers it twice
            status, _ = await both.to_teams.post(follow_up)
            assert status in (200, 201)
        [relay] = await both.slack.wait_for(
            "chat.postMessage", timeout=WAIT, where=lambda c: c.args.get("thread_ts") == post.response["ts"]
        )
        assert "It also fails on the mobile app." in block_text(relay.args)
        assert "Teams thread" in block_text(relay.args)
        await asyncio.sleep(0.5)
        assert len(both.slack.calls_to("chat.postMessage")) == 2  # the hand-off post and one relay
        assert len(both.teams_replies(question)) == 1  # the customer was told once already
