"""Identity decides, not location (issue 14), through the real Bolt app against the fake Slack:

* a member of another company asking in acme's channel is handed off with a notice, never answered
  from acme's knowledge;
* an unmapped Slack Connect channel is bound by itself only when exactly one external organisation
  shares it; with several, nobody is answered until an agent maps it;
* on Enterprise Grid, members of sibling workspaces of the vendor's organisation are agents, and a
  customer's organisation never makes anyone an agent.

``conversations.info`` answers with ``connected_team_ids`` as Slack documents for shared channels.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import texts
from adapters.slack.roles import Members
from assistant.models import Role
from tests.adapters.slack.conftest import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    PASSWORD_Q,
    Harness,
)
from tests.adapters.slack.harness import database_url, running_harness
from tests.adapters.slack.helpers import block_text, teach_prompts
from tests.fakes import FakeSlack

SECRET_Q = "What is our dedicated support phone number?"
SECRET_A = "Acme's dedicated line is +1 555 0100 (ACME-PRIVATE)."
GLOBEX_TEAM = "T_GLOBEX"
GLOBEX_USER = "U_GLOBEX"
DEFAULT_HANDOFF = "C0HANDOFF1"


class GridSlack(FakeSlack):
    """The vendor's app installed on an Enterprise Grid organisation (``auth.test`` says E_HOME)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enterprise_id = "E_HOME"


