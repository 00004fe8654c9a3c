"""Running the integrations: settings checked at start, signed webhooks, one scheduled sync per
period across instances, and `assistant integrations status|sync [--dry-run]`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from adapters.cli.main import app as cli_app
from adapters.integrations.runner import IntegrationRuntime, open_integrations, run_ticket_sync
from adapters.integrations.settings import IntegrationSettings, load_integration_settings
from adapters.integrations.webhooks import GITHUB_PATH, JIRA_PATH, add_webhook_routes
from adapters.storage.sql.insights import SqlInsightSource
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.insights.records import BugStatus
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.models import Question
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXTS = [
    ("acme", "Export to CSV fails with error 500"),
    ("globex", "CSV export gives a 500 error since this morning"),
    ("acme", "export to csv is broken, error 500"),
]
GITHUB_SECRET = "gh-webhook-secret"
JIRA_SECRET = "jira-webhook-secret"


def insight_settings() -> InsightSettings:
    return InsightSettings(_env_file=None)  # type: ignore[call-arg]


def integration_settings(github: FakeGitHub, jira: FakeJira, **extra: Any) -> IntegrationSettings:
    return IntegrationSettings(
        _env_file=None,  # type: ignore[call-arg]
        assistant_github_repo=github.repo,
        github_token=github.token,
        github_api_url=github.base_url,
        github_webhook_secret=GITHUB_SECRET,
        jira_url=jira.base_url,
        jira_email=jira.email,
        jira_api_token=jira.token,
        assistant_jira_project=jira.project,
        jira_webhook_secret=JIRA_SECRET,
        **extra,
    )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def confirmed_bug(assistant: Assistant, settings: Settings, embedder: Embedder) -> str:
    """A bug three customers reported, labelled "Bug" by an engineer; its id."""
    for i, (account, text) in enumerate(TEXTS):
        await assistant.ask(Question(text=text, account=account, asked_at=T0 + timedelta(hours=i)))
    source = SqlInsightSource(settings.database_url, embedder=embedder)
    await source.initialize()
    try:
        service = InsightService(source=source, settings=insight_settings())
        await service.scan_bugs(until=T0 + timedelta(hours=3))
        (report,) = await source.bug_reports()
        await service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
        return report.id
    finally:
        await source.close()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeGitHub, FakeJira]]:
    async with FakeGitHub() as github, FakeJira() as jira:
        yield github, jira


@pytest.fixture
async def runtime(
    assistant: Assistant,
    settings: Settings,
    embedder: Embedder,
    fakes: tuple[FakeGitHub, FakeJira],
    confirmed_bug: str,
) -> AsyncIterator[IntegrationRuntime]:
    github, jira = fakes
    async with open_integrations(
        settings,
        integration_settings(github, jira),
        insight_settings(),
        embedder=embedder,
        teacher=assistant,
        sleep=no_sleep,
    ) as opened:
        assert opened is not None
        yield opened


# settings


def test_half_configured_integrations_stop_the_start_with_every_problem() -> None:
    with pytest.raises(ConfigurationError) as bad:
        load_integration_settings(
            _env_file=None, assistant_github_repo="acme/product", jira_url="https://acme.atlassian.net"
        )
    message = bad.value.message
    for name in ("GITHUB_TOKEN", "JIRA_EMAIL", "JIRA_API_TOKEN", "ASSISTANT_JIRA_PROJECT"):
        assert name in message
    with pytest.raises(ConfigurationError, match=r"ASSISTANT_GITHUB_REPO: .*not owner/name"):
        load_integration_settings(_env_file=None, assistant_github_repo="just-a-name", github_token="t")
    with pytest.raises(ConfigurationError, match=r"ASSISTANT_JIRA_PROJECT.*project key"):
        load_integration_settings(
            _env_file=None, jira_url="https://x.atlassian.net", assistant_jira_project="my project"
        )
    assert not load_integration_settings(_env_file=None).any_tracker


def test_tokens_are_not_in_the_settings_repr() -> None:
    settings = load_integration_settings(
        _env_file=None, assistant_github_repo="a/b", github_token="ghp_very_secret"
    )
    assert "ghp_very_secret" not in repr(settings) and "ghp_very_secret" not in str(settings.model_dump())


# webhooks


async def serve_webhooks(runtime: IntegrationRuntime) -> TestClient:
    app = web.Application()
    assert add_webhook_routes(app, runtime) == [GITHUB_PATH, JIRA_PATH]
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    return client


async def test_github_webhook_needs_a_valid_signature_then_closes_the_loop(
    runtime: IntegrationRuntime, fakes: tuple[FakeGitHub, FakeJira], assistant: Assistant
) -> None:
    github, _ = fakes
    await run_ticket_sync(runtime)
    github.close(1, "completed", comment="Resolution: fixed in 4.2")
    body = json.dumps(
        {"action": "closed", "issue": {"number": 1}, "repository": {"full_name": github.repo}}
    ).encode()
    client = await serve_webhooks(runtime)
    try:
        before = len(github.requests)
        forged = await client.post(
            GITHUB_PATH,
            data=body,
            headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign("wrong", body)},
        )
        unsigned = await client.post(GITHUB_PATH, data=body, headers={"X-GitHub-Event": "issues"})
        assert (forged.status, unsigned.status) == (401, 401)
        assert len(github.requests) == before  # nothing was read on a forged call
        other = json.dumps(
            {"action": "closed", "issue": {"number": 1}, "repository": {"full_name": "evil/repo"}}
        ).encode()
        ignored = await client.post(
            GITHUB_PATH,
            data=other,
            headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(GITHUB_SECRET, other)},
        )
        assert (await ignored.json())["ignored"] is True
        signed = await client.post(
            GITHUB_PATH,
            data=body,
            headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(GITHUB_SECRET, body)},
        )
        assert signed.status == 202 and (await signed.json())["closed"] == 1
    finally:
        await client.close()
    learned = [e for e in await assistant.learned(limit=20) if e.actor == "github"]
    assert learned


async def test_jira_webhook_verifies_x_hub_signature(
    runtime: IntegrationRuntime, fakes: tuple[FakeGitHub, FakeJira]
) -> None:
    _, jira = fakes
    await run_ticket_sync(runtime)
    jira.resolve("SUP-1", "Done")
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "SUP-1"}}).encode()
    client = await serve_webhooks(runtime)
    try:
        forged = await client.post(
            JIRA_PATH, data=body, headers={"X-Hub-Signature": sign(GITHUB_SECRET, body)}
        )
        assert forged.status == 401
        signed = await client.post(JIRA_PATH, data=body, headers={"X-Hub-Signature": sign(JIRA_SECRET, body)})
        assert signed.status == 202 and (await signed.json())["closed"] == 1
    finally:
        await client.close()
    record = await runtime.ledger.find_ticket("jira", "SUP-1")
    assert record is not None and record.fixed and record.taught


# the scheduled sync


async def test_a_period_is_synced_by_one_instance(
    runtime: IntegrationRuntime, settings: Settings, embedder: Embedder, fakes: tuple[FakeGitHub, FakeJira]
) -> None:
    github, jira = fakes
    async with open_integrations(
        settings,
        integration_settings(github, jira),
        insight_settings(),
        embedder=embedder,
        teacher=None,
        sleep=no_sleep,
    ) as other:
        assert other is not None
        moment = datetime(2026, 3, 2, 12, 3, tzinfo=UTC)
        results = await asyncio.gather(
            run_ticket_sync(runtime, claim_at=moment), run_ticket_sync(other, claim_at=moment)
        )
        assert sorted(r is None for r in results) == [False, True]
        assert len(github.issues) == 1 and len(jira.issues) == 1
        later = await run_ticket_sync(other, claim_at=moment + timedelta(minutes=10))
        assert later is not None and later.created == []


# the CLI


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> Callable[..., Any]:
    monkeypatch.setattr("adapters.wiring.build_embedder", lambda settings, **_: embedder)
    runner = CliRunner()

    async def run(*args: str, code: int = 0) -> Any:
        # in a thread: the command runs its own event loop while the fakes answer on this one
        result = await asyncio.to_thread(runner.invoke, cli_app, list(args))
        assert result.exit_code == code, result.output
        return result

    return run


def set_env(monkeypatch: pytest.MonkeyPatch, github: FakeGitHub, jira: FakeJira) -> None:
    for name, value in {
        "ASSISTANT_GITHUB_REPO": github.repo,
        "GITHUB_TOKEN": github.token,
        "GITHUB_API_URL": github.base_url,
        "JIRA_URL": jira.base_url,
        "JIRA_EMAIL": jira.email,
        "JIRA_API_TOKEN": jira.token,
        "ASSISTANT_JIRA_PROJECT": jira.project,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)


async def test_cli_status_and_sync(
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    fakes: tuple[FakeGitHub, FakeJira],
    confirmed_bug: str,
) -> None:
    github, jira = fakes
    db = settings.database_url
    unconfigured = await cli("integrations", "status", "--db", db)
    assert "github: not configured" in unconfigured.stdout and "jira: not configured" in unconfigured.stdout

    set_env(monkeypatch, github, jira)
    dry = await cli("integrations", "sync", "--dry-run", "--db", db)
    assert "would: github: create a ticket" in dry.stdout and "would: jira: create a ticket" in dry.stdout
    assert "dry run: nothing was sent" in dry.stdout
    assert github.calls("POST") == [] and jira.calls("POST") == []

    done = await cli("integrations", "sync", "--db", db)
    assert "created: github:" in done.stdout and "https://github.com/acme/product/issues/1" in done.stdout
    assert len(github.issues) == 1 and len(jira.issues) == 1

    status = await cli("integrations", "status", "--db", db)
    assert "github: acme/product: private; tickets: 0 pending, 1 open, 0 closed" in status.stdout
    assert "jira: SUP: project SUP (Support); tickets: 0 pending, 1 open, 0 closed" in status.stdout
    assert "last scheduled sync: never" in status.stdout
    assert github.token not in status.stdout + done.stdout and jira.token not in status.stdout + done.stdout

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_revoked")
    broken = await cli("integrations", "status", "--db", db)
    assert "github: acme/product: NOT OK" in broken.stdout and "401" in broken.stdout
    assert "ghp_revoked" not in broken.stdout
