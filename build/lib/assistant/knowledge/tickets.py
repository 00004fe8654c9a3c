"""Parse files of past resolved tickets (question and the agent's answer) for import.

Importing history teaches the assistant in bulk, so a half-read file would teach it half a
history: every row is checked before anything is returned, and the first bad one is reported by
its line number in the file. Two shapes are read: JSON Lines in the replay format (``text`` and
``answer``, ``gold`` as the resolution key) and CSV with a header row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge.replay_format import MAX_LINE_BYTES, open_input, parse_iso_time, read_json_lines

__all__ = ["MAX_TICKETS", "TICKET_SUFFIXES", "TicketRecord", "parse_ticket_file"]

TICKET_SUFFIXES = (".jsonl", ".csv")

MAX_TICKETS = 1_000_000
"""More tickets than this is not a history to import in one go; split the file."""

_CSV_COLUMNS = {
    "question": "question",
    "answer": "answer",
    "account": "account",
    "id": "external_id",
    "resolution": "resolution_key",
    "resolution_key": "resolution_key",
    "asked_at": "asked_at",
    "ts": "asked_at",
    "user": "user",
    "channel": "channel",
}
"""CSV header names (lower case) and the field each fills; unknown columns are ignored."""


@dataclass(frozen=True)
class TicketRecord:
    """One resolved ticket: what was asked, what the agent answered, and its context."""

    line: int
    question: str
    answer: str
    resolution_key: str | None
    account: str | None
    external_id: str | None
    asked_at: datetime | None
    user: str | None
    channel: str | None


def parse_ticket_file(path: Path) -> list[TicketRecord]:
    """Every ticket in a ``.jsonl`` or ``.csv`` file, or :class:`MalformedFileError` for the first
    bad line (``line`` is its 1-based number in the file; a CSV header is line 1)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _parse_jsonl(path)
    if suffix == ".csv":
        return _parse_csv(path)
    raise InvalidInputError(
        f"{path.as_posix()}: unsupported ticket file type; use {' or '.join(TICKET_SUFFIXES)}"
    )


def _parse_jsonl(path: Path) -> list[TicketRecord]:
    return [
        TicketRecord(
            line=row.line,
            question=row.required_str("text").strip(),
            answer=row.required_str("answer").strip(),
            resolution_key=_blank_to_none(row.optional_str("gold")),
            account=_blank_to_none(row.optional_str("account")),
            external_id=_blank_to_none(row.optional_str("id")),
            asked_at=row.optional_time("ts"),
            user=_blank_to_none(row.optional_str("user")),
            channel=_blank_to_none(row.optional_str("channel")),
        )
        for row in read_json_lines(path, max_records=MAX_TICKETS)
    ]


def _blank_to_none(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def _parse_csv(path: Path) -> list[TicketRecord]:
    source = path.as_posix()
    with open_input(path, "rb") as handle:
        records = list(_csv_records(source, handle))
    if not records:
        raise MalformedFileError(source, "file has no tickets under its header")
    return records


def _csv_records(source: str, handle: IO[bytes]) -> Iterator[TicketRecord]:
    lines = _CheckedLines(source, handle)
    reader = csv.reader(lines)
    columns: list[tuple[str | None, str]] | None = None
    count = 0
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise MalformedFileError(source, f"not valid CSV ({exc})", lines.number) from None
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _header(source, start, row)
            continue
        count += 1
        if count > MAX_TICKETS:
            raise MalformedFileError(source, f"more than {MAX_TICKETS:,} tickets; split the file", start)
        yield _csv_record(source, start, columns, row)
    if columns is None:
        raise MalformedFileError(source, "file is empty")


class _CheckedLines:
    """Feeds the CSV reader physical lines, decoding each on its own so that undecodable or
    binary data is reported at its line, and counting them."""

    def __init__(self, source: str, handle: IO[bytes]) -> None:
        self.source = source
        self.handle = handle
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise MalformedFileError(
                self.source, f"line is longer than {MAX_LINE_BYTES:,} bytes", self.number
            )
        if b"\x00" in raw:
            raise MalformedFileError(self.source, "binary data, not text", self.number)
        try:
            return raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise MalformedFileError(self.source, "not valid UTF-8 text", self.number) from None


def _header(source: str, line: int, row: list[str]) -> list[tuple[str | None, str]]:
    """Each column's field (None: ignored) and its name as written."""
    names = [cell.strip() for cell in row]
    columns = [_CSV_COLUMNS.get(name.lower()) for name in names]
    for required in ("question", "answer"):
        if required not in columns:
            found = ", ".join(repr(name) for name in names)
            raise MalformedFileError(source, f"the header has no '{required}' column (found {found})", line)
    for column in columns:
        if column is not None and columns.count(column) > 1:
            twice = [name for name, other in zip(names, columns, strict=True) if other == column]
            raise MalformedFileError(source, f"the header names one field twice: {', '.join(twice)}", line)
    return list(zip(columns, names, strict=True))


def _csv_record(
    source: str, line: int, columns: list[tuple[str | None, str]], row: list[str]
) -> TicketRecord:
    if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
        reason = f"{len(row)} values, but the header has {len(columns)} columns"
        raise MalformedFileError(source, reason, line)
    values = {
        field: cell.strip() for (field, _), cell in zip(columns, row, strict=False) if field and cell.strip()
    }
    names = dict(columns)
    for field in ("question", "answer"):
        if field not in values:
            raise MalformedFileError(source, f"'{names[field]}' is empty", line)
    asked_at = None
    if "asked_at" in values:
        try:
            asked_at = parse_iso_time(values["asked_at"])
        except ValueError:
            reason = f"'{names['asked_at']}' is not an ISO-8601 time"
            raise MalformedFileError(source, reason, line) from None
    return TicketRecord(
        line=line,
        question=values["question"],
        answer=values["answer"],
        resolution_key=values.get("resolution_key"),
        account=values.get("account"),
        external_id=values.get("external_id"),
        asked_at=asked_at,
        user=values.get("user"),
        channel=values.get("channel"),
    )
