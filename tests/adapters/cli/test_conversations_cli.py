"""`assistant conversations list|show` on a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.storage.sql.conversations import SqlConversationStore
from assistant.models import utcnow
from assistant.threads import Conversation, ThreadMessage, ThreadState


async def _seed(db: str) -> str:
    store = SqlConversationStore(f"sqlite+aiosqlite:///{db}")
    await store.initialize()
    try:
        acme = await store.open_conversation(
            Conversation.start(platform="slack", channel="C1", thread="1.1", account="acme", asker="U1")
        )
        await store.save_conversation(
            acme.moved(ThreadState.HANDED_OFF, owner="U_AGENT", csat=1).joined("U2")
        )
        await store.open_conversation(
            Conversation.start(platform="teams", channel="19:x", thread="a1", account="globex", asker="U3")
        )
        for n, (text, kind) in enumerate([("How do I export?", "question"), (None, "follow_up")]):
            await store.add_thread_message(
                ThreadMessage(acme.id, f"1.{n}", "U1", "customer", kind, text, utcnow())  # type: ignore[arg-type]
            )
        return acme.id
    finally:
        await store.close()


def test_list_filters_and_show_prints_the_messages(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    acme_id = asyncio.run(_seed(db))
    runner = CliRunner()

    listed = runner.invoke(app, ["conversations", "list", "--db", db])
    assert listed.exit_code == 0, listed.output
    assert len(listed.output.strip().splitlines()) == 2

    handed = runner.invoke(app, ["conversations", "list", "--state", "handed-off", "--db", db])
    assert handed.exit_code == 0, handed.output
    [line] = handed.output.strip().splitlines()
    assert acme_id in line and "owner U_AGENT" in line and "acme" in line and "rated bad" in line

    other = runner.invoke(
        app, ["conversations", "list", "--account", "globex", "--state", "open", "--db", db]
    )
    assert "globex" in other.output and acme_id not in other.output
    none = runner.invoke(app, ["conversations", "list", "--account", "initech", "--db", db])
    assert "No conversations match." in none.output

    bad = runner.invoke(app, ["conversations", "list", "--state", "closed", "--db", db])
    assert bad.exit_code != 0

    shown = runner.invoke(app, ["conversations", "show", acme_id, "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "participants: U1, U2" in shown.output
    assert "How do I export?" in shown.output and "(deleted)" in shown.output

    missing = runner.invoke(app, ["conversations", "show", "conv_nope", "--db", db])
    assert missing.exit_code == 1 and "conv_nope" in missing.output
