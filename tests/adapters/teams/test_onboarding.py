"""Teams onboarding (issue 19.3, 19.4), through the real Bot Framework stack: a welcome when the app
is installed (once, however many activities Teams sends), hand-offs and digests that reach a channel
of a team the app was installed in but never messaged (a new conversation created with the
installation's service URL, never through a customer's conversation), and an uninstall that
deletes the conversation references stored there.
"""

from __future__ import annotations

from adapters.teams import texts
from adapters.teams.digest_cards import anomalies_card
from assistant.conversations import ChannelBinding
from assistant.errors import NotFoundError
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    HOME_TENANT,
    PASSWORD_Q,
    VAGUE,
    Harness,
    card_text,
)

NEVER_MESSAGED = "19:escalations@thread.tacv2"
DIGESTS = "19:digests@thread.tacv2"


async def forget_installations(harness: Harness) -> None:
    """As on a database from before the app was installed: no installation stored."""
    for key in (f"installed:{HOME_TENANT}", "latest-install"):
        await harness.conversations.forget_references("teams", key)


async def test_installing_in_a_team_welcomes_once_with_how_to_map(harness: Harness) -> None:
    install = harness.teams.installation(AGENT, "add", channel=NEVER_MESSAGED)
    status, _ = await harness.post(install)
    assert status in (200, 201)
    added = harness.teams.bot_added(harness.teams.team_id, AGENT)  # Teams sends both
    await harness.post(added)
    [welcome] = harness.connector.in_thread(harness.teams.team_id)
    assert welcome.conversation == harness.teams.team_id  # the team's General channel
    assert welcome.text == texts.welcome_team(harness.teams.team_id)
    assert f"assistant channels set '{harness.teams.team_id}'" in welcome.text


async def test_installing_in_a_personal_chat_says_how_to_ask(harness: Harness) -> None:
    await harness.post(harness.teams.installation(CUSTOMER, "add", chat="a:1-new"))
    await harness.post(harness.teams.chat_added(CUSTOMER, chat="a:1-new"))
    [welcome] = harness.connector.in_thread("a:1-new")
    assert welcome.text == texts.WELCOME_PERSONAL


async def test_a_handoff_reaches_a_channel_the_app_was_installed_in_but_never_messaged(
    harness: Harness,
) -> None:
    await harness.conversations.bind_channel(
        ChannelBinding("teams", CUSTOMER_CHANNEL, "acme", "customer", NEVER_MESSAGED)
    )
    await forget_installations(harness)
    await harness.say(VAGUE)  # nowhere to create the thread: no fallback to the customer's conversation
    assert harness.connector.threads_started(NEVER_MESSAGED) == []
    assert harness.connector.writes("create") == []

    install = harness.teams.installation(AGENT, "add", channel=HANDOFF_CHANNEL)
    await harness.post(install)
    await harness.say(VAGUE, user=CUSTOMER)
    [handoff] = harness.connector.threads_started(NEVER_MESSAGED)
    assert VAGUE in card_text(handoff.card or {})
    assert handoff.conversation.startswith(f"{NEVER_MESSAGED};messageid=")


async def test_a_digest_reaches_a_channel_the_app_was_installed_in_but_never_messaged(
    harness: Harness,
) -> None:
    await forget_installations(harness)
    try:
        await harness.bot.post_card(DIGESTS, anomalies_card([]), "digest")
    except NotFoundError:
        pass
    else:
        raise AssertionError("posted without knowing where the tenant's channels are")
    await harness.post(harness.teams.installation(AGENT, "add", channel=HANDOFF_CHANNEL))
    sent = await harness.bot.post_card(DIGESTS, anomalies_card([]), "digest")
    [thread] = harness.connector.threads_started(DIGESTS)
    assert sent.conversation == thread.conversation


async def test_uninstalling_deletes_the_references_stored_there(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    thread = question["conversation"]["id"]
    conversations = harness.conversations
    assert await conversations.get_reference("teams", thread) is not None
    assert await conversations.get_reference("teams", CUSTOMER_CHANNEL) is not None
    await harness.post(harness.teams.personal_message(CUSTOMER, PASSWORD_Q, chat="a:1-mine"))
    await harness.post(harness.teams.installation(AGENT, "add", channel=HANDOFF_CHANNEL))

    removed = harness.teams.installation(AGENT, "remove", channel=HANDOFF_CHANNEL)
    status, _ = await harness.post(removed)
    assert status in (200, 201)
    for key in (thread, CUSTOMER_CHANNEL, HANDOFF_CHANNEL, f"installed:{HOME_TENANT}"):
        assert await conversations.get_reference("teams", key) is None, key
    assert await conversations.get_reference("teams", "a:1-mine") is not None  # another install

    await harness.post(harness.teams.installation(CUSTOMER, "remove", chat="a:1-mine"))
    assert await conversations.get_reference("teams", "a:1-mine") is None
