"""Confirmed bug reports become tickets; new reports comment on them; closed tickets close the loop.

``BugTicketSync.sync`` is what the scheduled job, ``assistant integrations sync`` and the
webhooks run (the webhooks only for the ticket they name):

1. **File.** A report an engineer labelled "Bug", or an open one whose messages the classifier
   calls bugs with at least ``auto_confidence`` (when set), gets one ticket per tracker. The
   record is saved as ``pending`` *before* the create is sent; a pending record is first looked
   up in the tracker by its marker, so a lost reply, a crash or a retry never makes two tickets.
2. **Update.** A report counted more often than its ticket says gets a comment with the new
   count and the newest quotes; the count is saved as pending before the comment is sent, and a
   pending comment is looked up by its marker before it is sent again.
3. **Close the loop.** An open ticket found closed as fixed is recorded; the affected customers'
   threads (or the agents) are told, and the fix is taught as a global resolution of the bug's
   questions (attributed to the tracker), so the next asker gets "fixed" at once. Each step is
   flagged when done, so a failure half-way repeats only what is left. Engineers' comments are
   internal: only a closing comment's ``Resolution: …`` line reaches customers.

A tracker that fails is reported and retried next time; it never stops the other trackers or
the answering (the sync runs outside the question path).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol

from assistant.insights.records import BugReport, BugStatus, InsightSource
from assistant.integrations.tickets import (
    ExternalTicket,
    FixNotifier,
    IssueTracker,
    ThreadLocator,
    TicketDraft,
    TicketLedger,
    TicketRecord,
    TicketState,
    TicketStatus,
    TicketSyncReport,
    TrackerError,
)
from assistant.models import LearningEvent, Role, utcnow

log = logging.getLogger(__name__)

NotifyMode = Literal["threads", "agents", "none"]
Confidence = Callable[[BugReport], Awaitable[float]]
TAUGHT_EXAMPLES = 3
QUOTES = 5
QUOTE_CHARS = 300
RESOLUTION_CHARS = 500


class Teacher(Protocol):
    """What learns the fix (``Assistant.teach``)."""

    async def teach(
        self,
        question: str,
        answer: str,
        *,
        actor: str,
        role: Role,
        account: str | None = None,
        private: bool = False,
        resolution_key: str | None = None,
        at: datetime | None = None,
    ) -> LearningEvent: ...


def ticket_marker(bug_id: str) -> str:
    """The marker a bug's ticket carries (a GitHub label filter or Jira label can find it)."""
    return f"support-assistant-{bug_id}"


def comment_marker(bug_id: str, count: int) -> str:
    return f"support-assistant-{bug_id}-count-{count}"


def ticket_draft(report: BugReport, *, label: str) -> TicketDraft:
    """The structured report as a ticket: summary, quotes with links, accounts, first/last seen."""
    lines = [
        f"**Reported by customers {report.count} times** from {len(report.accounts)} account(s), "
        f"first seen {_when(report.first_seen)}, last seen {_when(report.last_seen)}.",
        "",
        "## Symptom",
        report.symptom,
        "",
        "## What customers wrote",
        *_quotes(report),
        "",
        "## Accounts affected",
        ", ".join(report.accounts) or "(none recorded)",
    ]
    if report.keywords:
        lines += ["", f"Keywords: {', '.join(report.keywords)}"]
    lines += ["", f"Found by the support assistant (report {report.id})."]
    return TicketDraft(
        marker=ticket_marker(report.id),
        title=f"[Support] {report.title}",
        body="\n".join(lines),
        labels=(label,) if label else (),
    )


def update_comment(report: BugReport, previous: int) -> str:
    """The comment for new reports of a ticketed bug: the count and the newest quotes."""
    return "\n".join(
        [
            f"**Reported again**: now {report.count} reports (was {previous}) from "
            f"{len(report.accounts)} account(s); last seen {_when(report.last_seen)}.",
            "",
            *_quotes(report),
        ]
    )


def customer_resolution(text: str) -> str:
    """The part of an engineer's closing comment meant for customers: what follows a line that
    starts with ``Resolution:`` (case-insensitive). Anything else on a ticket stays internal."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        head, colon, rest = line.strip().partition(":")
        if colon and head.strip().lower() == "resolution":
            return "\n".join([rest.strip(), *lines[index + 1 :]]).strip()[:RESOLUTION_CHARS]
    return ""


def fix_answer(record: TicketRecord) -> str:
    """What customers are told once the bug is fixed: no other customer's words, only the
    engineers' customer-facing ``Resolution:`` line when there is one."""
    resolution = f" {record.resolution.strip()}" if record.resolution.strip() else ""
    return (
        f"This was a known problem and it has been fixed.{resolution} "
        "If you still see it, reply here and a person will look into it."
    )


