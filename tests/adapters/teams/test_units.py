"""The Teams adapter's pure parts: who is an agent, what an activity is, settings, card payloads."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from adapters.teams import cards
from adapters.teams import constants as ids
from adapters.teams.activities import clean_text, malformed, place_of
from adapters.teams.payloads import ExchangeRef
from adapters.teams.roles import AgentRules, MemberFacts, member_role
from adapters.teams.settings import load_teams_settings
from assistant.errors import ConfigurationError
from assistant.models import Answer, Decision, ItemKind, Role, SourceRef

HOME, ACME = "tenant-home", "tenant-acme"


@pytest.mark.parametrize(
    ("member", "rules", "expected"),
    [
        (MemberFacts("aad-1", is_bot=True), AgentRules(), None),
        # TEAMS_AGENT_IDS: exactly those users, whatever their tenant
        (MemberFacts("AAD-1", ACME), AgentRules(agent_ids=frozenset({"aad-1"})), Role.AGENT),
        (MemberFacts("aad-2", HOME), AgentRules(agent_ids=frozenset({"aad-1"})), Role.CUSTOMER),
        # otherwise: members of the vendor's own tenant who are not guests
        (MemberFacts("aad-1", HOME, "user"), AgentRules(home_tenant=HOME), Role.AGENT),
        (MemberFacts("aad-1", HOME, "guest"), AgentRules(home_tenant=HOME), Role.CUSTOMER),
        (MemberFacts("aad-1", HOME, "anonymous"), AgentRules(home_tenant=HOME), Role.CUSTOMER),
        (MemberFacts("aad-1", ACME, "user"), AgentRules(home_tenant=HOME), Role.CUSTOMER),
        (MemberFacts(None, HOME), AgentRules(home_tenant=HOME), Role.CUSTOMER),
        (
            MemberFacts("aad-1", HOME),
            AgentRules(home_tenant=HOME, customer_tenants=frozenset({HOME})),
            Role.CUSTOMER,
        ),
        # no vendor tenant: the conversation's tenant never makes anyone an agent (a customer's 1:1 chat)
        (MemberFacts("aad-1", HOME, "user"), AgentRules(), Role.CUSTOMER),
        (MemberFacts("aad-1", None, "user"), AgentRules(), Role.CUSTOMER),
        # a single-tenant bot's own tenant wins over the conversation's
        (MemberFacts("aad-1", HOME), AgentRules(home_tenant=ACME), Role.CUSTOMER),
        (MemberFacts("aad-1", ACME), AgentRules(home_tenant=ACME), Role.AGENT),
    ],
)
def test_member_role(member: MemberFacts, rules: AgentRules, expected: Role | None) -> None:
    assert member_role(member, rules, conversation_tenant=HOME) is expected


def test_without_any_tenant_nobody_is_an_agent() -> None:
    assert member_role(MemberFacts("aad-1", None), AgentRules(), conversation_tenant=None) is Role.CUSTOMER


def test_the_bot_refuses_to_start_without_an_explicit_agent_rule() -> None:
    bare = load_teams_settings(_env_file=None, allow_unauthenticated=True)
    with pytest.raises(ConfigurationError, match="TEAMS_AGENT_TENANT_ID"):
        bare.check_agent_rule()
    load_teams_settings(
        _env_file=None, allow_unauthenticated=True, agent_tenant_id="t-home"
    ).check_agent_rule()
    load_teams_settings(_env_file=None, allow_unauthenticated=True, tenant_id="t-home").check_agent_rule()
    load_teams_settings(_env_file=None, allow_unauthenticated=True, agent_ids="aad-1").check_agent_rule()
    assert (
        load_teams_settings(_env_file=None, tenant_id="T-HOME", agent_tenant_id=" ").home_tenant == "t-home"
    )


GOOD: dict[str, Any] = {
    "type": "message",
    "id": "1",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "channelId": "msteams",
    "from": {"id": "29:a"},
    "conversation": {"id": "a:chat"},
    "text": "hi",
}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (GOOD, None),
        ({**GOOD, "type": "typing"}, None),
        ("message", "the body is not a JSON object"),
        ({**GOOD, "type": ""}, "'type' is missing"),
        ({**GOOD, "serviceUrl": "smba.trafficmanager.net"}, "'serviceUrl' is not an http(s) URL"),
        ({**GOOD, "channelId": None}, "'channelId' is missing"),
        ({**GOOD, "conversation": {"id": 7}}, "'conversation.id' is missing"),
        ({**GOOD, "from": "29:a"}, "'from.id' is missing"),
        ({**GOOD, "value": ["yes"]}, "'value' is not an object or a string"),
        ({**GOOD, "type": "invoke"}, "'name' is missing from the invoke"),
    ],
)
def test_malformed(body: object, reason: str | None) -> None:
    assert malformed(body) == reason


def _activity(conversation: dict[str, Any], channel_data: dict[str, Any] | None = None, **extra: Any) -> Any:
    return SimpleNamespace(
        conversation=SimpleNamespace(conversation_type=conversation.get("type"), id=conversation["id"]),
        channel_data=channel_data,
        id=extra.get("id", "5"),
        reply_to_id=extra.get("reply_to_id"),
    )


def test_place_of_a_channel_thread_a_top_level_post_and_a_chat() -> None:
    data = {"channel": {"id": "19:c@thread.tacv2"}, "team": {"id": "19:t"}}
    reply = place_of(_activity({"id": "19:c@thread.tacv2;messageid=1", "type": "channel"}, data, id="9"))
    assert (reply.channel, reply.conversation, reply.thread, reply.personal) == (
        "19:c@thread.tacv2",
        "19:c@thread.tacv2;messageid=1",
        "1",
        False,
    )
    top = place_of(_activity({"id": "19:c@thread.tacv2", "type": "channel"}, data, id="9"))
    assert (top.conversation, top.thread) == ("19:c@thread.tacv2;messageid=9", "9")
    chat = place_of(_activity({"id": "a:1xyz", "type": "personal"}))
    assert (chat.channel, chat.conversation, chat.thread, chat.personal) == (
        "a:1xyz",
        "a:1xyz",
        "a:1xyz",
        True,
    )


def test_clean_text_drops_mentions_and_markup() -> None:
    assert clean_text("<at>Support Assistant</at> How do I <b>reset</b> my password?&nbsp;") == (
        "How do I reset my password?"
    )
    assert clean_text("<p>line one</p><p>line&amp;two</p>") == "line one\nline&two"
    assert clean_text(None) == ""


def test_settings_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
        "MICROSOFT_APP_TYPE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROSOFT_APP_ID", "app")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "singletenant")
    monkeypatch.setenv("TEAMS_AGENT_IDS", "AAD-1, aad-2,")
    settings = load_teams_settings(_env_file=None)
    assert settings.configured and settings.app_type == "SingleTenant"
    assert settings.agent_id_set == {"aad-1", "aad-2"}
    with pytest.raises(ConfigurationError) as error:
        settings.auth_mode  # noqa: B018
    assert (
        "MICROSOFT_APP_PASSWORD" in error.value.message and "MICROSOFT_APP_TENANT_ID" in error.value.message
    )
    monkeypatch.setenv("TEAMS_ALLOW_UNAUTHENTICATED", "1")
    assert load_teams_settings(_env_file=None).auth_mode == "unauthenticated"
    monkeypatch.setenv("TEAMS_OPENID_METADATA_URL", "not a url")
    with pytest.raises(ConfigurationError, match="TEAMS_OPENID_METADATA_URL"):
        load_teams_settings(_env_file=None)


def test_cards_carry_execute_actions_with_a_submit_fallback_and_refs_round_trip() -> None:
    ref = ExchangeRef(answer_id="ans_1", channel="19:c", conversation="19:c;messageid=1", thread="1")
    answer = Answer(
        id="ans_1",
        question_id="q_1",
        text="Use the [Forgot password] link.",
        decision=Decision.ANSWER,
        confidence=0.93,
        resolution_key="k",
        item_ids=["i"],
        sources=[
            SourceRef(
                item_id="i", title="Sign-in [help]", url="https://help.example/sign-in", kind=ItemKind.PASSAGE
            )
        ],
    )
    card = cards.answer_card(answer, ref)
    assert card["version"] == ids.CARD_VERSION
    for action in card["actions"]:
        assert action["type"] == "Action.Execute" and action["fallback"]["type"] == "Action.Submit"
        assert action["fallback"]["data"]["verb"] == action["verb"]
        assert ExchangeRef.parse(action["data"]) == ref == ExchangeRef.parse(action["fallback"]["data"])
    assert "[Sign-in (help)](https://help.example/sign-in)" in card["body"][1]["text"]
    assert ExchangeRef.parse({"ref": {"answer_id": "x"}}) is None
    assert ExchangeRef.parse({"ref": "ans_1"}) is None
