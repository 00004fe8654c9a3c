"""Helpdesk exports (Zendesk, Intercom, Freshdesk) read as past resolved tickets for import.

Each vendor's export is a JSON document (an array, or an object holding the array under
``tickets`` / ``conversations``) or JSON Lines (one ticket per line). Every ticket is checked
before anything is returned, and the first bad one is named by the line it starts on, like
``assistant.knowledge.tickets`` does for CSV and replay files.

Only resolved tickets become past resolutions (Zendesk ``solved``/``closed``, Intercom
``closed``, Freshdesk status 4 Resolved / 5 Closed); others are skipped and counted. The
question is the customer's first message; the answer is the agent's last *public* reply before
the ticket was resolved. Private notes (Zendesk ``public: false``, Intercom ``note`` parts,
Freshdesk ``private: true``) are never read into either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge.loaders import _read_html
from assistant.knowledge.replay_format import MAX_LINE_BYTES, open_input, parse_iso_time, read_json_lines
from assistant.knowledge.tickets import MAX_TICKETS, TicketRecord

Vendor = Literal["zendesk", "intercom", "freshdesk"]
VENDORS: tuple[Vendor, ...] = ("zendesk", "intercom", "freshdesk")
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024
_ARRAY_KEYS = ("tickets", "conversations", "results")
_RESOLVED_ZENDESK = frozenset({"solved", "closed"})
_ZENDESK_STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed", "deleted"})
_INTERCOM_STATES = frozenset({"open", "closed", "snoozed"})
_RESOLVED_FRESHDESK = frozenset({4, 5})
_CUSTOMER_TYPES = frozenset({"user", "lead", "contact"})


@dataclass(frozen=True, slots=True)
class HelpdeskImport:
    """The resolved tickets of an export, and how many tickets were skipped (unresolved or with
    no customer question or no public agent reply)."""

    records: list[TicketRecord]
    skipped: int


class TicketShapeError(ValueError):
    """A ticket lacks what its vendor's export always has (reported with its line)."""


def parse_helpdesk_file(path: Path, vendor: Vendor) -> HelpdeskImport:
    """Every resolved ticket of ``vendor``'s export at ``path``, or ``MalformedFileError`` naming
    the line of the first ticket that cannot be read."""
    if vendor not in VENDORS:
        raise InvalidInputError(f"unknown helpdesk {vendor!r}; use {', '.join(VENDORS)}")
    source = Path(path).as_posix()
    return from_objects(_objects(Path(path)), vendor, source)


def from_objects(objects: Iterator[tuple[int, Any]], vendor: Vendor, source: str) -> HelpdeskImport:
    """Tickets from (line, object) pairs: a file's, or pages fetched from a helpdesk API."""
    convert = _CONVERTERS[vendor]
    records: list[TicketRecord] = []
    skipped = 0
    for count, (line, ticket) in enumerate(objects, start=1):
        if count > MAX_TICKETS:
            raise MalformedFileError(source, f"more than {MAX_TICKETS:,} tickets; split the export", line)
        if not isinstance(ticket, dict):
            raise MalformedFileError(source, "a ticket is not a JSON object", line)
        try:
            record = convert(ticket, line)
        except (TicketShapeError, KeyError, TypeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, TicketShapeError) else f"unexpected ticket shape ({exc!r})"
            raise MalformedFileError(source, f"{vendor} ticket: {reason}", line) from None
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return HelpdeskImport(records, skipped)


# reading the file


