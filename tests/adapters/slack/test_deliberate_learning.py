"""Only agents teach, deliberately, and what one company teaches stays with it: the adversary's
plays through the real Bolt app against the fake Slack Web API (issue 14).

Two customer accounts: ``acme`` (C_ACME, the harness's) and ``globex`` (C_GLOBEX, added here).
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack import constants as ids
from adapters.slack import texts
from assistant.conversations import ChannelBinding
from assistant.models import ItemStatus, Role, Signal
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    VAGUE,
    Harness,
)
from tests.adapters.slack.helpers import block_text, button, events_of, teach_prompts
from tests.fakes.slack_requests import block_actions, reaction_event, view_submission

GLOBEX_CHANNEL = "C_GLOBEX"
GLOBEX_USER = "U_GLOBEX"
CORRECTED = "Go to Settings > Security and press Reset password; the link in the email is valid for an hour."

NOT_ANSWERS = [
    "Let me check with our billing team and get back to you shortly.",
    "Which customer is it for, and do you want the invoices sent automatically or saved as drafts?",
    "Internal note: this customer is on the legacy SSO plan, password resets go through their IT.",
    "*note:* customer asked twice already, the reset link goes to their IT admin.",
    "NOTE - their IT admin resets passwords for them, see ticket 4411.",
    "Nota: el restablecimiento lo hace su equipo de TI.",
    "Je vérifie auprès de l'équipe et je reviens vers vous.",
    "[internal] reset handled by their IT, do not share the admin email.",
]


async def add_globex(harness: Harness) -> None:
    harness.fake.add_user(GLOBEX_USER, team_id="T_GLOBEX", name="globex")
    harness.fake.add_channel(GLOBEX_CHANNEL, is_ext_shared=True, external_teams=["T_GLOBEX"])
    await harness.conversations.bind_channel(
        ChannelBinding("slack", GLOBEX_CHANNEL, "globex", "customer", HANDOFF_CHANNEL)
    )


async def react(
    harness: Harness, user: str, ts: str, *, removed: bool = False, name: str = "white_check_mark"
) -> None:
    event: dict[str, Any] = reaction_event(user, name, channel="C_ACME", ts=ts)
    if removed:
        event["type"] = "reaction_removed"
    status, _, _ = await harness.sender.event(event)
    assert status == 200
    await harness.settle()


async def click_teach(
    harness: Harness, prompt: dict[str, Any], *, user: str = AGENT, everyone: bool = False
) -> None:
    action = ids.TEACH_REPLY_GLOBAL if everyone else ids.TEACH_REPLY
    team = harness.fake.users[user]["team_id"]
    await harness.interact(
        block_actions(
            user=user,
            action_id=action,
            value=button(prompt, action)["value"],
            channel="C_ACME",
            message_ts=harness.ts(),
            response_url=harness.fake.response_url("teach"),
            team_id=team,
        )
    )


def answer_text(harness: Harness, question_ts: str, channel: str = "C_ACME") -> str:
    return "\n".join(block_text(m) or m.get("text", "") for m in harness.replies(question_ts, channel))


@pytest.mark.parametrize("reply", NOT_ANSWERS)
async def test_holding_replies_questions_and_notes_are_never_learned_or_served(
    harness: Harness, reply: str
) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    reply_ts = await harness.say(f"<@{CUSTOMER}> {reply}", user=AGENT, thread_ts=question_ts)
    assert teach_prompts(harness.fake, AGENT) == []  # not even a candidate
    await react(harness, AGENT, reply_ts)  # ✅ on it by the agent, then by the customer
    await react(harness, CUSTOMER, reply_ts)
    assert await events_of(harness.assistant, Signal.CORRECT) == []
    again = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    served = answer_text(harness, again)
    assert PASSWORD_A in served and reply not in served


async def test_a_typed_answer_waits_for_a_deliberate_signal(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say(CORRECTED, user=AGENT, thread_ts=question_ts)
    again = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    assert CORRECTED not in answer_text(harness, again)  # a candidate is not served
    [prompt] = teach_prompts(harness.fake, AGENT)

    # a customer pressing a (forwarded or forged) Teach button teaches nothing
    await click_teach(harness, prompt, user=CUSTOMER)
    assert harness.fake.answered("chat.postEphemeral")[-1].args["text"] == texts.AGENTS_ONLY
    assert await events_of(harness.assistant, Signal.CORRECT) == []

    # double click, then ✅ on the reply too: one lesson
    await click_teach(harness, prompt)
    await click_teach(harness, prompt)
    [candidate] = await harness.conversations.thread_candidates("slack", "C_ACME", question_ts)
    await react(harness, AGENT, candidate.message_ts)
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.account == "acme" and "private to acme" in correction.effect
    assert harness.fake.answered("reactions.add") == []  # the learned mark is opt-in (customers see it)
    later = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    assert CORRECTED in answer_text(harness, later)


async def test_a_private_correction_shadows_the_shared_answer_for_its_account_alone(harness: Harness) -> None:
    await add_globex(harness)
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say(CORRECTED, user=AGENT, thread_ts=question_ts)
    await click_teach(harness, teach_prompts(harness.fake, AGENT)[0])
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.item_id is not None and correction.affected_item_id is not None
    shared = (await harness.assistant.store.get_items([correction.affected_item_id]))[
        correction.affected_item_id
    ]
    assert shared.status is ItemStatus.ACTIVE and shared.account is None  # not superseded for everyone
    assert "no longer given to acme" in correction.effect

    acme = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    assert CORRECTED in answer_text(harness, acme) and PASSWORD_A not in answer_text(harness, acme)
    globex = await harness.say(PASSWORD_Q, user=GLOBEX_USER, channel=GLOBEX_CHANNEL)
    served = answer_text(harness, globex, GLOBEX_CHANNEL)
    assert PASSWORD_A in served and CORRECTED not in served  # still answered, with the shared answer

    # undoing the correction gives acme the shared answer back
    await harness.assistant.forget(correction.id, actor=AGENT, role=correction.role)
    back = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    assert PASSWORD_A in answer_text(harness, back)


async def test_teach_for_everyone_is_the_agents_choice(harness: Harness) -> None:
    await add_globex(harness)
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say(CORRECTED, user=AGENT, thread_ts=question_ts)
    await click_teach(harness, teach_prompts(harness.fake, AGENT)[0], everyone=True)
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert "for everyone" in correction.effect
    globex = await harness.say(PASSWORD_Q, user=GLOBEX_USER, channel=GLOBEX_CHANNEL)
    assert CORRECTED in answer_text(harness, globex, GLOBEX_CHANNEL)


async def test_removing_a_reaction_takes_back_what_it_did(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question_ts)
    await react(harness, AGENT, answer["ts"])
    await react(harness, AGENT, answer["ts"])  # added twice (a retry): counted once
    [approval] = await events_of(harness.assistant, Signal.APPROVE)
    await react(harness, AGENT, answer["ts"], removed=True)
    [undone] = await events_of(harness.assistant, Signal.APPROVE)
    assert undone.id == approval.id and undone.undone_at is not None
    await react(harness, AGENT, answer["ts"], removed=True)  # removed twice: nothing more
    await react(harness, AGENT, answer["ts"])  # added again: counts again
    approvals = await events_of(harness.assistant, Signal.APPROVE)
    assert len(approvals) == 2 and sum(e.undone_at is None for e in approvals) == 1

    # the customer's ✅ on an agent's reply taught it; removing it forgets it
    reply_ts = await harness.say(CORRECTED, user=AGENT, thread_ts=question_ts)
    await react(harness, CUSTOMER, reply_ts)
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.actor == AGENT and correction.undone_at is None
    await react(harness, CUSTOMER, reply_ts, removed=True)
    [correction] = await events_of(harness.assistant, Signal.CORRECT)
    assert correction.undone_at is not None
    again = await harness.say(PASSWORD_Q, user=OTHER_CUSTOMER)
    assert CORRECTED not in answer_text(harness, again) and PASSWORD_A in answer_text(harness, again)
    # and it may be taught again, deliberately
    await click_teach(harness, teach_prompts(harness.fake, AGENT)[0])
    assert len([e for e in await events_of(harness.assistant, Signal.CORRECT) if e.undone_at is None]) == 1


async def test_edit_and_send_with_an_account_line_appended_to_a_long_draft_stays_private(
    harness: Harness,
) -> None:
    await add_globex(harness)
    long_answer = " ".join(["Open Settings, then Security, then Sign-in to review the lock-out policy."] * 40)
    await harness.assistant.teach(VAGUE, long_answer, actor="seed", role=Role.AGENT)
    question_ts = await harness.say(VAGUE)
    handoffs = harness.fake.messages(HANDOFF_CHANNEL)
    if not handoffs:  # answered outright: ask for help to get the hand-off and its draft
        [answer] = harness.replies(question_ts)
        await harness.interact(
            block_actions(
                user=CUSTOMER,
                action_id=ids.NOT_HELPED,
                value=button(answer, ids.NOT_HELPED)["value"],
                channel="C_ACME",
                message_ts=answer["ts"],
                response_url=harness.fake.response_url("nh"),
                team_id="T_ACME",
            )
        )
        handoffs = harness.fake.messages(HANDOFF_CHANNEL)
    handoff = handoffs[-1]
    draft = (await harness.answer_on(HANDOFF_CHANNEL, handoff["ts"])).text
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.EDIT_AND_SEND,
            value=button(handoff, ids.EDIT_AND_SEND)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("edit"),
        )
    )
    modal = harness.fake.answered("views.open")[-1].args["view"]
    edited = draft + "\n\nFor Acme: your SSO admin is jane@acme.example, ask her to unlock you."
    values = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": edited}}}
    await harness.interact(
        view_submission(
            user=AGENT, callback_id=ids.EDIT_VIEW, private_metadata=modal["private_metadata"], values=values
        )
    )
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert "private to acme" in resolution.effect, resolution.effect
    globex = await harness.say(VAGUE, user=GLOBEX_USER, channel=GLOBEX_CHANNEL)
    assert "jane@acme.example" not in str(harness.replies(globex, GLOBEX_CHANNEL))
    assert "jane@acme.example" not in str(harness.fake.messages(HANDOFF_CHANNEL)[-1])


async def test_send_and_teach_an_unchanged_global_draft_is_global(harness: Harness) -> None:
    await harness.say(VAGUE)
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    assert button(handoff, ids.SEND_DRAFT)["text"]["text"] == texts.SEND_DRAFT_BUTTON == "Send and teach"
    await harness.interact(
        block_actions(
            user=AGENT,
            action_id=ids.SEND_DRAFT,
            value=button(handoff, ids.SEND_DRAFT)["value"],
            channel=HANDOFF_CHANNEL,
            message_ts=handoff["ts"],
            response_url=harness.fake.response_url("send"),
        )
    )
    [resolution] = await events_of(harness.assistant, Signal.RESOLVE)
    assert "for everyone" in resolution.effect


async def test_a_double_submitted_correction_form_teaches_once(harness: Harness) -> None:
    question_ts = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question_ts)
    link = await harness.conversations.find_link("slack", "C_ACME", answer["ts"])
    assert link is not None
    from adapters.slack.payloads import HandoffRef

    ref = HandoffRef(answer_id=link.answer_id, channel="C_ACME", thread_ts=question_ts).dump()
    values = {
        ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": CORRECTED}},
        ids.SCOPE_BLOCK: {
            ids.SCOPE_INPUT: {"type": "radio_buttons", "selected_option": {"value": ids.SCOPE_ACCOUNT}}
        },
    }
    for view_id in ("V_FIRST", "V_SECOND"):  # two open copies of the form, both submitted
        payload = view_submission(
            user=AGENT, callback_id=ids.CORRECT_VIEW, private_metadata=ref, values=values
        )
        payload["view"]["id"] = view_id
        await harness.interact(payload)
    assert len(await events_of(harness.assistant, Signal.CORRECT)) == 1
    posted = [m for m in harness.replies(question_ts) if CORRECTED in block_text(m)]
    assert len(posted) == 1
