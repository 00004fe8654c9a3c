"""Reply chains as conversations on the real Bot Framework stack against the fake Bot Connector:
follow-ups are answered in context or handed off with the customer told; while a person owns the
conversation they are relayed, once, to its hand-off thread; a roster that fails is retried and
then handed to people, never a silent "done"."""

from __future__ import annotations

from pathlib import Path

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.teams import texts
from assistant.threads import ThreadState
from tests.adapters.teams.conftest import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    VAGUE,
    Harness,
    card_of,
    card_text,
    settings_for,
)
from tests.adapters.teams.test_inbox import flaky_bot, flaky_connector, inbox_status, key_of, wait_status

INVOICES_Q = "Where can I download my invoices?"
VAGUE_FOLLOW_UP = "and where can I download the older ones?"
FOLLOW_UP = "I tried that and it still says error 401, what else can I do?"


def relays(harness: Harness) -> list[str]:
    return [p.text for p in harness.connector.posted if p.text.startswith("💬")]


async def test_a_follow_up_is_answered_in_the_context_of_the_reply_chain(harness: Harness) -> None:
    question = await harness.say(INVOICES_Q)
    await harness.say(VAGUE_FOLLOW_UP, thread=question["id"])
    first, follow_up = harness.replies(question)
    assert "Invoices are under Settings" in card_text(card_of(first))
    assert "Invoices are under Settings" in card_text(card_of(follow_up))
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.state is ThreadState.ANSWERED
    kinds = [(m.speaker, m.kind) for m in await harness.conversations.thread_messages(conversation.id)]
    assert kinds == [
        ("customer", "question"),
        ("assistant", "answer"),
        ("customer", "follow_up"),
        ("assistant", "answer"),
    ]