class BugTicketSync:
    """Files, updates and closes bug tickets in each configured tracker."""

    def __init__(
        self,
        *,
        source: InsightSource,
        ledger: TicketLedger,
        trackers: Sequence[IssueTracker],
        notifier: FixNotifier | None = None,
        threads: ThreadLocator | None = None,
        teacher: Teacher | None = None,
        notify: NotifyMode = "threads",
        auto_confidence: float | None = None,
        confidence: Confidence | None = None,
        label: str = "support-assistant",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.source = source
        self.ledger = ledger
        self.trackers = {tracker.name: tracker for tracker in trackers}
        self._notifier = notifier
        self._threads = threads
        self._teacher = teacher
        self._notify = notify
        self._auto = auto_confidence
        self._confidence = confidence
        self._label = label
        self._clock = clock

    async def sync(self, *, dry_run: bool = False) -> TicketSyncReport:
        """File and update tickets of eligible reports, then check open tickets for a fix."""
        out = TicketSyncReport()
        if not self.trackers:
            return out
        reports = await self.source.bug_reports(statuses=(BugStatus.OPEN, BugStatus.BUG))
        for report in sorted(reports, key=lambda r: (r.first_seen, r.id)):
            for tracker in self.trackers.values():
                try:
                    await self._file(report, tracker, out, dry_run)
                except TrackerError as exc:
                    await self._failed(report.id, tracker.name, exc, out)
        for record in await self.ledger.tickets(states=(TicketState.OPEN, TicketState.CLOSED)):
            open_tracker = self.trackers.get(record.tracker)
            if open_tracker is None or self._done(record):
                continue
            try:
                await self._close_loop(record, open_tracker, out, dry_run)
            except TrackerError as exc:
                await self._failed(record.bug_id, record.tracker, exc, out)
        return out

    async def ticket_changed(self, tracker_name: str, key: str) -> TicketSyncReport:
        """A webhook said a ticket changed: check that one ticket now (same code as the sync)."""
        out = TicketSyncReport()
        tracker = self.trackers.get(tracker_name)
        record = await self.ledger.find_ticket(tracker_name, key)
        if tracker is None or record is None or self._done(record):
            return out
        await self._close_loop(record, tracker, out, False)
        return out

    # filing and updating

    async def _eligible(self, report: BugReport) -> bool:
        if report.status is BugStatus.BUG:
            return True
        if report.status is not BugStatus.OPEN or self._auto is None or self._confidence is None:
            return False
        return await self._confidence(report) >= self._auto

    async def _file(
        self, report: BugReport, tracker: IssueTracker, out: TicketSyncReport, dry_run: bool
    ) -> None:
        record = await self.ledger.get_ticket(report.id, tracker.name)
        if record is None:
            if not await self._eligible(report):
                return
            if dry_run:
                out.planned.append(f"{tracker.name}: create a ticket for {report.id} ({report.title})")
                return
            record = TicketRecord(
                bug_id=report.id,
                tracker=tracker.name,
                state=TicketState.PENDING,
                marker=ticket_marker(report.id),
                created_at=self._clock(),
            )
            await self._save(record)  # before the create: a lost reply is looked up, not repeated
            await self._create(report, record, tracker, out, lookup=False)
            return
        if record.state is TicketState.PENDING:
            if dry_run:
                out.planned.append(f"{tracker.name}: look up or create the ticket of {report.id}")
                return
            await self._create(report, record, tracker, out, lookup=True)
            return
        if record.state is TicketState.OPEN and report.count > record.reported_count:
            await self._update(report, record, tracker, out, dry_run)

    async def _create(
        self,
        report: BugReport,
        record: TicketRecord,
        tracker: IssueTracker,
        out: TicketSyncReport,
        *,
        lookup: bool,
    ) -> None:
        ticket = await tracker.find(record.marker) if lookup else None
        if ticket is None:
            ticket = await tracker.create(ticket_draft(report, label=self._label))
        self._opened(record, ticket, report.count)
        await self._save(record)
        out.created.append(f"{tracker.name}: {report.id} → {ticket.key} {ticket.url}")
        log.info("bug %s filed as %s %s", report.id, tracker.name, ticket.key)
        if self._notifier is not None:
            try:
                await self._notifier.ticket_filed(report, record)
            except Exception as exc:  # the link in chat is a courtesy; the ticket exists
                log.warning("could not show the ticket of bug %s in chat: %s", report.id, type(exc).__name__)

    async def _update(
        self,
        report: BugReport,
        record: TicketRecord,
        tracker: IssueTracker,
        out: TicketSyncReport,
        dry_run: bool,
    ) -> None:
        ticket = record.ticket
        if ticket is None:
            return
        if dry_run:
            out.planned.append(
                f"{tracker.name}: comment on {ticket.key}: {record.reported_count} → {report.count} reports"
            )
            return
        count = report.count
        marker = comment_marker(report.id, count)
        already = record.pending_count == count and await tracker.has_comment(ticket, marker)
        if not already:
            record.pending_count = count
            await self._save(record)
            body = update_comment(report, record.reported_count)
            await tracker.comment(ticket, body, marker)
        record.reported_count = count
        record.pending_count = None
        await self._save(record)
        out.commented.append(f"{tracker.name}: {ticket.key} now {count} reports")

    # closing the loop

    async def _close_loop(
        self, record: TicketRecord, tracker: IssueTracker, out: TicketSyncReport, dry_run: bool
    ) -> None:
        ticket = record.ticket
        if ticket is None:
            return
        if record.state is TicketState.OPEN:
            status = await tracker.status(ticket)
            if not status.closed:
                return
            if dry_run:
                out.planned.append(f"{tracker.name}: {ticket.key} is closed; tell and teach the fix")
                return
            self._closed(record, status)
            await self._save(record)
            out.closed.append(
                f"{tracker.name}: {ticket.key} closed ({'fixed' if status.fixed else 'not fixed'})"
            )
        if not record.fixed or dry_run:
            return
        report = await self.source.get_bug_report(record.bug_id)
        if report is None:
            return
        if not record.taught:
            out.taught += await self._teach(report, record, tracker.name)
            record.taught = True
            await self._save(record)
        if not record.notified:
            out.notified += await self._tell(report, record)
            record.notified = True
            await self._save(record)

    async def _teach(self, report: BugReport, record: TicketRecord, actor: str) -> int:
        """Each affected account learns the fix on its own customers' words (private to it);
        every other account on the bug's keywords (global), so no customer's words cross over."""
        if self._teacher is None:
            return 0
        answer = fix_answer(record)
        key = f"bug-fixed:{report.id}"
        taught = 0
        by_account: dict[str, list[str]] = {}
        for example in report.examples:
            if example.account:
                by_account.setdefault(example.account, []).append(example.text)
        for account, texts in sorted(by_account.items()):
            for question in list(dict.fromkeys(texts))[:TAUGHT_EXAMPLES]:
                await self._teacher.teach(
                    question,
                    answer,
                    actor=actor,
                    role=Role.AGENT,
                    account=account,
                    private=True,
                    resolution_key=key,
                )
                taught += 1
        if report.keywords:
            await self._teacher.teach(
                " ".join(report.keywords), answer, actor=actor, role=Role.AGENT, resolution_key=key
            )
            taught += 1
        return taught

    async def _tell(self, report: BugReport, record: TicketRecord) -> int:
        if self._notifier is None or self._notify == "none":
            return 0
        threads = await self._threads.threads_of(report.question_ids) if self._threads is not None else []
        return await self._notifier.bug_fixed(
            report, record, threads, tell_customers=self._notify == "threads"
        )

    # records

    def _opened(self, record: TicketRecord, ticket: ExternalTicket, count: int) -> None:
        record.state = TicketState.OPEN
        record.external_id, record.key, record.url = ticket.external_id, ticket.key, ticket.url
        record.reported_count = count
        record.last_error = ""

    @staticmethod
    def _closed(record: TicketRecord, status: TicketStatus) -> None:
        record.state = TicketState.CLOSED
        record.fixed = status.fixed
        record.resolution = customer_resolution(status.resolution) if status.fixed else ""
        record.last_error = ""

    def _done(self, record: TicketRecord) -> bool:
        return record.state is TicketState.CLOSED and (
            not record.fixed or (record.notified and record.taught)
        )

    async def _save(self, record: TicketRecord) -> None:
        record.updated_at = self._clock()
        await self.ledger.save_ticket(record)

    async def _failed(self, bug_id: str, tracker: str, exc: TrackerError, out: TicketSyncReport) -> None:
        out.failed.append(f"{tracker}: {bug_id}: {exc.message}")
        log.warning("%s sync of bug %s failed: %s", tracker, bug_id, exc.message)
        record = await self.ledger.get_ticket(bug_id, tracker)
        if record is not None:
            record.last_error = exc.message[:500]
            await self._save(record)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _quotes(report: BugReport) -> list[str]:
    lines = []
    for example in report.examples[:QUOTES]:
        text = " ".join(example.text.split())[:QUOTE_CHARS]
        who = f"{example.account}, " if example.account else ""
        link = f" ([thread]({example.link}))" if example.link else ""
        lines.append(f"> {text}\n— {who}{_when(example.asked_at)}{link}")
    return lines or ["(no quotes kept)"]
