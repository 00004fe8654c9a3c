"""`assistant digest --preview` and `assistant insights ...` on a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from assistant.config import Settings
from assistant.insights.digest import SECTIONS
from assistant.models import Question
from assistant.service import Assistant

LAST = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)


@pytest.fixture
async def db(assistant: Assistant, settings: Settings) -> str:
    """Three weeks of questions ending on LAST, with one bug reported by two accounts."""
    for day in range(21):
        for i, text in enumerate(["How do I add a user?", "Where are my invoices?"]):
            at = LAST - timedelta(days=day, hours=i + 1)
            await assistant.ask(Question(text=text, account=f"acct{(day + i) % 3}", asked_at=at))
    bug = [
        "Export to CSV fails with error 500",
        "CSV export gives a 500 error",
        "export to csv is broken, error 500",
    ]
    for i, text in enumerate(bug):
        await assistant.ask(
            Question(text=text, account=f"acct{i % 2}", asked_at=LAST - timedelta(hours=10 - i))
        )
    return settings.database_url


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("adapters.wiring.build_embedder", lambda settings, **_: embedder)
    runner = CliRunner()

    def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result

    return run


def test_digest_preview_json_has_the_six_sections_of_the_latest_week(cli, db: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("digest", "--preview", "--json", "--db", db).stdout)
    assert tuple(data) == SECTIONS
    assert len(data["bugs"]) == 1 and data["bugs"][0]["count"] == 3 and data["bugs"][0]["stored"] is False
    assert data["learning"]["weeks"][-1]["period"] == "2026-W11"
    assert sum(w["questions"] for w in data["learning"]["weeks"]) == 21 * 2 + 3


def test_digest_preview_text_and_since(cli, db: str) -> None:  # type: ignore[no-untyped-def]
    text = cli("digest", "--preview", "--db", db).stdout
    for heading in (
        "Anomalies",
        "Churn risk",
        "Likely bugs",
        "Feature requests",
        "Knowledge gaps",
        "Learning",
    ):
        assert heading in text
    assert "06 Mar – 12 Mar 2026" in text
    earlier = json.loads(cli("digest", "--preview", "--json", "--since", "2026-02-23", "--db", db).stdout)
    assert earlier["bugs"] == []


def test_digest_needs_preview_and_a_real_date(cli, db: str) -> None:  # type: ignore[no-untyped-def]
    assert "--preview" in cli("digest", "--db", db, code=2).output
    assert (
        "--since takes a date"
        in cli("digest", "--preview", "--since", "last week", "--db", db, code=1).output
    )


def test_insights_lists_and_the_bug_lifecycle(cli, db: str) -> None:  # type: ignore[no-untyped-def]
    for name in ("anomalies", "churn", "requests", "gaps"):
        assert isinstance(json.loads(cli("insights", name, "--json", "--db", db).stdout), list)
    assert "not yet reported" in cli("insights", "bugs", "--db", db).stdout
    saved = cli("insights", "scan-bugs", "--db", db).stdout
    assert saved.startswith("new: bug_")
    bug_id = saved.split()[1]
    assert "no new or updated" in cli("insights", "scan-bugs", "--db", db).stdout
    listed = json.loads(cli("insights", "bugs", "--json", "--db", db).stdout)
    assert [(b["id"], b["stored"]) for b in listed] == [(bug_id, True)]
    assert "not_bug" in cli("insights", "label-bug", bug_id, "not_bug", "--db", db).stdout
    assert json.loads(cli("insights", "bugs", "--json", "--db", db).stdout) == []
    cli("insights", "label-bug", "bug_nope", "bug", "--db", db, code=1)
