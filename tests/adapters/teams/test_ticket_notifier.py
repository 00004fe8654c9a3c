"""A fixed bug reaches the Teams customers who reported it (issue 17), through the real bot's stored
conversation references and the fake Bot Connector: one reply in each reporting thread, in the
assistant's own words, once however often the sync runs; threads of other platforms are left to
their notifier, and with several platforms each tells its own."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from adapters.integrations.notifiers import PlatformFixNotifiers
from adapters.storage.sql.tickets import SqlTicketLedger
from adapters.teams.ticket_notifier import TeamsTicketNotifier
from assistant.insights.records import BugReport
from assistant.integrations.bug_tickets import fix_answer
from assistant.integrations.tickets import Thread, TicketRecord, TicketState
from tests.adapters.teams.conftest import CUSTOMER_CHANNEL, Harness

T = datetime(2026, 11, 2, tzinfo=UTC)
BROKEN = "Export to CSV fails with error 500 since this morning"


def report(question_ids: list[str]) -> BugReport:
    return BugReport(
        id="bug_1",
        title="Export to CSV fails",
        symptom=BROKEN,
        keywords=["csv", "export"],
        examples=[],
        accounts=["acme"],
        first_seen=T,
        last_seen=T,
        question_ids=question_ids,
        signature=np.zeros(3, dtype=np.float32),
    )


RECORD = TicketRecord(
    bug_id="bug_1",
    tracker="github",
    state=TicketState.CLOSED,
    marker="m",
    key="#12",
    fixed=True,
    resolution="Resolution: exports work again after the 11:40 deploy.",
)


class Recording:
    """Another platform's notifier, recording what it was given."""

    def __init__(self) -> None:
        self.given: list[list[Thread]] = []

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        return None

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads, *, tell_customers: bool
    ) -> int:  # type: ignore[no-untyped-def]
        self.given.append(list(threads))
        return 0


async def test_each_reporting_teams_thread_is_told_once(harness: Harness) -> None:
    question = await harness.say(BROKEN)
    link = await harness.conversations.find_link("teams", CUSTOMER_CHANNEL, question["id"])
    assert link is not None and link.kind == "question"
    ledger = SqlTicketLedger(harness.assistant.settings.database_url)
    try:
        threads = await ledger.threads_of([link.question_id])
    finally:
        await ledger.close()
    slack_thread = Thread("slack", "C_ACME", "1700000000.000100", "acme")
    before = len(harness.replies(question))

    teams = TeamsTicketNotifier(messenger=harness.bot.messenger, conversations=harness.conversations)
    other = Recording()
    both = PlatformFixNotifiers({"slack": other, "teams": teams})
    assert (
        await both.bug_fixed(
            report([link.question_id]), RECORD, [*threads, slack_thread], tell_customers=True
        )
        == 1
    )
    assert (
        await both.bug_fixed(report([link.question_id]), RECORD, threads, tell_customers=True) == 0
    )  # a retry
    told = harness.replies(question)[before:]
    assert [posted.text for posted in told] == [fix_answer(RECORD)]
    assert "exports work again" in told[0].text
    assert other.given[0] == [slack_thread]  # Slack gets only its own threads

    await both.bug_fixed(report([link.question_id]), RECORD, threads, tell_customers=False)
    assert other.given[-1] == threads  # agents-only: the reporting platform hears of every thread
