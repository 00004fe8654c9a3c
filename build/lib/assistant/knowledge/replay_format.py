"""Read replay directories (support-stream v1: kb.jsonl, stream.jsonl, test.jsonl).

A replay is a support team's history played back in time order to measure learning, so a file
that is out of order, repeats an id or lacks a field would silently skew every figure; it is
refused instead, naming the file and line. The JSON Lines reader here (:func:`read_json_lines`
and :class:`JsonLine`) is the one place line-numbered JSON parsing lives; ticket import uses it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from assistant.errors import InvalidInputError, MalformedFileError

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_RECORDS",
    "JsonLine",
    "KbArticle",
    "ReplayData",
    "StreamRecord",
    "open_input",
    "parse_iso_time",
    "read_json_lines",
    "read_kb",
    "read_replay_dir",
    "read_stream",
]

MAX_RECORDS = 1_000_000
"""More rows than this is not a history to import in one go; split the file."""

MAX_LINE_BYTES = 10_000_000
"""One record longer than this is a broken file, not a ticket."""


def parse_iso_time(value: str) -> datetime:
    """An ISO-8601 time (``Z`` accepted) as timezone-aware UTC; a time without a zone is UTC.

    Raises ``ValueError`` when ``value`` is not such a time.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, TypeError) as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class JsonLine:
    """One JSON object from a file, with its 1-based line number, and typed access to its fields
    whose errors name the line."""

    path: str
    line: int
    data: dict[str, Any]

    def error(self, reason: str) -> MalformedFileError:
        return MalformedFileError(self.path, reason, line=self.line)

    def optional_str(self, key: str) -> str | None:
        """The field as a string; ``None`` when absent or null."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"'{key}' must be a string, not {_json_type(value)}")
        return value

    def required_str(self, key: str, *, allow_empty: bool = False) -> str:
        """The field as a string; an error when absent, null or (unless allowed) blank."""
        if key not in self.data or self.data[key] is None:
            raise self.error(f"missing '{key}'")
        value = self.optional_str(key)
        assert value is not None
        if not allow_empty and not value.strip():
            raise self.error(f"'{key}' is empty")
        return value

    def optional_time(self, key: str) -> datetime | None:
        """The field as a UTC time; ``None`` when absent, null or blank."""
        value = self.optional_str(key)
        if value is None or not value.strip():
            return None
        try:
            return parse_iso_time(value)
        except ValueError:
            raise self.error(f"'{key}' is not an ISO-8601 time") from None

    def required_time(self, key: str) -> datetime:
        self.required_str(key)
        value = self.optional_time(key)
        assert value is not None
        return value


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def read_json_lines(path: Path, *, max_records: int = MAX_RECORDS) -> Iterator[JsonLine]:
    """Each non-blank line of a UTF-8 JSON Lines file as a :class:`JsonLine`.

    Raises :class:`MalformedFileError` naming the line for undecodable text, bad JSON, a value
    that is not an object or too many records, and for a file with no records at all.
    """
    source = Path(path).as_posix()
    records = 0
    with open_input(Path(path), "rb") as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise MalformedFileError(source, f"line is longer than {MAX_LINE_BYTES:,} bytes", number)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            records += 1
            if records > max_records:
                raise MalformedFileError(source, f"more than {max_records:,} records; split the file", number)
            yield JsonLine(source, number, _decode_line(source, number, raw))
    if records == 0:
        raise MalformedFileError(source, "file is empty")


@contextmanager
def open_input(path: Path, mode: str, **options: Any) -> Iterator[IO[Any]]:
    """Open a file to read, turning the usual failures into errors that name it."""
    source = path.as_posix()
    try:
        handle = path.open(mode, **options)
    except FileNotFoundError:
        raise InvalidInputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{source}: is a folder, not a file") from None
    except OSError as exc:
        raise MalformedFileError(source, f"file cannot be read ({exc.strerror or exc})") from None
    with handle:
        yield handle


def _decode_line(source: str, number: int, raw: bytes) -> dict[str, Any]:
    if b"\x00" in raw:
        raise MalformedFileError(source, "binary data, not text", number)
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedFileError(source, "not valid UTF-8 text", number) from None
    except (ValueError, RecursionError):
        raise MalformedFileError(source, "not valid JSON", number) from None
    if not isinstance(value, dict):
        raise MalformedFileError(source, f"expected a JSON object, got {_json_type(value)}", number)
    return value


@dataclass(frozen=True)
class KbArticle:
    """A knowledge-base article as it stood on day one of the replay."""

    id: str
    title: str
    body: str
    url: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class StreamRecord:
    """A customer question of a replay, with the resolution that answers it and the agent's reply.

    ``gold`` is ``None`` when no reusable answer exists and the right move is a hand-off.
    """

    line: int
    id: str
    ts: datetime
    account: str
    user: str
    channel: str
    text: str
    gold: str | None
    answer: str


@dataclass(frozen=True)
class ReplayData:
    """The three files of a replay directory; ``test`` is empty when there is no test.jsonl."""

    kb: list[KbArticle]
    stream: list[StreamRecord]
    test: list[StreamRecord]


def read_kb(path: Path) -> list[KbArticle]:
    """Read kb.jsonl: unique ids, a title and a body each."""
    articles: list[KbArticle] = []
    first_seen: dict[str, int] = {}
    for row in read_json_lines(path):
        article = KbArticle(
            id=row.required_str("id"),
            title=row.required_str("title"),
            body=row.required_str("body"),
            url=row.optional_str("url") or None,
            updated_at=row.optional_time("updated_at"),
        )
        _check_unique(row, article.id, first_seen)
        articles.append(article)
    return articles


def read_stream(path: Path) -> list[StreamRecord]:
    """Read stream.jsonl or test.jsonl: every field present, unique ids, oldest first."""
    records: list[StreamRecord] = []
    first_seen: dict[str, int] = {}
    for row in read_json_lines(path):
        if "gold" not in row.data:
            raise row.error("missing 'gold' (use null when no resolution answers the question)")
        record = StreamRecord(
            line=row.line,
            id=row.required_str("id"),
            ts=row.required_time("ts"),
            account=row.required_str("account"),
            user=row.required_str("user"),
            channel=row.required_str("channel"),
            text=row.required_str("text"),
            gold=row.optional_str("gold") or None,
            answer=row.required_str("answer"),
        )
        _check_unique(row, record.id, first_seen)
        if records and record.ts < records[-1].ts:
            raise row.error(
                f"'ts' {record.ts.isoformat()} is earlier than line {records[-1].line}; "
                "the stream must be oldest first"
            )
        records.append(record)
    return records


def _check_unique(row: JsonLine, key: str, first_seen: dict[str, int]) -> None:
    if key in first_seen:
        raise row.error(f"duplicate id '{key}' (first on line {first_seen[key]})")
    first_seen[key] = row.line


def read_replay_dir(directory: Path) -> ReplayData:
    """Read a replay directory: kb.jsonl and stream.jsonl are required, test.jsonl is optional."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidInputError(f"{folder.as_posix()}: no such folder")
    for name in ("kb.jsonl", "stream.jsonl"):
        if not (folder / name).is_file():
            raise InvalidInputError(f"{folder.as_posix()}: not a replay directory, {name} is missing")
    test_path = folder / "test.jsonl"
    return ReplayData(
        kb=read_kb(folder / "kb.jsonl"),
        stream=read_stream(folder / "stream.jsonl"),
        test=read_stream(test_path) if test_path.exists() else [],
    )