async def test_a_follow_up_nothing_answers_is_handed_off_and_the_customer_told(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    await harness.say(FOLLOW_UP, thread=question["id"])
    answer, notice = harness.replies(question)
    assert PASSWORD_A in card_text(card_of(answer)) and notice.text == texts.FOLLOW_UP_HANDOFF
    [card] = harness.connector.threads_started(HANDOFF_CHANNEL)
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.state is ThreadState.HANDED_OFF
    assert conversation.handoff_post == card.conversation


async def test_messages_after_a_handoff_are_relayed_once_to_its_thread(harness: Harness) -> None:
    question = await harness.say(VAGUE)
    [card] = harness.connector.threads_started(HANDOFF_CHANNEL)
    follow_up = await harness.say(FOLLOW_UP, thread=question["id"])
    [relay] = [p for p in harness.connector.in_thread(card.conversation) if p.text.startswith("💬")]
    assert FOLLOW_UP in relay.text
    assert len(harness.replies(question)) == 1  # told once already: no second notice

    status, _ = await harness.post(follow_up)  # the connector delivers the same activity again
    assert status in (200, 201)
    await harness.say("Same here, I can't log in either.", user=OTHER_CUSTOMER, thread=question["id"])
    await harness.say("thanks!", thread=question["id"])  # small talk reaches the person who owns it
    assert len(relays(harness)) == 3
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and len(conversation.participants) == 2


async def test_an_agents_reply_in_the_chain_makes_them_the_owner(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    await harness.say("Let me check that for you.", user=AGENT, thread=question["id"])
    assert len(harness.replies(question)) == 1  # nothing answered the agent
    await harness.say(FOLLOW_UP, thread=question["id"])
    assert len(harness.replies(question)) == 1  # the bot does not answer over the agent
    [relay] = relays(harness)
    assert FOLLOW_UP in relay
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.owner == "aad-agent"
    assert conversation.state is ThreadState.HANDED_OFF


async def test_a_roster_failure_is_retried_not_dropped_and_not_cached(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with flaky_connector() as connector, flaky_bot(settings_for(tmp_path), embedder, connector) as bot:
        connector.roster_failures = 1_000  # the SDK's own retries of the lookup all fail
        asked = await bot.say(PASSWORD_Q)
        assert bot.replies(asked) == []
        assert bot.bot.work.failures == 1  # RetryLater: left to the sweep, not marked done
        assert (await inbox_status(bot, key_of(asked)))[0] == "pending"
        connector.roster_failures = 0
        bot.bot.start()
        assert await wait_status(bot, key_of(asked), "done") == 2
        [answer] = bot.replies(asked)
        assert PASSWORD_A in card_text(card_of(answer))


async def test_a_roster_that_keeps_failing_hands_the_message_to_people(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with (
        flaky_connector() as connector,
        flaky_bot(settings_for(tmp_path), embedder, connector, inbox_max_attempts=2) as bot,
    ):
        connector.roster_failures = 1_000
        asked = await bot.say(PASSWORD_Q)
        bot.bot.start()
        assert await wait_status(bot, key_of(asked), "failed") == 3
        [alert] = [p for p in connector.threads_started(HANDOFF_CHANNEL) if "could not answer" in p.text]
        assert PASSWORD_Q in alert.text
        connector.roster_failures = 0
        again = await bot.say(INVOICES_Q)  # the failure was not cached: the next question is answered
        [answer] = bot.replies(again)
        assert "Invoices are under Settings" in card_text(card_of(answer))


async def test_a_member_the_roster_does_not_know_is_ignored_not_retried(harness: Harness) -> None:
    from tests.fakes.bot_activities import person

    stranger = person("29:stranger", "aad-stranger", "Sam Stranger")
    asked = await harness.say(PASSWORD_Q, user=stranger)
    assert harness.replies(asked) == []
    assert harness.bot.work.failures == 0  # a 404 is an answer (no role), not an outage


async def test_edits_and_deletions_update_the_conversation(harness: Harness) -> None:
    question = await harness.say(PASSWORD_Q)
    follow_up = await harness.say("thanks, that worked", thread=question["id"])
    status, _ = await harness.post(harness.teams.message_edit(follow_up, "thanks, that worked perfectly"))
    assert status in (200, 201)
    status, _ = await harness.post(harness.teams.message_delete(question))
    assert status in (200, 201)
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None
    texts_by_id = {m.message_id: m.text for m in await harness.conversations.thread_messages(conversation.id)}
    assert texts_by_id[question["id"]] is None
    assert texts_by_id[follow_up["id"]] == "thanks, that worked perfectly"
    [answer] = harness.replies(question)
    stored = await harness.answer_on(answer)
    asked = await harness.assistant.get_question(stored.question_id)
    assert asked is not None and asked.deleted  # a deleted question is forgotten


async def test_a_handed_off_conversation_waiting_too_long_is_reminded_in_its_thread(harness: Harness) -> None:
    from datetime import timedelta

    from assistant.models import utcnow

    await harness.say(VAGUE)
    [card] = harness.connector.threads_started(HANDOFF_CHANNEL)
    assert await harness.bot.reminders.check(now=utcnow() + timedelta(hours=4, minutes=1)) == 1
    assert await harness.bot.reminders.check(now=utcnow() + timedelta(hours=5)) == 0
    [reminder] = [p for p in harness.connector.in_thread(card.conversation) if p.text.startswith("⏰")]
    assert "4 h" in reminder.text


async def test_the_handoff_card_names_account_and_asker_and_opens_the_thread(harness: Harness) -> None:
    from adapters.integrations.account_file import FileAccountContext

    harness.bot.deps.threads.accounts = FileAccountContext(
        Path(__file__).parents[3] / "samples" / "accounts.yaml"
    )
    question = await harness.say(VAGUE)
    [posted] = harness.connector.threads_started(HANDOFF_CHANNEL)
    card = card_of(posted.activity["attachments"][0]["content"])
    shown = card_text(card)
    assert "Acme Corp" in shown and "Asked by Casey Customer" in shown
    [opens] = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert question["id"] in opens["url"] and opens["url"].startswith("https://teams.microsoft.com/")


async def test_a_follow_up_in_a_one_to_one_chat_is_answered_in_its_context(harness: Harness) -> None:
    chat = "a:1-casey-chat"
    for text in (INVOICES_Q, VAGUE_FOLLOW_UP):
        status, _ = await harness.post(harness.teams.personal_message(CUSTOMER, text, chat=chat))
        assert status in (200, 201)
    first, follow_up = harness.connector.in_thread(chat)
    assert all("Invoices are under Settings" in card_text(card_of(p)) for p in (first, follow_up))
    conversation = await harness.conversations.get_conversation("teams", chat, chat)
    assert conversation is not None and conversation.state is ThreadState.ANSWERED


async def test_an_agents_reply_under_the_handoff_card_is_sent_to_the_customer_once(harness: Harness) -> None:
    from adapters.teams import constants as ids

    question = await harness.say(VAGUE)
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    reply = "Your account was locked after too many attempts; I've unlocked it, please try again."
    await harness.say(reply, user=AGENT, channel=HANDOFF_CHANNEL, thread=handoff.id)
    assert len(harness.replies(question)) == 1  # stays internal until the agent says so
    [offer] = [p for p in harness.connector.in_thread(handoff.conversation) if p.card is not None]

    refused = await harness.click(offer, ids.SEND_TO_CUSTOMER, user=CUSTOMER)
    assert refused["value"] == texts.AGENTS_ONLY
    sent = await harness.click(offer, ids.SEND_TO_CUSTOMER, user=AGENT)
    assert "sent this reply" in card_text(sent["value"])
    again = await harness.click(offer, ids.SEND_TO_CUSTOMER, user=AGENT)
    assert again["value"] == texts.ALREADY_HANDLED
    notice, forwarded = harness.replies(question)
    assert notice.text == texts.HANDOFF_NOTICE and "unlocked it" in card_text(card_of(forwarded))
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.state is ThreadState.WAITING_ON_CUSTOMER
    assert conversation.owner == "aad-agent"


async def test_resolving_asks_the_customer_for_a_rating_kept_once(harness: Harness) -> None:
    from adapters.teams import constants as ids
    from assistant.models import Role, Signal
    from tests.adapters.slack.helpers import events_of

    question = await harness.say(VAGUE)
    [handoff] = harness.connector.threads_started(HANDOFF_CHANNEL)
    await harness.click(handoff, ids.TAKE_HANDOFF, user=AGENT)
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.owner == "aad-agent"
    await harness.click(handoff, ids.SEND_DRAFT, user=AGENT)
    rating = harness.replies(question)[-1]
    assert card_text(card_of(rating)) == texts.CSAT_QUESTION
    great = next(a for a in card_of(rating)["actions"] if a["data"].get(ids.CSAT_KEY) == 3)

    async def rate(user: dict[str, object]) -> dict[str, object]:
        activity = harness.teams.card_action(
            user,
            great,
            conversation=rating.conversation,
            card_id=rating.id,
            channel=CUSTOMER_CHANNEL,
        )
        status, body = await harness.post(activity)
        assert status == 200
        return dict(body)

    assert (await rate(AGENT))["value"] == texts.CUSTOMERS_ONLY
    assert "Thanks for your rating" in card_text((await rate(CUSTOMER))["value"])  # type: ignore[arg-type]
    assert (await rate(CUSTOMER))["value"] == texts.ALREADY_RATED
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and (conversation.state, conversation.csat) == (ThreadState.RESOLVED, 3)
    [helped] = await events_of(harness.assistant, Signal.HELPED)
    assert helped.role is Role.CUSTOMER


async def test_helpful_from_the_customer_resolves_a_conversation_nobody_owns(harness: Harness) -> None:
    from adapters.teams import constants as ids

    question = await harness.say(PASSWORD_Q)
    [answer] = harness.replies(question)
    await harness.click(answer, ids.HELPED, user=CUSTOMER)
    conversation = await harness.conversations.get_conversation("teams", CUSTOMER_CHANNEL, question["id"])
    assert conversation is not None and conversation.state is ThreadState.RESOLVED
