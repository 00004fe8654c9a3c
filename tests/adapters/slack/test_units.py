"""The Slack adapter's pure parts, without Slack: text rules, Block Kit, payloads, settings, manifest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.slack import blocks
from adapters.slack import constants as ids
from adapters.slack.payloads import AnswerRef, HandoffRef, UndoRef
from adapters.slack.roles import member_role
from adapters.slack.settings import SlackSettings, load_slack_settings
from adapters.slack.text import (
    neutralise_mentions,
    parse_command,
    parse_teach,
    split_text,
)
from adapters.slack.work import BackgroundWork
from assistant.errors import ConfigurationError, InvalidInputError
from assistant.models import Answer, Decision, ItemKind, Role, SourceRef

MANIFEST = Path(__file__).resolve().parents[3] / "manifests" / "slack" / "manifest.yaml"


def test_mentions_are_neutralised() -> None:
    text = neutralise_mentions("<!channel> <!here|here> <!everyone> <!subteam^S123|@oncall> <@U1>")
    assert "<!" not in text and "@\u200bchannel" in text and "@\u200boncall" in text and "<@U1>" in text


def test_split_text_respects_the_limit_and_prefers_boundaries() -> None:
    text = "\n\n".join(["word " * 500] * 4)
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in pieces) and len(pieces) >= 4
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("x" * 7000, 3000) == ["x" * 3000, "x" * 3000, "x" * 1000]


def test_commands_parse() -> None:
    assert parse_command("  TEACH a | b ") == parse_command("teach a | b")
    assert parse_command("").name == "help"
    args = parse_teach("How? | Like this. --private")
    assert (args.question, args.answer, args.private) == ("How?", "Like this.", True)
    with pytest.raises(InvalidInputError):
        parse_teach("no answer here")


def _answer(text: str, sources: int = 12) -> Answer:
    refs = [SourceRef(f"kn_{i}", f"Doc|{i}>", f"https://kb/{i}", ItemKind.PASSAGE) for i in range(sources)]
    return Answer("ans_1", "q_1", text, Decision.ANSWER, 0.97, "k", [r.item_id for r in refs], refs, "acme")


def test_long_answers_fit_slacks_limits() -> None:
    answer = _answer("<!channel> " + "lorem ipsum " * 20_000)
    message = blocks.answer_message(answer, AnswerRef(answer_id="ans_1", channel="C1", thread_ts="1.0"))
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(message["blocks"]) <= ids.MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= ids.SECTION_TEXT_LIMIT for b in sections)
    assert len(message["text"]) <= ids.MESSAGE_TEXT_LIMIT and "<!channel>" not in str(message)
    assert "<https://kb/0|Doc¦0›>" in str(message)
    ref = HandoffRef(answer_id="ans_1", channel="C1", thread_ts="1.0", handoff_channel="C2", handoff_ts="2.0")
    handoff = blocks.handoff_message(question="q " * 10_000, account="acme", answer=answer, ref=ref)
    assert len(handoff["blocks"]) <= ids.MAX_BLOCKS
    modal = blocks.edit_modal(answer.text, ref)
    assert len(modal["blocks"][0]["element"]["initial_value"]) <= ids.INPUT_LIMIT
    assert len(modal["title"]["text"]) <= 24


def test_payloads_round_trip_and_stale_values_are_none() -> None:
    ref = HandoffRef(answer_id="ans_1", channel="C1", thread_ts="1.0")
    assert HandoffRef.parse(ref.dump()) == ref
    assert UndoRef.parse('{"event_id": "evt_1", "extra": 1}') is None
    assert AnswerRef.parse("not json") is None and AnswerRef.parse(None) is None


def test_member_roles() -> None:
    assert member_role({"id": "U1", "team_id": "T1"}, home_team="T1") is Role.AGENT
    assert member_role({"id": "U2", "team_id": "T2"}, home_team="T1") is Role.CUSTOMER
    assert member_role({"id": "U3", "team_id": "T1", "is_restricted": True}, home_team="T1") is Role.CUSTOMER
    assert member_role({"id": "B1", "team_id": "T1", "is_bot": True}, home_team="T1") is None
    assert member_role({"id": "USLACKBOT", "team_id": "T1"}, home_team="T1") is None


def _settings(**values: object) -> SlackSettings:
    return load_slack_settings(_env_file=None, **values)


def test_settings_modes_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    assert _settings(signing_secret="s", bot_token="xoxb-1").mode == "http"
    assert _settings(app_token="xapp-1", bot_token="xoxb-1").mode == "socket"
    with pytest.raises(ConfigurationError) as missing:
        _ = _settings().mode
    assert "SLACK_BOT_TOKEN: not set" in missing.value.message and "Signing Secret" in missing.value.message
    with pytest.raises(ConfigurationError) as bad:
        _settings(bot_token="xoxp-user", app_token="abc", agent_usergroup="oncall", reject_emoji=" , ")
    message = bad.value.message
    for name in (
        "SLACK_BOT_TOKEN: must be a bot token",
        "SLACK_APP_TOKEN",
        "SLACK_AGENT_USERGROUP",
        "SLACK_REJECT_EMOJI",
    ):
        assert name in message
    assert "xoxp-user" not in message


def test_settings_normalise_the_api_url_and_emoji() -> None:
    assert _settings(api_url="http://127.0.0.1:9/").api_url == "http://127.0.0.1:9/api/"
    assert _settings(api_url="https://slack.com/api").api_url == "https://slack.com/api/"
    assert _settings(approve_emoji=":ok_hand:, +1").approve_names == {"ok_hand", "+1"}
    with pytest.raises(ConfigurationError):
        _settings(api_url="slack.com")


async def test_background_work_drains_nested_tasks_and_counts_failures() -> None:
    work = BackgroundWork()
    done: list[str] = []

    async def inner() -> None:
        await asyncio.sleep(0)
        done.append("inner")

    async def outer() -> None:
        work.spawn(inner(), name="inner")
        done.append("outer")

    async def broken() -> None:
        raise RuntimeError("boom")

    work.spawn(outer(), name="outer")
    work.spawn(broken(), name="broken")
    await work.drain(timeout=5)
    assert sorted(done) == ["inner", "outer"] and work.failures == 1 and work.pending == 0
    await work.close()


def test_the_manifest_declares_what_the_app_uses() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == [ids.COMMAND]
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == (
        "message",
        ids.CORRECT_SHORTCUT,
        "Correct this answer",
    )
    assert features["app_home"]["home_tab_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert {
        "message.channels",
        "message.groups",
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
    } <= set(settings["event_subscriptions"]["bot_events"])
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        "channels:history",
        "groups:history",
        "chat:write",
        "reactions:read",
        "reactions:write",
        "users:read",
        "files:write",  # the digest's chart uploads
    }
    assert needed | {"usergroups:read", "commands", "channels:read", "groups:read"} <= scopes
    for url in (settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]):
        assert url.endswith("/slack/events")