def _objects(path: Path) -> Iterator[tuple[int, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return ((row.line, row.data) for row in read_json_lines(path, max_records=MAX_TICKETS))
    if suffix == ".json":
        return iter(_document(path))
    raise InvalidInputError(f"{path.as_posix()}: a helpdesk export is .json, .jsonl or .ndjson")


def _document(path: Path) -> list[tuple[int, Any]]:
    """The tickets of a JSON document, each with the line its object starts on."""
    source = path.as_posix()
    with open_input(path, "rb") as handle:
        raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise MalformedFileError(
            source, f"larger than {MAX_DOCUMENT_BYTES // 2**20} MB; export JSON Lines instead"
        )
    if b"\x00" in raw:
        raise MalformedFileError(source, "binary data, not text", raw[: raw.index(b"\x00")].count(b"\n") + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(source, "not valid UTF-8 text", raw[: exc.start].count(b"\n") + 1) from None
    if not text.strip():
        raise MalformedFileError(source, "file is empty")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedFileError(source, f"not valid JSON ({exc.msg})", exc.lineno) from None
    except RecursionError:
        raise MalformedFileError(source, "JSON nested too deeply") from None
    if isinstance(whole, list):
        start = text.index("[")
    elif isinstance(whole, dict) and any(isinstance(whole.get(k), list) for k in _ARRAY_KEYS):
        key = next(k for k in _ARRAY_KEYS if isinstance(whole.get(k), list))
        match = re.search(rf'"{key}"\s*:\s*\[', text)
        if match is None:  # the key was written with escapes: fall back to no line numbers
            return [(1, item) for item in whole[key]]
        start = match.end() - 1
    elif isinstance(whole, dict):
        return [(1, whole)]  # one ticket
    else:
        raise MalformedFileError(source, "expected a list of tickets", 1)
    return _with_lines(text, start)


def _with_lines(text: str, start: int) -> list[tuple[int, Any]]:
    """Decode the array starting at ``text[start] == '['`` element by element, keeping lines."""
    decoder = json.JSONDecoder()
    items: list[tuple[int, Any]] = []
    index = start + 1
    line = text.count("\n", 0, index) + 1
    while True:
        while text[index] in " \t\r\n,":
            if text[index] == "\n":
                line += 1
            index += 1
        if text[index] == "]":
            return items
        item, end = decoder.raw_decode(text, index)
        items.append((line, item))
        line += text.count("\n", index, end)
        index = end


# the vendors


def _zendesk(ticket: dict[str, Any], line: int) -> TicketRecord | None:
    if "id" not in ticket or "status" not in ticket:
        raise TicketShapeError("no 'id' or 'status'")
    if ticket["status"] not in _ZENDESK_STATUSES:
        raise TicketShapeError(f"unknown status {ticket['status']!r}")
    comments = ticket.get("comments")
    if not isinstance(comments, list):
        raise TicketShapeError(f"ticket {ticket['id']} has no 'comments' list (export tickets with comments)")
    if ticket["status"] not in _RESOLVED_ZENDESK:
        return None
    requester = ticket.get("requester_id")
    public = [c for c in comments if isinstance(c, dict) and c.get("public", True) is True]
    question = next((c for c in public if c.get("author_id") == requester), None)
    replies = [c for c in public if c.get("author_id") != requester]
    if question is None or not replies:
        return None
    return _record(
        line,
        _zendesk_text(question),
        _zendesk_text(replies[-1]),
        ticket,
        account=_prefixed("zendesk-org", ticket.get("organization_id")),
        asked_at=question.get("created_at") or ticket.get("created_at"),
        user=requester,
    )


def _zendesk_text(comment: dict[str, Any]) -> str:
    if comment.get("plain_body"):
        return str(comment["plain_body"])
    if comment.get("body"):
        return str(comment["body"])
    return _html(str(comment.get("html_body") or ""))


def _intercom(conversation: dict[str, Any], line: int) -> TicketRecord | None:
    if "id" not in conversation or "state" not in conversation:
        raise TicketShapeError("no 'id' or 'state'")
    if conversation["state"] not in _INTERCOM_STATES:
        raise TicketShapeError(f"unknown state {conversation['state']!r}")
    if conversation["state"] != "closed":
        return None
    first = conversation.get("source") or {}
    author = (first.get("author") or {}).get("type")
    parts_holder = conversation.get("conversation_parts") or {}
    parts = parts_holder.get("conversation_parts") if isinstance(parts_holder, dict) else parts_holder
    if not isinstance(parts, list):
        raise TicketShapeError(f"conversation {conversation['id']} has no 'conversation_parts'")
    question = _html(str(first.get("body") or "")) if author in _CUSTOMER_TYPES else ""
    if not question:
        customer = next(
            (
                p
                for p in parts
                if p.get("part_type") == "comment" and (p.get("author") or {}).get("type") in _CUSTOMER_TYPES
            ),
            None,
        )
        question = _html(str(customer.get("body") or "")) if customer else ""
    replies = [
        p
        for p in parts
        if p.get("part_type") in ("comment", "close")  # a note is never public
        and (p.get("author") or {}).get("type") == "admin"
        and _html(str(p.get("body") or ""))
    ]
    if not question or not replies:
        return None
    company = (conversation.get("company") or {}) if isinstance(conversation.get("company"), dict) else {}
    return _record(
        line,
        question,
        _html(str(replies[-1]["body"])),
        conversation,
        account=_prefixed("intercom-company", company.get("company_id") or company.get("id")),
        asked_at=conversation.get("created_at"),
        user=(first.get("author") or {}).get("id"),
    )


def _freshdesk(ticket: dict[str, Any], line: int) -> TicketRecord | None:
    if "id" not in ticket or "status" not in ticket:
        raise TicketShapeError("no 'id' or 'status'")
    if not isinstance(ticket["status"], int) or isinstance(ticket["status"], bool):
        raise TicketShapeError(f"status {ticket['status']!r} is not a Freshdesk status number")
    conversations = ticket.get("conversations")
    if not isinstance(conversations, list):
        raise TicketShapeError(
            f"ticket {ticket['id']} has no 'conversations' list (export with conversations)"
        )
    if ticket["status"] not in _RESOLVED_FRESHDESK:
        return None
    question = str(ticket.get("description_text") or "") or _html(str(ticket.get("description") or ""))
    replies = [
        c
        for c in conversations
        if isinstance(c, dict) and c.get("private") is False and c.get("incoming") is False
    ]
    if not question.strip() or not replies:
        return None
    last = replies[-1]
    answer = str(last.get("body_text") or "") or _html(str(last.get("body") or ""))
    return _record(
        line,
        question,
        answer,
        ticket,
        account=_prefixed("freshdesk-company", ticket.get("company_id")),
        asked_at=ticket.get("created_at"),
        user=ticket.get("requester_id"),
    )


_CONVERTERS: dict[Vendor, Callable[[dict[str, Any], int], TicketRecord | None]] = {
    "zendesk": _zendesk,
    "intercom": _intercom,
    "freshdesk": _freshdesk,
}


def _record(
    line: int,
    question: str,
    answer: str,
    ticket: dict[str, Any],
    *,
    account: str | None,
    asked_at: Any,
    user: Any,
) -> TicketRecord | None:
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        return None
    return TicketRecord(
        line=line,
        question=question,
        answer=answer,
        resolution_key=None,
        account=account,
        external_id=str(ticket["id"]),
        asked_at=_time(asked_at),
        user=str(user) if user is not None else None,
        channel=None,
    )


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)  # Intercom: Unix seconds
    try:
        return parse_iso_time(str(value))
    except ValueError:
        raise TicketShapeError(f"'{value}' is not a time") from None


def _prefixed(prefix: str, value: Any) -> str | None:
    return f"{prefix}:{value}" if value not in (None, "") else None


def _html(text: str) -> str:
    if "<" not in text:
        return text.strip()
    return _read_html(text)[2].strip()


__all__ = ["MAX_LINE_BYTES", "VENDORS", "HelpdeskImport", "Vendor", "from_objects", "parse_helpdesk_file"]
