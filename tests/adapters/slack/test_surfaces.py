"""Reactions, the "Correct this answer" shortcut, the App Home, deletions, Slack Connect and roles."""

from __future__ import annotations

from typing import Any

from adapters.slack import constants as ids
from adapters.slack import texts
from adapters.slack.roles import Members
from assistant.models import Role, Signal
from tests.adapters.slack.conftest import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_Q,
    Harness,
)
from tests.adapters.slack.helpers import block_text, button, events_of
from tests.fakes.slack_requests import (
    block_actions,
    message_shortcut,
    reaction_event,
    view_submission,
)

CORRECTED = "Passwords are managed by your company's Okta: reset it there."


async def test_a_customer_reaction_is_a_weak_signal_counted_once(harness: Harness) -> None:
    ts = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(ts)
    for reaction in ("+1::skin-tone-3", "+1", "tada"):
        await harness.sender.event(reaction_event(CUSTOMER, reaction, channel="C_ACME", ts=answer["ts"]))
    # a reaction on the customer's own question is not about an answer
    await harness.sender.event(reaction_event(CUSTOMER, "x", channel="C_ACME", ts=ts))
    await harness.settle()
    [approval] = await events_of(harness.assistant, Signal.APPROVE)
    assert (approval.actor, approval.role) == (CUSTOMER, Role.CUSTOMER)
    assert await events_of(harness.assistant, Signal.REJECT) == []


async def test_correct_this_answer_opens_a_modal_and_learns_for_everyone(harness: Harness) -> None:
    ts = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(ts)
    shortcut = message_shortcut(
        user=AGENT,
        callback_id=ids.CORRECT_SHORTCUT,
        channel="C_ACME",
        message_ts=answer["ts"],
        text=answer["text"],
        response_url=harness.fake.response_url("shortcut"),
    )
    await harness.interact(shortcut)
    [opened] = harness.fake.answered("views.open")
    modal = opened.args["view"]
    assert modal["callback_id"] == ids.CORRECT_VIEW
    assert modal["blocks"][0]["element"]["initial_value"] == answer["text"]

    values: dict[str, dict[str, Any]] = {
        ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": CORRECTED}},
        ids.SCOPE_BLOCK: {
            ids.SCOPE_INPUT: {"type": "radio_buttons", "selected_option": {"value": ids.SCOPE_EVERYONE}}
        },
    }
    await harness.interact(
        view_submission(
            user=AGENT,
            callback_id=ids.CORRECT_VIEW,
            private_metadata=modal["private_metadata"],
            values=values,
        )
    )
    assert CORRECTED in block_text(harness.replies(ts)[-1])
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert "for everyone" in correction.effect

    # a customer cannot use it, and it does nothing on other messages
    await harness.interact({**shortcut, "user": {"id": CUSTOMER, "team_id": ACME_TEAM}})
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.AGENTS_ONLY
    await harness.interact({**shortcut, "message_ts": ts, "message": {"ts": ts, "text": PASSWORD_Q}})
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.NOT_AN_ANSWER
    assert len(harness.fake.answered("views.open")) == 1


async def test_app_home_shows_the_week_and_undo_republishes(harness: Harness) -> None:
    await harness.say(PASSWORD_Q)
    await harness.sender.event({"type": "app_home_opened", "user": AGENT, "channel": "D1", "tab": "home"})
    await harness.settle()
    [published] = harness.fake.answered("views.publish")
    view = published.args["view"]
    assert published.args["user_id"] == AGENT and view["type"] == "home"
    assert "Auto-resolution" in block_text(view) and "taught a new answer" in block_text(view)

    undo = button(view, ids.UNDO_HOME)
    await harness.interact(
        {
            **block_actions(
                user=AGENT,
                action_id=ids.UNDO_HOME,
                value=undo["value"],
                channel="",
                message_ts="",
                response_url="",
            ),
            "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1", "type": "home"},
        }
    )
    assert len(harness.fake.answered("views.publish")) == 2
    assert any(e.undone_at for e in await harness.assistant.learned(limit=10, include_undone=True))

    await harness.sender.event({"type": "app_home_opened", "user": CUSTOMER, "channel": "D2", "tab": "home"})
    await harness.settle()
    assert "Undo" not in str(harness.fake.answered("views.publish")[-1].args["view"])


async def test_a_deleted_question_loses_its_text(harness: Harness) -> None:
    ts = await harness.say(PASSWORD_Q)
    await harness.sender.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C_ACME",
            "hidden": True,
            "deleted_ts": ts,
            "ts": harness.ts(),
            "event_ts": harness.ts(),
            "previous_message": {"type": "message", "user": CUSTOMER, "text": PASSWORD_Q, "ts": ts},
        }
    )
    await harness.settle()
    stored = await harness.assistant.store.find_question_by_external_id(f"slack:C_ACME:{ts}")
    assert stored is not None and stored.deleted and not stored.text


async def test_an_unmapped_slack_connect_channel_belongs_to_the_partner_organisation(
    harness: Harness,
) -> None:
    harness.fake.add_channel("C_NEW", is_ext_shared=True, external_teams=[ACME_TEAM])
    harness.fake.add_channel("C_INTERNAL_UNMAPPED")
    ts = await harness.say(PASSWORD_Q, channel="C_NEW")
    assert len(harness.fake.messages("C_NEW", ts)) == 1
    binding = await harness.conversations.get_channel("slack", "C_NEW")
    assert binding is not None and binding.account == f"slack:{ACME_TEAM}" and binding.kind == "customer"

    await harness.say(PASSWORD_Q, channel="C_INTERNAL_UNMAPPED")
    await harness.say(PASSWORD_Q, channel=HANDOFF_CHANNEL)
    assert harness.fake.messages("C_INTERNAL_UNMAPPED") == []
    assert harness.fake.messages(HANDOFF_CHANNEL) == []


async def test_only_agents_use_the_handoff_buttons(harness: Harness) -> None:
    await harness.say("I can't get into my account anymore, the login keeps failing")
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    await harness.interact(
        block_actions(
            user=OTHER_CUSTOMER,
            action_id=ids.SEND_DRAFT,
            value=button(handoff, ids.SEND_DRAFT)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("x"),
            team_id=ACME_TEAM,
        )
    )
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.AGENTS_ONLY
    assert await events_of(harness.assistant, Signal.RESOLVE) == []


async def test_with_an_agent_user_group_only_its_members_are_agents(harness: Harness) -> None:
    harness.fake.add_user("U_SALES")
    harness.fake.add_user("U_GUEST", is_restricted=True)
    harness.fake.add_usergroup("S_SUPPORT", [AGENT])
    members = Members(client=harness.slack.client, agent_usergroup="S_SUPPORT")
    assert await members.role_of(AGENT) is Role.AGENT
    assert await members.role_of("U_SALES") is Role.CUSTOMER
    assert await members.role_of(CUSTOMER) is Role.CUSTOMER
    assert await members.role_of(harness.fake.bot_user_id) is None
    assert await members.role_of("U_UNKNOWN") is None
    plain = Members(client=harness.slack.client)
    assert await plain.role_of("U_SALES") is Role.AGENT
    assert await plain.role_of("U_GUEST") is Role.CUSTOMER
    # cached: one usergroups.users.list and one users.info per member
    assert len(harness.fake.calls_to("usergroups.users.list")) == 1
