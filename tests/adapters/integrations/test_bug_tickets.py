"""Bug reports become tickets in GitHub and Jira, once; new reports comment; a fix closes the loop.

Real pieces throughout: the assistant on SQLite, the insights service finding the bug from
customers' questions, the SQL ledger, and the GitHub and Jira clients talking HTTP to the local
fakes. Lost replies, restarts (a new sync over the same database) and repeated syncs must never
make a second ticket or a second comment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from adapters.integrations.github import GitHubIssues
from adapters.integrations.http import JsonHttp
from adapters.integrations.jira import JiraIssues, adf_text, basic_auth
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.insights import SqlInsightSource
from adapters.storage.sql.integrations_schema import bug_tickets
from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import metadata
from adapters.storage.sql.tickets import SqlTicketLedger
from assistant.config import Settings
from assistant.insights.records import BugReport, BugStatus
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.integrations.bug_tickets import BugTicketSync, Confidence
from assistant.integrations.tickets import Thread, TicketRecord, TicketState
from assistant.models import Question, Signal
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIRST = [
    ("acme", "Export to CSV fails with error 500"),
    ("globex", "CSV export gives a 500 error since this morning"),
    ("acme", "export to csv is broken, error 500"),
]
LATER = [("initech", "The CSV export still fails with a 500 error")]


async def no_sleep(_seconds: float) -> None:
    return None


@dataclass
class RecordingNotifier:
    filed: list[tuple[str, str | None]] = field(default_factory=list)
    fixed: list[tuple[str, list[Thread]]] = field(default_factory=list)

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        self.filed.append((report.id, record.url))

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads: Sequence[Thread], *, tell_customers: bool
    ) -> int:
        self.fixed.append((report.id, list(threads)))
        return len(threads)


@dataclass
class World:
    assistant: Assistant
    service: InsightService
    ledger: SqlTicketLedger
    conversations: SqlConversationStore
    github: FakeGitHub
    jira: FakeJira
    notifier: RecordingNotifier
    clients: list[JsonHttp]

    def sync(
        self, *, timeout: float = 5.0, confidence: Confidence | None = None, auto: float | None = None
    ) -> BugTicketSync:
        """A fresh sync (as after a restart) on the same database and fakes."""
        gh = JsonHttp(
            name="GitHub",
            base_url=self.github.base_url,
            headers={"Authorization": f"Bearer {self.github.token}"},
            sleep=no_sleep,
            timeout=timeout,
        )
        jr = JsonHttp(
            name="Jira",
            base_url=self.jira.base_url,
            headers={"Authorization": basic_auth(self.jira.email, self.jira.token)},
            sleep=no_sleep,
            timeout=timeout,
        )
        self.clients += [gh, jr]
        return BugTicketSync(
            source=self.service.source,
            ledger=self.ledger,
            trackers=[
                GitHubIssues(gh, self.github.repo),
                JiraIssues(jr, site=self.jira.base_url, project="SUP"),
            ],
            notifier=self.notifier,
            threads=self.ledger,
            teacher=self.assistant,
            auto_confidence=auto,
            confidence=confidence,
        )

    async def ask(self, texts: Sequence[tuple[str, str]], start: datetime) -> None:
        for i, (account, text) in enumerate(texts):
            answer = await self.assistant.ask(
                Question(
                    text=text,
                    account=account,
                    channel=f"C-{account}",
                    user="U1",
                    asked_at=start + timedelta(hours=i),
                )
            )
            ts = f"{1772442000 + i + int(start.timestamp()) % 1000}.000100"
            await self.conversations.link_message(
                "slack", f"C-{account}", ts, ts, answer.id, answer.question_id, "question"
            )

    async def bug(self, until: datetime) -> BugReport:
        scan = await self.service.scan_bugs(until=until)
        reports = await self.service.source.bug_reports()
        assert len(reports) == 1, scan
        return reports[0]


@pytest.fixture
async def world(assistant: Assistant, settings: Settings, embedder: Embedder) -> AsyncIterator[World]:
    source = SqlInsightSource(settings.database_url, embedder=embedder)
    ledger = SqlTicketLedger(settings.database_url)
    conversations = SqlConversationStore(settings.database_url)
    await source.initialize()
    await ledger.initialize()
    await conversations.initialize()
    service = InsightService(source=source, settings=InsightSettings(_env_file=None))  # type: ignore[call-arg]
    async with FakeGitHub() as github, FakeJira() as jira:
        state = World(assistant, service, ledger, conversations, github, jira, RecordingNotifier(), [])
        try:
            yield state
        finally:
            for client in state.clients:
                await client.close()
            await conversations.close()
            await ledger.close()
            await source.close()


async def test_migration_0011_matches_the_schema(world: World, settings: Settings) -> None:
    engine = connect(settings.database_url)
    try:
        async with engine.connect() as conn:

            def differences(sync_conn: Connection) -> list[object]:
                context = MigrationContext.configure(
                    sync_conn,
                    opts={"include_name": lambda name, kind, _: kind != "table" or name == "bug_tickets"},
                )
                return [d for d in compare_metadata(context, metadata) if "'bug_tickets'" in repr(d)]

            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()
    assert bug_tickets.name in metadata.tables


async def test_a_confirmed_bug_gets_one_ticket_per_tracker_then_comments(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))

    unlabelled = await world.sync().sync()
    assert unlabelled.created == [] and not world.github.issues and not world.jira.issues

    await world.service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
    first = await world.sync().sync()
    assert len(first.created) == 2, first
    issue = world.github.issues[1]
    assert issue["title"].startswith("[Support] ")
    assert "Reported by customers 3 times" in issue["body"] and "acme, globex" in issue["body"]
    assert "Export to CSV fails with error 500" in issue["body"]
    jira_issue = world.jira.issues["SUP-1"]
    assert "Reported by customers 3 times" in adf_text(jira_issue["fields"]["description"])
    records = {r.tracker: r for r in await world.ledger.tickets()}
    assert (
        records["github"].key == "#1" and records["github"].url == "https://github.com/acme/product/issues/1"
    )
    assert records["jira"].key == "SUP-1" and records["jira"].state is TicketState.OPEN
    assert sorted(url or "" for _, url in world.notifier.filed) == sorted(
        [records["github"].url or "", records["jira"].url or ""]
    )

    again = await world.sync().sync()
    assert again.created == [] and again.commented == []
    assert (
        len(world.github.calls("POST", "/issues")) == 1
        and len(world.jira.calls("POST", "/rest/api/3/issue")) == 1
    )

    await world.ask(LATER, T0 + timedelta(hours=20))
    assert (await world.bug(T0 + timedelta(hours=21))).count == 4
    updated = await world.sync().sync()
    assert len(updated.commented) == 2
    comment = world.github.comments[1][0]["body"]
    assert "now 4 reports (was 3)" in comment and "initech" in comment
    assert "now 4 reports" in adf_text(world.jira.comments["SUP-1"][0]["body"])
    assert (await world.sync().sync()).commented == []
    assert len(world.github.comments[1]) == 1 and len(world.jira.comments["SUP-1"]) == 1


async def test_a_lost_create_reply_is_looked_up_after_a_restart_not_created_twice(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    await world.service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
    world.github.fail_next("POST", "/issues", "lost_reply")
    world.jira.fail_next("POST", "/rest/api/3/issue", "lost_reply")

    lost = await world.sync(timeout=0.5).sync()
    assert len(lost.failed) == 2 and lost.created == []
    assert {r.state for r in await world.ledger.tickets()} == {TicketState.PENDING}
    assert len(world.github.issues) == 1 and len(world.jira.issues) == 1  # they did land

    recovered = await world.sync().sync()  # a new process: only the database remembers
    assert len(recovered.created) == 2
    assert len(world.github.issues) == 1 and len(world.jira.issues) == 1
    assert len(world.github.calls("POST", "/issues")) == 1
    assert {r.key for r in await world.ledger.tickets()} == {"#1", "SUP-1"}


async def test_a_lost_comment_reply_is_not_commented_twice(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    await world.service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
    await world.sync().sync()
    await world.ask(LATER, T0 + timedelta(hours=20))
    await world.bug(T0 + timedelta(hours=21))
    world.github.fail_next("POST", "/comments", "lost_reply")

    failed = await world.sync(timeout=0.5).sync()
    assert len(failed.failed) == 1 and len(failed.commented) == 1  # Jira went through
    assert (await world.ledger.get_ticket(report.id, "github")).pending_count == 4  # type: ignore[union-attr]
    recovered = await world.sync().sync()
    assert recovered.commented == ["github: #1 now 4 reports"]
    assert len(world.github.comments[1]) == 1
    assert len(world.github.calls("POST", "/comments")) == 1


async def test_a_closed_fixed_ticket_tells_the_threads_and_teaches_the_fix(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    await world.service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
    await world.sync().sync()
    assert (await world.sync().sync()).closed == []

    world.github.close(
        1,
        "completed",
        comment="Root cause: the nightly job held a lock on db-7.\n"
        "Resolution: Fixed in 4.2: large exports are streamed now.",
    )
    closed = await world.sync().sync()
    assert closed.closed == ["github: #1 closed (fixed)"]
    assert (
        closed.taught == 4 and closed.notified == 3
    )  # 3 threads; 3 quotes (own accounts) + keywords (global)
    ((bug_id, threads),) = world.notifier.fixed
    assert bug_id == report.id
    assert {(t.channel, t.account) for t in threads} == {("C-acme", "acme"), ("C-globex", "globex")}
    record = await world.ledger.get_ticket(report.id, "github")
    assert record is not None and record.fixed and record.notified and record.taught
    assert record.resolution == "Fixed in 4.2: large exports are streamed now."  # not the internal note

    events = [e for e in await world.assistant.learned(limit=10) if e.actor == "github"]
    assert len(events) == 4 and all(e.signal is Signal.TEACH for e in events)
    assert sorted(str(e.account) for e in events) == ["None", "acme", "acme", "globex"]
    answer = await world.assistant.ask(Question(text="CSV export gives a 500 error", account="umbrella"))
    assert "has been fixed" in answer.text and "Fixed in 4.2" in answer.text
    assert "db-7" not in answer.text

    quiet = await world.sync().sync()
    assert quiet.closed == [] and quiet.taught == 0 and len(world.notifier.fixed) == 1

    world.jira.resolve("SUP-1", "Won't Do")
    wont = await world.sync().sync()
    assert wont.closed == ["jira: SUP-1 closed (not fixed)"] and wont.taught == 0


async def test_a_webhook_checks_just_its_ticket(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    await world.service.label_bug(report.id, BugStatus.BUG, actor="U_ENG")
    sync = world.sync()
    await sync.sync()
    world.jira.resolve("SUP-1", "Done", comment="Deployed the fix.")
    assert (await sync.ticket_changed("jira", "SUP-404")).closed == []
    changed = await sync.ticket_changed("jira", "SUP-1")
    assert changed.closed == ["jira: SUP-1 closed (fixed)"] and changed.taught == 4
    assert (await sync.ticket_changed("jira", "SUP-1")).taught == 0


async def test_auto_filing_above_the_confidence_and_dry_run_sends_nothing(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    assert report.status is BugStatus.OPEN

    async def likely(_: BugReport) -> float:
        return 0.8

    assert (await world.sync(auto=0.9, confidence=likely).sync()).created == []
    dry = await world.sync(auto=0.7, confidence=likely).sync(dry_run=True)
    assert len(dry.planned) == 2 and dry.created == []
    assert world.github.calls("POST") == [] and world.jira.calls("POST") == []
    assert await world.ledger.tickets() == []
    assert len((await world.sync(auto=0.7, confidence=likely).sync()).created) == 2


async def test_not_a_bug_is_never_filed(world: World) -> None:
    await world.ask(FIRST, T0)
    report = await world.bug(T0 + timedelta(hours=3))
    await world.service.label_bug(report.id, BugStatus.NOT_BUG, actor="U_ENG")

    async def certain(_: BugReport) -> float:
        return 1.0

    assert (await world.sync(auto=0.1, confidence=certain).sync()).created == []
    assert world.github.requests == [] and world.jira.requests == []
