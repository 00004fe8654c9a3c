"""Up-to-date and user-specific card views (issue 19.1), through the real Bot Framework stack:

* an ``Action.Execute`` that changes what everyone sees updates the message through the Bot
  Connector (a PUT of the activity), so other agents no longer see "I'll take it" / "Send draft"
  and other people see the verdict; the clicker gets their own view in the invoke response;
* the card everyone sees (customers' view) never carries an agent-only button; its ``refresh``
  (``userIds``: the agents the bot knows) gives agents Approve / Reject / Correct this;
* an agent's Approve / Reject is the calibrated agent signal, once; a customer's "Helpful" stays
  the weak customer signal.
"""

from __future__ import annotations

from adapters.cli.render import learned_text
from adapters.storage.sql.console_queries import ConsoleQueries
from adapters.teams import constants as ids
from adapters.teams import texts
from assistant.models import Role, Signal
from tests.adapters.slack.helpers import events_of
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    HANDOFF_CHANNEL,
    PASSWORD_Q,
    VAGUE,
    Harness,
    card_of,
    card_text,
    verbs,
)
from tests.fakes.bot_activities import person

COLLEAGUE = person("29:agent2", "aad-agent2", "Sam Support")


async def test_taking_a_handoff_updates_the_card_for_every_agent(harness: Harness) -> None:
    harness.connector.add_member(
        COLLEAGUE["id"], aad_object_id=COLLEAGUE["aadObjectId"], tenant_id="tenant-home"
    )
    await harness.say(VAGUE)
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    taken = await harness.click(handoff, ids.TAKE_HANDOFF, user=AGENT)
    assert verbs(taken["value"]) == [ids.SEND_DRAFT]
    [update] = harness.connector.writes("update")
    assert update.id == handoff.id and update.conversation == handoff.conversation
    assert verbs(card_of(update)) == [ids.SEND_DRAFT]  # what a colleague's client shows now
    assert texts.taken_by("Alex Agent") in card_text(card_of(update))

    sent = await harness.click(handoff, ids.SEND_DRAFT, user=COLLEAGUE, shown=card_of(update))
    assert verbs(sent["value"]) == []
    last = harness.connector.writes("update")[-1]
    assert last.id == handoff.id and verbs(card_of(last)) == []
    assert texts.sent_by("Sam Support") in card_text(card_of(last))


async def test_customers_see_their_view_agents_theirs_and_a_verdict_reaches_everyone(
    harness: Harness,
) -> None:
    await harness.view_as_agent_once()
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    base = card_of(answer)
    assert verbs(base) == [ids.HELPED, ids.NOT_HELPED]
    assert base["refresh"]["action"]["verb"] == ids.REFRESH
    assert base["refresh"]["userIds"] == [AGENT["id"]]  # the agents' clients fetch their view
    assert verbs(await harness.view(answer, user=CUSTOMER)) == [ids.HELPED, ids.NOT_HELPED]

    body = await harness.click(answer, ids.HELPED, user=CUSTOMER)
    [update] = harness.connector.writes("update")
    assert update.id == answer.id and body["value"] == card_of(update)
    assert verbs(card_of(update)) == [] and texts.HELPED_THANKS in card_text(card_of(update))
    [helped] = await events_of(harness.assistant, Signal.HELPED)
    assert (helped.actor, helped.role) == ("aad-customer", Role.CUSTOMER)

    # an agent refreshing the updated card sees the verdict and their own buttons
    mine = await harness.view(answer, user=AGENT, shown=card_of(update))
    assert texts.HELPED_THANKS in card_text(mine)
    assert verbs(mine) == [ids.APPROVE, ids.REJECT, ids.CORRECT]


async def test_agents_approve_or_reject_once_and_customers_cannot(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    mine = await harness.view(answer, user=AGENT)
    forged = await harness.click(answer, ids.APPROVE, user=CUSTOMER, shown=mine)
    assert forged["value"] == texts.AGENTS_ONLY

    approved = await harness.click(answer, ids.APPROVE, user=AGENT, shown=mine)
    assert texts.reviewed(True) in card_text(approved["value"])
    assert verbs(approved["value"]) == [ids.CORRECT]
    again = await harness.click(answer, ids.REJECT, user=AGENT, shown=mine)
    assert again["value"] == texts.ALREADY_REVIEWED
    [approval] = await events_of(harness.assistant, Signal.APPROVE)
    assert (approval.actor, approval.role) == ("aad-agent", Role.AGENT)
    assert await events_of(harness.assistant, Signal.REJECT) == []
    assert harness.connector.writes("update") == []  # a review is the agent's own: nobody else's card changes


async def test_assistant_learned_shows_who_by_name(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    await harness.click(answer, ids.APPROVE, user=AGENT)
    queries = ConsoleQueries(harness.assistant.settings.database_url)
    try:
        [entry] = [e for e in await queries.learned() if e.event.signal is Signal.APPROVE]
        assert entry.actor_name == "Alex Agent" and entry.event.actor == "aad-agent"
        assert "Alex Agent <aad-agent> (agent)" in learned_text(entry)
        [found] = await queries.learned(search="Alex Agent")  # found by the name too
        assert found.event.id == entry.event.id
    finally:
        await queries.close()
