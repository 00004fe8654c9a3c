"""The console's Conversations page: filters, one conversation with its messages, account scope."""

from __future__ import annotations

from assistant.models import utcnow
from assistant.threads import Conversation, ThreadMessage, ThreadState
from tests.adapters.console.conftest import ACME_TOKEN, Console


async def _seed(console: Console) -> tuple[str, str]:
    store = console.deps.threads
    acme = await store.open_conversation(
        Conversation.start(platform="slack", channel="C1", thread="1.1", account="acme", asker="U_ACME")
    )
    await store.save_conversation(acme.moved(ThreadState.RESOLVED, owner="U_AGENT", csat=3))
    globex = await store.open_conversation(
        Conversation.start(platform="teams", channel="19:g", thread="a1", account="globex", asker="U_GLOBEX")
    )
    await store.add_thread_message(
        ThreadMessage(acme.id, "1.1", "U_ACME", "customer", "question", "<b>Recurring</b> tab?", utcnow())
    )
    await store.add_thread_message(
        ThreadMessage(globex.id, "a1", "U_GLOBEX", "customer", "question", "globex secret plans", utcnow())
    )
    return acme.id, globex.id


async def test_the_list_filters_by_state_and_account_and_a_conversation_shows_its_messages(
    console: Console,
) -> None:
    acme_id, globex_id = await _seed(console)
    client = await console.client()
    try:
        page = await (await client.get("/console/conversations")).text()
        assert acme_id in page and globex_id in page and "Conversations" in page
        handed = await (await client.get("/console/conversations?state=resolved")).text()
        assert acme_id in handed and globex_id not in handed
        globex = await (await client.get("/console/conversations?account=globex")).text()
        assert globex_id in globex and acme_id not in globex
        shown = await (await client.get(f"/console/conversations/{acme_id}")).text()
        assert "&lt;b&gt;Recurring&lt;/b&gt; tab?" in shown  # a customer's words, escaped
        assert "U_AGENT" in shown and "rated great" in shown
        assert (await client.get("/console/conversations/conv_nope")).status == 404
    finally:
        await client.close()


async def test_a_scoped_viewer_sees_only_their_accounts_conversations(console: Console) -> None:
    acme_id, globex_id = await _seed(console)
    client = await console.client(ACME_TOKEN)
    try:
        page = await (await client.get("/console/conversations?account=globex")).text()
        assert acme_id in page and globex_id not in page
        assert (await client.get(f"/console/conversations/{globex_id}")).status == 404
        shown = await (await client.get(f"/console/conversations/{acme_id}")).text()
        assert "globex secret plans" not in shown
    finally:
        await client.close()
