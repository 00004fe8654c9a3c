"""Helpdesk exports (Zendesk, Intercom, Freshdesk) in the vendors' documented shapes.

Each export plants a private note that must never become a question or an answer, unresolved
tickets that must be skipped, and a malformed variant that must be refused at its line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge.helpdesk import parse_helpdesk_file

SECRET = "internal: customer is on the legacy cluster db-7"


def zendesk_ticket(ticket_id: int, status: str = "solved", **extra: Any) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "subject": "Refund a card payment",
        "description": "How do I refund a card payment?",
        "status": status,
        "requester_id": 501,
        "submitter_id": 501,
        "assignee_id": 9,
        "organization_id": 77,
        "created_at": "2025-05-01T10:00:00Z",
        "updated_at": "2025-05-02T10:00:00Z",
        "comments": [
            {
                "id": 1,
                "type": "Comment",
                "author_id": 501,
                "body": "How do I refund a card payment?",
                "html_body": "<p>How do I refund a card payment?</p>",
                "plain_body": "How do I refund a card payment?",
                "public": True,
                "created_at": "2025-05-01T10:00:00Z",
            },
            {
                "id": 2,
                "type": "Comment",
                "author_id": 9,
                "body": SECRET,
                "html_body": f"<p>{SECRET}</p>",
                "plain_body": SECRET,
                "public": False,
                "created_at": "2025-05-01T11:00:00Z",
            },
            {
                "id": 3,
                "type": "Comment",
                "author_id": 9,
                "body": "Open Payments > Refund and pick the card charge.",
                "html_body": "<p>Open Payments &gt; Refund and pick the card charge.</p>",
                "plain_body": "Open Payments > Refund and pick the card charge.",
                "public": True,
                "created_at": "2025-05-01T12:00:00Z",
            },
            {
                "id": 4,
                "type": "Comment",
                "author_id": 9,
                "body": f"note to self: {SECRET}",
                "public": False,
                "created_at": "2025-05-01T12:05:00Z",
            },
        ],
        **extra,
    }


def intercom_conversation(conv_id: str, state: str = "closed") -> dict[str, Any]:
    return {
        "type": "conversation",
        "id": conv_id,
        "created_at": 1746093600,
        "state": state,
        "open": state != "closed",
        "source": {
            "type": "conversation",
            "id": "403918330",
            "delivered_as": "customer_initiated",
            "body": "<p>Can I export invoices to <b>CSV</b>?</p>",
            "author": {"type": "user", "id": "5bc8f7ae2d96695c18a", "name": "Ann"},
        },
        "company": {"type": "company", "id": "c-1", "company_id": "acme"},
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [
                {
                    "type": "conversation_part",
                    "id": "p1",
                    "part_type": "note",
                    "body": f"<p>{SECRET}</p>",
                    "author": {"type": "admin", "id": "991"},
                    "created_at": 1746093700,
                },
                {
                    "type": "conversation_part",
                    "id": "p2",
                    "part_type": "comment",
                    "body": "<p>Yes: Invoices &gt; Export &gt; CSV.</p>",
                    "author": {"type": "admin", "id": "991"},
                    "created_at": 1746093800,
                },
                {
                    "type": "conversation_part",
                    "id": "p3",
                    "part_type": "close",
                    "body": None,
                    "author": {"type": "admin", "id": "991"},
                    "created_at": 1746093900,
                },
            ],
            "total_count": 3,
        },
    }


def freshdesk_ticket(ticket_id: int, status: int = 4) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "subject": "Add a user",
        "description": "<div>How do I add a user to my team?</div>",
        "description_text": "How do I add a user to my team?",
        "status": status,
        "priority": 1,
        "requester_id": 1001,
        "company_id": 42,
        "created_at": "2025-05-03T09:00:00Z",
        "conversations": [
            {
                "id": 1,
                "body": f"<div>{SECRET}</div>",
                "body_text": SECRET,
                "incoming": False,
                "private": True,
                "user_id": 7,
                "created_at": "2025-05-03T09:30:00Z",
            },
            {
                "id": 2,
                "body": "<div>Thanks, any news?</div>",
                "body_text": "Thanks, any news?",
                "incoming": True,
                "private": False,
                "user_id": 1001,
                "created_at": "2025-05-03T09:40:00Z",
            },
            {
                "id": 3,
                "body": "<div>Settings &gt; Team &gt; Invite.</div>",
                "body_text": "Settings > Team > Invite.",
                "incoming": False,
                "private": False,
                "user_id": 7,
                "created_at": "2025-05-03T10:00:00Z",
            },
        ],
    }


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_zendesk_export_resolved_tickets_public_replies_only(tmp_path: Path) -> None:
    export = write(
        tmp_path / "tickets.json",
        {"tickets": [zendesk_ticket(1), zendesk_ticket(2, "open"), zendesk_ticket(3, "closed")]},
    )
    parsed = parse_helpdesk_file(export, "zendesk")
    assert parsed.skipped == 1 and [r.external_id for r in parsed.records] == ["1", "3"]
    record = parsed.records[0]
    assert record.question == "How do I refund a card payment?"
    assert record.answer == "Open Payments > Refund and pick the card charge."
    assert record.account == "zendesk-org:77" and record.user == "501"
    assert record.asked_at is not None and record.asked_at.isoformat() == "2025-05-01T10:00:00+00:00"
    assert all(SECRET not in r.question + r.answer for r in parsed.records)


def test_zendesk_json_lines_export(tmp_path: Path) -> None:
    export = tmp_path / "tickets.jsonl"
    export.write_text("\n".join(json.dumps(zendesk_ticket(i)) for i in (1, 2)) + "\n", encoding="utf-8")
    parsed = parse_helpdesk_file(export, "zendesk")
    assert [r.line for r in parsed.records] == [1, 2]


def test_a_ticket_with_only_private_replies_is_skipped(tmp_path: Path) -> None:
    ticket = zendesk_ticket(1)
    ticket["comments"] = [c for c in ticket["comments"] if not c["public"] or c["author_id"] == 501]
    parsed = parse_helpdesk_file(write(tmp_path / "t.json", [ticket]), "zendesk")
    assert parsed.records == [] and parsed.skipped == 1


def test_intercom_conversations_export(tmp_path: Path) -> None:
    export = write(
        tmp_path / "conversations.json",
        {
            "type": "conversation.list",
            "conversations": [intercom_conversation("1"), intercom_conversation("2", "open")],
        },
    )
    parsed = parse_helpdesk_file(export, "intercom")
    (record,) = parsed.records
    assert parsed.skipped == 1
    assert record.question == "Can I export invoices to CSV?"
    assert (
        record.answer == "Yes: Invoices > Export > CSV."
    )  # the close part has no body; the note is never used
    assert record.account == "intercom-company:acme"
    assert record.asked_at is not None and record.asked_at.year == 2025


def test_freshdesk_tickets_export(tmp_path: Path) -> None:
    export = write(
        tmp_path / "freshdesk.json",
        [freshdesk_ticket(20), freshdesk_ticket(21, status=2), freshdesk_ticket(22, status=5)],
    )
    parsed = parse_helpdesk_file(export, "freshdesk")
    assert [r.external_id for r in parsed.records] == ["20", "22"] and parsed.skipped == 1
    record = parsed.records[0]
    assert record.question == "How do I add a user to my team?"
    assert record.answer == "Settings > Team > Invite."
    assert record.account == "freshdesk-company:42"
    assert all(SECRET not in r.question + r.answer for r in parsed.records)


def test_a_malformed_ticket_is_refused_at_the_line_it_starts_on(tmp_path: Path) -> None:
    broken = zendesk_ticket(2)
    del broken["comments"]
    export = write(tmp_path / "tickets.json", {"tickets": [zendesk_ticket(1), broken]})
    starts = [n for n, text in enumerate(export.read_text().splitlines(), start=1) if text.strip() == "{"]
    with pytest.raises(MalformedFileError) as refused:
        parse_helpdesk_file(export, "zendesk")
    assert refused.value.line == starts[-1] and "no 'comments' list" in refused.value.reason


def test_bad_json_and_bad_lines_are_named(tmp_path: Path) -> None:
    syntax = tmp_path / "bad.json"
    syntax.write_text('{"tickets": [\n  {"id": 1,\n  "status": "solved"\n  oops\n]}', encoding="utf-8")
    with pytest.raises(MalformedFileError) as bad:
        parse_helpdesk_file(syntax, "zendesk")
    assert bad.value.line == 4 and "not valid JSON" in bad.value.reason

    lines = tmp_path / "bad.jsonl"
    lines.write_text(
        json.dumps(freshdesk_ticket(1)) + "\n" + '{"id": 2, "status": "resolved", "conversations": []}\n',
        encoding="utf-8",
    )
    parsed_ok_status = None
    with pytest.raises(MalformedFileError) as wrong:
        parsed_ok_status = parse_helpdesk_file(lines, "freshdesk")
    assert parsed_ok_status is None
    assert wrong.value.line == 2

    time = tmp_path / "time.json"
    ticket = intercom_conversation("9")
    ticket["created_at"] = "yesterday"
    with pytest.raises(MalformedFileError, match="not a time"):
        parse_helpdesk_file(write(time, [ticket]), "intercom")


def test_wrong_vendor_or_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        parse_helpdesk_file(write(tmp_path / "t.json", []), "kayako")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        parse_helpdesk_file(tmp_path / "t.csv", "zendesk")
    (tmp_path / "empty.json").write_text("  ", encoding="utf-8")
    with pytest.raises(MalformedFileError, match="empty"):
        parse_helpdesk_file(tmp_path / "empty.json", "zendesk")
