"""The pure parts of the bug-ticket sync: what reaches customers, and the ticket's text."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from assistant.insights.records import BugReport, MessageRef
from assistant.integrations.bug_tickets import customer_resolution, fix_answer, ticket_draft, update_comment
from assistant.integrations.tickets import TicketRecord, TicketState

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def report() -> BugReport:
    examples = [
        MessageRef("q1", "Export to CSV fails with error 500", "acme", T, "https://slack.com/archives/C1/p1"),
        MessageRef("q2", "CSV export gives a 500 error", "globex", T),
    ]
    return BugReport(
        id="bug_1",
        title="Export to CSV fails",
        symptom="Export to CSV fails with error 500",
        keywords=["csv", "export"],
        examples=examples,
        accounts=["acme", "globex"],
        first_seen=T,
        last_seen=T,
        question_ids=["q1", "q2", "q3"],
        signature=np.zeros(3, dtype=np.float32),
    )


def test_only_the_resolution_line_reaches_customers() -> None:
    assert customer_resolution("Root cause: lock on db-7\nResolution: Fixed in 4.2.") == "Fixed in 4.2."
    assert customer_resolution("resolution : streamed exports\nship notes follow") == (
        "streamed exports\nship notes follow"
    )
    assert customer_resolution("Fixed by reverting abc123 on db-7") == ""
    assert customer_resolution("") == ""


def test_the_fix_answer_quotes_no_customer() -> None:
    record = TicketRecord("bug_1", "github", TicketState.CLOSED, "m", resolution="Fixed in 4.2.")
    answer = fix_answer(record)
    assert "Fixed in 4.2." in answer and "CSV" not in answer


def test_the_ticket_carries_the_structured_report() -> None:
    draft = ticket_draft(report(), label="support-assistant")
    assert draft.marker == "support-assistant-bug_1" and draft.labels == ("support-assistant",)
    assert "3 times" in draft.body and "acme, globex" in draft.body
    assert "first seen 2026-03-02 09:00 UTC" in draft.body
    assert "([thread](https://slack.com/archives/C1/p1))" in draft.body
    assert "now 3 reports (was 2)" in update_comment(report(), 2)
