"""`assistant import-tickets --from …`: helpdesk exports and the Zendesk API become past resolutions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app as cli_app
from assistant.config import Settings
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.assistant.knowledge.test_helpdesk import SECRET, intercom_conversation, zendesk_ticket
from tests.fakes.zendesk_api import FakeZendesk


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> Callable[..., Any]:
    monkeypatch.setattr("adapters.wiring.build_embedder", lambda settings, **_: embedder)
    runner = CliRunner()

    async def run(*args: str, code: int = 0) -> Any:
        result = await asyncio.to_thread(runner.invoke, cli_app, list(args))
        assert result.exit_code == code, result.output
        return result

    return run


async def test_zendesk_api_import_reads_every_page_and_only_public_replies(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, settings: Settings, assistant: Assistant
) -> None:
    tickets = [zendesk_ticket(1), zendesk_ticket(2, "pending"), zendesk_ticket(3, "closed")]
    tickets[2]["comments"][0]["body"] = tickets[2]["comments"][0]["plain_body"] = "Where do I see refunds?"
    db = settings.database_url
    async with FakeZendesk(tickets=tickets) as fake:
        monkeypatch.setenv("ZENDESK_API_URL", fake.base_url)
        monkeypatch.setenv("ZENDESK_API_TOKEN", fake.token)
        fake.fail_next("GET", "/comments.json", "rate_limit", status=429, headers={"Retry-After": "0"})
        done = await cli(
            "import-tickets",
            "--from",
            "zendesk",
            "--subdomain",
            "acme",
            "--email",
            fake.email,
            "--since",
            "2025-01-01",
            "--db",
            db,
        )
        assert "2 resolutions imported from zendesk:acme; 1 tickets skipped" in done.stdout
        export = fake.calls("GET", "/api/v2/incremental/tickets/cursor.json")
        assert [c.query for c in export] == [{"start_time": "1735689600"}, {"cursor": "c2"}]
        assert export[0].headers["Authorization"].startswith("Basic ")
        assert [c.path for c in fake.calls("GET", "/comments.json")].count(
            "/api/v2/tickets/1/comments.json"
        ) == 3  # 429, page 1, page 2
        assert "/api/v2/tickets/2/comments.json" not in [
            c.path for c in fake.requests
        ]  # not resolved: not read

        bad = await cli(
            "import-tickets",
            "--from",
            "zendesk",
            "--subdomain",
            "acme",
            "--token",
            "wrong",
            "--db",
            db,
            code=1,
        )
        assert "401" in bad.output and "wrong" not in bad.output

    learned = await cli("learned", "--json", "--db", db)
    assert SECRET not in learned.stdout
    answer = json.loads(
        (
            await cli(
                "ask", "How can I refund a card payment?", "--account", "zendesk-org:77", "--json", "--db", db
            )
        ).stdout
    )
    assert "Refund and pick the card charge" in answer["text"]


async def test_a_malformed_export_changes_nothing_and_names_its_line(
    cli: Callable[..., Any], settings: Settings, tmp_path: Path, assistant: Assistant
) -> None:
    db = settings.database_url
    broken = intercom_conversation("2")
    del broken["conversation_parts"]
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([intercom_conversation("1"), broken], indent=1), encoding="utf-8")
    before = (await cli("stats", "--json", "--db", db)).stdout
    refused = await cli("import-tickets", str(export), "--from", "intercom", "--db", db, code=1)
    assert "conversations.json:" in refused.output and "no 'conversation_parts'" in refused.output
    assert (await cli("stats", "--json", "--db", db)).stdout == before

    export.write_text(json.dumps([intercom_conversation("1")]), encoding="utf-8")
    done = await cli("import-tickets", str(export), "--from", "intercom", "--global", "--db", db)
    assert "1 resolutions imported from conversations.json; 0 tickets skipped" in done.stdout
