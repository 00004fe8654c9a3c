"""Bug tickets in an engineering tracker (GitHub Issues, Jira): the ports and their data.

The core decides *when* a bug report becomes a ticket, gets a comment or is closed
(``assistant.integrations.bug_tickets``); an ``IssueTracker`` adapter does the HTTP. What links
the two is a ``TicketRecord`` in a ``TicketLedger`` (the store), written *before* the tracker is
called: a create whose reply was lost leaves a ``pending`` record, and the next sync looks the
ticket up by its ``marker`` (written into the ticket) instead of creating a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from assistant.errors import ServiceUnavailableError
from assistant.insights.records import BugReport


class TrackerError(ServiceUnavailableError):
    """A tracker call failed. ``maybe_sent``: the request may have reached the tracker (a
    timeout, a lost reply, a 5xx on a write), so a create must be looked up before it is retried."""

    user_message = "The issue tracker is unavailable."

    def __init__(self, message: str, *, maybe_sent: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.status = status


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """A ticket to create: ``marker`` is unique per bug and is written into the ticket."""

    marker: str
    title: str
    body: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExternalTicket:
    """A ticket in a tracker: its id, its human key (``#12``, ``SUP-7``) and its web address."""

    tracker: str
    external_id: str
    key: str
    url: str


@dataclass(frozen=True, slots=True)
class TicketStatus:
    """Whether a ticket is closed and, if so, whether as fixed and with what resolution text."""

    closed: bool
    fixed: bool = False
    resolution: str = ""
    closed_at: datetime | None = None


class TicketState(StrEnum):
    """A record's life: pending (create sent, id not yet known), open, closed."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(slots=True)
class TicketRecord:
    """What the assistant knows of one bug's ticket in one tracker.

    ``reported_count`` is the report count the ticket says; ``pending_count`` is a count whose
    comment was sent but not confirmed (looked up by its marker before it is sent again).
    ``notified`` and ``taught`` make the closing steps happen once.
    """

    bug_id: str
    tracker: str
    state: TicketState
    marker: str
    external_id: str | None = None
    key: str | None = None
    url: str | None = None
    reported_count: int = 0
    pending_count: int | None = None
    fixed: bool = False
    resolution: str = ""
    notified: bool = False
    taught: bool = False
    last_error: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def ticket(self) -> ExternalTicket | None:
        if self.external_id is None or self.key is None or self.url is None:
            return None
        return ExternalTicket(self.tracker, self.external_id, self.key, self.url)


class IssueTracker(Protocol):
    """One tracker project (a GitHub repository, a Jira project)."""

    name: str

    async def check(self) -> str:
        """Whether the tracker is reachable and usable: a short description, or an error."""
        ...

    async def create(self, draft: TicketDraft) -> ExternalTicket:
        """Create the ticket (one attempt: never retried blindly, see ``TrackerError``)."""
        ...

    async def find(self, marker: str) -> ExternalTicket | None:
        """The ticket carrying ``marker``, if an earlier create reached the tracker."""
        ...

    async def comment(self, ticket: ExternalTicket, body: str, marker: str) -> None:
        """Add a comment carrying ``marker`` (one attempt, like ``create``)."""
        ...

    async def has_comment(self, ticket: ExternalTicket, marker: str) -> bool:
        """Whether a comment carrying ``marker`` is on the ticket (a lost reply's comment)."""
        ...

    async def status(self, ticket: ExternalTicket) -> TicketStatus: ...


class TicketLedger(Protocol):
    """Where ticket records are kept (the app's database); every method is one transaction."""

    async def get_ticket(self, bug_id: str, tracker: str) -> TicketRecord | None: ...

    async def find_ticket(self, tracker: str, key: str) -> TicketRecord | None:
        """The record of a tracker's ticket by key or external id (webhooks)."""
        ...

    async def tickets(self, *, states: Sequence[TicketState] | None = None) -> list[TicketRecord]: ...

    async def save_ticket(self, record: TicketRecord) -> None:
        """Insert or replace the record, keyed by (bug_id, tracker)."""
        ...


@dataclass(frozen=True, slots=True)
class Thread:
    """Where a customer asked: a chat platform's channel and the message starting the thread."""

    platform: str
    channel: str
    ts: str
    account: str | None = None


class FixNotifier(Protocol):
    """Tells people that a bug is fixed: the customers' threads, or the agents."""

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads: Sequence[Thread], *, tell_customers: bool
    ) -> int:
        """Post the news in the customers' ``threads`` (``tell_customers``) or to the agents, with
        the threads to tell; return how many posts were made."""
        ...

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        """Show the ticket's link where the bug report was posted."""
        ...


class ThreadLocator(Protocol):
    """The chat threads in which stored questions were asked."""

    async def threads_of(self, question_ids: Sequence[str]) -> list[Thread]: ...


@dataclass(slots=True)
class TicketSyncReport:
    """What one sync did (or, dry, would do), per bug: lines for the operator."""

    created: list[str] = field(default_factory=list)
    commented: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    notified: int = 0
    taught: int = 0
    failed: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.commented)} updated, {len(self.closed)} closed, "
            f"{self.notified} notified, {self.taught} taught, {len(self.failed)} failed"
        )