@pytest.fixture
async def grid(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    async with running_harness(database_url(tmp_path), embedder, fake_slack=GridSlack) as started:
        yield started


@pytest.fixture
async def with_default_handoff(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> AsyncIterator[Harness]:
    """SLACK_HANDOFF_CHANNEL set: where questions from unmapped channels are brought to agents."""
    overrides = {"handoff_channel": DEFAULT_HANDOFF}
    async with running_harness(database_url(tmp_path), embedder, slack_overrides=overrides) as started:
        started.fake.add_channel(DEFAULT_HANDOFF, is_private=True)
        yield started


async def share_acme_channel_with_globex(harness: Harness) -> None:
    """C_ACME now also connects Globex (a second external organisation)."""
    harness.fake.add_user(GLOBEX_USER, team_id=GLOBEX_TEAM, name="globex")
    harness.fake.add_channel(CUSTOMER_CHANNEL, is_ext_shared=True, external_teams=[ACME_TEAM, GLOBEX_TEAM])
    await harness.assistant.teach(
        SECRET_Q, SECRET_A, actor=AGENT, role=Role.AGENT, account="acme", private=True
    )


def everything_posted(harness: Harness) -> str:
    return json.dumps([c.args for c in harness.fake.calls_to("chat.postMessage")])


async def test_a_member_of_another_company_in_acmes_channel_is_handed_off_not_answered(
    harness: Harness,
) -> None:
    await share_acme_channel_with_globex(harness)
    await harness.conversations.set_channel_orgs("slack", CUSTOMER_CHANNEL, [ACME_TEAM])

    ts = await harness.say(SECRET_Q, user=GLOBEX_USER)
    [notice] = harness.replies(ts)
    assert notice["text"] == texts.HANDOFF_NOTICE
    [alert] = harness.fake.messages(HANDOFF_CHANNEL)
    assert f"<@{GLOBEX_USER}>" in alert["text"] and "not mapped" in alert["text"]
    assert "ACME-PRIVATE" not in everything_posted(harness)
    assert (await harness.assistant.store.stats())["questions"] == 0  # not even asked of acme's knowledge

    # acme's own customer in the same channel is answered from acme's knowledge
    mine = await harness.say(SECRET_Q, user=CUSTOMER)
    assert "ACME-PRIVATE" in block_text(harness.replies(mine)[0])

    # the same event delivered again does not hand off twice
    assert len(harness.fake.messages(HANDOFF_CHANNEL)) == 1


async def test_a_mapped_channel_shared_with_several_companies_answers_nobody_until_its_orgs_are_mapped(
    harness: Harness,
) -> None:
    await share_acme_channel_with_globex(harness)
    for user in (CUSTOMER, GLOBEX_USER):
        ts = await harness.say(SECRET_Q, user=user)
        assert [m["text"] for m in harness.replies(ts)] == [texts.HANDOFF_NOTICE]
    assert "ACME-PRIVATE" not in everything_posted(harness)
    assert len(harness.fake.messages(HANDOFF_CHANNEL)) == 2

    await harness.conversations.set_channel_orgs("slack", CUSTOMER_CHANNEL, [ACME_TEAM])
    ts = await harness.say(SECRET_Q, user=CUSTOMER)
    assert "ACME-PRIVATE" in block_text(harness.replies(ts)[0])


async def test_an_unmapped_channel_shared_with_several_companies_is_never_bound_by_guess(
    with_default_handoff: Harness,
) -> None:
    harness = with_default_handoff
    harness.fake.add_user(GLOBEX_USER, team_id=GLOBEX_TEAM, name="globex")
    harness.fake.add_channel("C_MULTI", is_ext_shared=True, external_teams=[ACME_TEAM, GLOBEX_TEAM])
    ts = await harness.say(PASSWORD_Q, user=CUSTOMER, channel="C_MULTI")
    assert await harness.conversations.get_channel("slack", "C_MULTI") is None
    assert [m["text"] for m in harness.replies(ts, "C_MULTI")] == [texts.HANDOFF_NOTICE]
    other = await harness.say(PASSWORD_Q, user=GLOBEX_USER, channel="C_MULTI")
    assert await harness.conversations.get_channel("slack", "C_MULTI") is None
    assert [m["text"] for m in harness.replies(other, "C_MULTI")] == [texts.HANDOFF_NOTICE]
    alerts = [json.dumps(m) for m in harness.fake.messages(DEFAULT_HANDOFF)]
    assert len(alerts) == 2 and all("several organisations" in a and GLOBEX_TEAM in a for a in alerts)


async def test_an_auto_bound_channel_belongs_to_its_one_organisation_only(harness: Harness) -> None:
    harness.fake.add_user(GLOBEX_USER, team_id=GLOBEX_TEAM, name="globex")
    harness.fake.add_channel("C_ONE", is_ext_shared=True, external_teams=[ACME_TEAM])
    await harness.say(PASSWORD_Q, user=CUSTOMER, channel="C_ONE")
    binding = await harness.conversations.get_channel("slack", "C_ONE")
    assert binding is not None and binding.account == f"slack:{ACME_TEAM}"
    assert await harness.conversations.get_channel_orgs("slack", "C_ONE") == {ACME_TEAM}
    await harness.assistant.teach(
        SECRET_Q, SECRET_A, actor=AGENT, role=Role.AGENT, account=f"slack:{ACME_TEAM}", private=True
    )
    # later Globex joins the channel: its members are not the channel's account
    harness.fake.add_channel("C_ONE", is_ext_shared=True, external_teams=[ACME_TEAM, GLOBEX_TEAM])
    ts = await harness.say(SECRET_Q, user=GLOBEX_USER, channel="C_ONE")
    assert [m["text"] for m in harness.replies(ts, "C_ONE")] == [texts.HANDOFF_NOTICE]
    assert "ACME-PRIVATE" not in everything_posted(harness)


async def test_on_enterprise_grid_sibling_workspaces_are_agents_and_customers_never_are(
    grid: Harness,
) -> None:
    harness = grid
    harness.fake.add_user("U_SIBLING", team_id="T_SIBLING", enterprise_id="E_HOME", name="sibling")
    harness.fake.add_user("U_GRIDCUST", team_id="T_ACMEGRID", enterprise_id="E_ACME", name="gridcust")
    harness.fake.add_user("U_GUEST", is_restricted=True)
    members = Members(client=harness.slack.client)
    assert await members.role_of(AGENT) is Role.AGENT
    assert await members.role_of("U_SIBLING") is Role.AGENT
    assert await members.role_of("U_GRIDCUST") is Role.CUSTOMER
    assert await members.role_of("U_GUEST") is Role.CUSTOMER
    assert await members.role_of(CUSTOMER) is Role.CUSTOMER

    # through the app: the sibling workspace's agent teaches like any agent, nothing is answered to it
    question_ts = await harness.say(PASSWORD_Q)
    await harness.say("Use Settings > Security > Reset password.", user="U_SIBLING", thread_ts=question_ts)
    assert len(teach_prompts(harness.fake, "U_SIBLING")) == 1
    await harness.say("How do I reset my password? (testing)", user="U_SIBLING")
    assert len(harness.fake.messages(CUSTOMER_CHANNEL)) == 1  # the app posted the one answer only
