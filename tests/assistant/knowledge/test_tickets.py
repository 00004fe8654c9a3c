"""Parsing past tickets: both formats, every bad line named by its number, never a stray error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge import tickets
from assistant.knowledge.tickets import TicketRecord, parse_ticket_file


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def jsonl(*rows: object) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


ROW = {
    "id": "s-1",
    "ts": "2026-01-05T09:00:00Z",
    "account": "acct-04",
    "user": "acct-04-u4",
    "channel": "shared-acct-04",
    "text": "How can I cross out text?",
    "gold": "faq-000",
    "answer": "Use ~~tildes~~.",
}


def bad_line(path: Path) -> MalformedFileError:
    with pytest.raises(MalformedFileError) as caught:
        parse_ticket_file(path)
    return caught.value


# JSON Lines


def test_jsonl_in_the_replay_format(tmp_path: Path) -> None:
    second = {
        "text": " Where is my invoice? ",
        "answer": "Billing › Invoices.",
        "gold": None,
        "ts": "2026-01-05T10:00:00+02:00",
    }
    path = write(tmp_path / "t.jsonl", jsonl(ROW, "", second))

    records = parse_ticket_file(path)

    assert records == [
        TicketRecord(
            line=1,
            question="How can I cross out text?",
            answer="Use ~~tildes~~.",
            resolution_key="faq-000",
            account="acct-04",
            external_id="s-1",
            asked_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            user="acct-04-u4",
            channel="shared-acct-04",
        ),
        TicketRecord(3, "Where is my invoice?", "Billing › Invoices.", None, None, None,
                     datetime(2026, 1, 5, 8, 0, tzinfo=UTC), None, None),
    ]  # fmt: skip
    assert records[1].asked_at is not None and records[1].asked_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        ([ROW, ROW, "", ROW, ROW, ROW, '{"text": "q", "answer": '], 7, "not valid JSON"),
        ([ROW, ROW, {**ROW, "answer": None}], 3, "missing 'answer'"),
        ([{k: v for k, v in ROW.items() if k != "answer"}], 1, "missing 'answer'"),
        ([ROW, {**ROW, "answer": "  "}], 2, "'answer' is empty"),
        ([ROW, ROW, ROW, {**ROW, "ts": "yesterday"}], 4, "'ts' is not an ISO-8601 time"),
        ([ROW, ["text", "answer"]], 2, "expected a JSON object, got a list"),
        ([{**ROW, "account": 42}], 1, "'account' must be a string, not a number"),
        ([{**ROW, "text": ""}], 1, "'text' is empty"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path: Path, lines: list[object], line: int, reason: str) -> None:
    path = write(tmp_path / "t.jsonl", jsonl(*lines))
    error = bad_line(path)
    assert (error.path, error.line, error.reason) == (path.as_posix(), line, reason)
    assert str(error) == f"{path.as_posix()}:{line}: {reason}"


def test_binary_jsonl_is_refused_by_line(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", jsonl(ROW).encode() + b'{"text": "\xff\xfe"}\n')
    assert (bad_line(path).line, bad_line(path).reason) == (2, "not valid UTF-8 text")


# CSV

CSV = (
    "\ufeffQuestion,ANSWER,Account,id,Resolution,ts,User,Channel,notes\r\n"
    "How do I reset my password?,Use the reset link.,acct-1,T-1,kb-reset,2026-01-05T09:00:00Z,ann,help,x\r\n"
    '"A question\r\nover two lines","An answer, with a comma",,,,,,,\r\n'
    "\r\n"
    "Third?,Third answer.\r\n"
)


def test_csv_with_header_in_any_case_and_optional_columns(tmp_path: Path) -> None:
    records = parse_ticket_file(write(tmp_path / "t.csv", CSV))

    assert records == [
        TicketRecord(2, "How do I reset my password?", "Use the reset link.", "kb-reset", "acct-1", "T-1",
                     datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "ann", "help"),
        TicketRecord(3, "A question\r\nover two lines", "An answer, with a comma",
                     None, None, None, None, None, None),
        TicketRecord(6, "Third?", "Third answer.", None, None, None, None, None, None),
    ]  # fmt: skip


def test_csv_aliases(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "question,answer,resolution_key,asked_at\nq,a,key,2026-02-01\n")
    [record] = parse_ticket_file(path)
    assert (record.resolution_key, record.asked_at) == ("key", datetime(2026, 2, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("question,reply\nq,a\n", 1, "the header has no 'answer' column (found 'question', 'reply')"),
        ("question,answer,ts,asked_at\n", 1, "the header names one field twice: ts, asked_at"),
        ('question,answer\nq,a\n"two\nlines",a\nq,\n', 5, "'answer' is empty"),
        ("Question,Answer\nq,a\n,a\n", 3, "'Question' is empty"),
        ("question,answer,ts\nq,a,2026-01-01\nq,a,2026-13-01\n", 3, "'ts' is not an ISO-8601 time"),
        ("question,answer\nq,a,extra\n", 2, "3 values, but the header has 2 columns"),
        ("question,answer\n", None, "file has no tickets under its header"),
        ("\n\n  \n", None, "file is empty"),
        ("question,answer\nq,a\nq,\x00\n", 3, "binary data, not text"),
    ],
)
def test_csv_errors_name_the_physical_line(tmp_path: Path, text: str, line: int | None, reason: str) -> None:
    error = bad_line(write(tmp_path / "t.csv", text))
    assert (error.line, error.reason) == (line, reason)


def test_csv_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"question,answer\nq,a\n" + "café,a\n".encode("latin-1"))
    assert (bad_line(path).line, bad_line(path).reason) == (3, "not valid UTF-8 text")


# files


@pytest.mark.parametrize("name", ["t.jsonl", "t.csv"])
def test_an_empty_file_is_refused(tmp_path: Path, name: str) -> None:
    assert bad_line(write(tmp_path / name, "")).reason == "file is empty"


@pytest.mark.parametrize("name", ["t.jsonl", "t.csv"])
def test_too_many_rows_are_refused(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tickets, "MAX_TICKETS", 3)
    text = jsonl(*[ROW] * 4) if name.endswith("jsonl") else "question,answer\n" + "q,a\n" * 4
    error = bad_line(write(tmp_path / name, text))
    assert error.line == (4 if name.endswith("jsonl") else 5)
    assert error.reason.startswith("more than 3 ")


def test_other_files_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unsupported ticket file type"):
        parse_ticket_file(write(tmp_path / "t.xlsx", b"PK"))
    with pytest.raises(InvalidInputError, match="no such file"):
        parse_ticket_file(tmp_path / "missing.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(InvalidInputError, match="is a folder"):
        parse_ticket_file(tmp_path / "folder.csv")


# property: any bytes either parse or raise one of our errors

FRAGMENTS = st.sampled_from(
    [b"question,answer\n", b'{"text": "q", "answer": "a"}\n', b'"', b",", b"\n", b"\r", b"\x00", b"\xff",
     b'{"ts": "2026-01-01T00:00:00Z"}', b"[", b"{", b"}", b'"answer"', b":", b"null", b"1e999", b"ts\n"]
)  # fmt: skip
CONTENT = st.binary(max_size=300) | st.lists(FRAGMENTS | st.binary(max_size=5), max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=CONTENT, suffix=st.sampled_from([".jsonl", ".csv"]))
def test_arbitrary_bytes_parse_or_raise_our_errors(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = write(tmp_path / f"tickets{suffix}", content)
    try:
        records = parse_ticket_file(path)
    except MalformedFileError as error:
        assert error.path == path.as_posix() and error.reason
    else:
        assert records and all(r.question.strip() and r.answer.strip() for r in records)
