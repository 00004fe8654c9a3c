"""Isolation through the real Slack app: what agents say among themselves (the hand-off discussion
in the internal channel, ``note:`` replies in the customer's thread) is never learned nor used in an
answer, and what an agent answers in one account's thread is not given to another account."""

from __future__ import annotations

import json

from assistant.conversations import ChannelBinding
from assistant.models import ItemStatus
from tests.adapters.slack.conftest import AGENT, HANDOFF_CHANNEL, OTHER_CUSTOMER, Harness
from tests.fakes.slack_requests import reaction_event

VAGUE = "Our nightly export to the data warehouse stopped, what do we do?"
HANDOFF_NOTE = "ACME-SECRET-7f3a is their warehouse password, do not share"
THREAD_NOTE = "note: ACME-SECRET-91c2 is the bucket key on their side"
RESOLUTION = "Re-run the export from Settings > Exports and confirm the warehouse credentials."
GLOBEX_CHANNEL = "C_GLOBEX"
GLOBEX_CUSTOMER = "U_GLOBEX"


async def test_agent_notes_are_never_learned_and_private_answers_stay_private(harness: Harness) -> None:
    harness.fake.add_channel(GLOBEX_CHANNEL, is_ext_shared=True, external_teams=["T_GLOBEX"])
    harness.fake.add_user(GLOBEX_CUSTOMER, team_id="T_GLOBEX", name="globex")
    await harness.conversations.bind_channel(
        ChannelBinding("slack", GLOBEX_CHANNEL, "globex", "customer", HANDOFF_CHANNEL)
    )

    question_ts = await harness.say(VAGUE)
    [handoff] = harness.fake.messages(HANDOFF_CHANNEL)
    # Agents discuss it in the internal channel, then one leaves a note and answers in the thread.
    await harness.say(HANDOFF_NOTE, user=AGENT, channel=HANDOFF_CHANNEL, thread_ts=handoff["ts"])
    await harness.say(THREAD_NOTE, user=AGENT, thread_ts=question_ts)
    resolution_ts = await harness.say(RESOLUTION, user=AGENT, thread_ts=question_ts)
    # a typed reply is a candidate; the agent's ✅ on it teaches it
    await harness.sender.event(reaction_event(AGENT, "white_check_mark", channel="C_ACME", ts=resolution_ts))
    await harness.settle()

    learned = await harness.assistant.store.list_items(status=ItemStatus.ACTIVE, limit=1000)
    texts = json.dumps([(item.text, item.question, item.account) for item in learned])
    assert RESOLUTION.split(" > ")[0] in texts  # the real answer was learned, for acme
    assert "SECRET" not in texts  # neither note was

    again_ts = await harness.say(VAGUE, user=OTHER_CUSTOMER)
    globex_ts = await harness.say(VAGUE, user=GLOBEX_CUSTOMER, channel=GLOBEX_CHANNEL)

    acme_answer = json.dumps(harness.replies(again_ts))
    assert "Re-run the export" in acme_answer
    globex_posts = json.dumps(harness.fake.messages(GLOBEX_CHANNEL, globex_ts))
    assert "Re-run the export" not in globex_posts
    # No post of the bot, in any channel, repeats a note.
    assert "SECRET" not in json.dumps([c.args for c in harness.fake.calls_to("chat.postMessage")])
    # Globex's hand-off draft (seen by agents) does not offer acme's private answer either.
    globex_handoffs = [
        c.args for c in harness.fake.calls_to("chat.postMessage")
        if c.args.get("channel") == HANDOFF_CHANNEL and "globex" in json.dumps(c.args)
    ]  # fmt: skip
    assert globex_handoffs and "Re-run the export" not in json.dumps(globex_handoffs)
