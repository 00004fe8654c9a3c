"""Reading replay directories (support-stream v1), including the real StackFAQ set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge.replay_format import (
    KbArticle,
    StreamRecord,
    parse_iso_time,
    read_json_lines,
    read_kb,
    read_replay_dir,
    read_stream,
)

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
STACKFAQ = SHARED / "eval" / "stackfaq"


def write_jsonl(path: Path, *rows: object) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def question(n: int, *, ts: str | None = None, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"s-{n}",
        "ts": ts or f"2026-01-05T09:{n:02d}:00Z",
        "account": "acct-1",
        "user": "acct-1-u1",
        "channel": "shared-acct-1",
        "text": f"question {n}?",
        "gold": "faq-1",
        "answer": f"answer {n}.",
    }
    row.update(changes)
    return row


def error_of(reader: object, path: Path) -> MalformedFileError:
    assert callable(reader)
    with pytest.raises(MalformedFileError) as caught:
        reader(path)
    return caught.value


def test_read_kb(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "kb.jsonl",
        {"id": "faq-1", "title": "Strikethrough", "body": "Use ~~tildes~~."},
        {
            "id": "faq-2",
            "title": "T",
            "body": "B",
            "url": "https://x/2",
            "updated_at": "2025-12-01T10:00:00+01:00",
        },
    )
    assert read_kb(path) == [
        KbArticle("faq-1", "Strikethrough", "Use ~~tildes~~.", None, None),
        KbArticle("faq-2", "T", "B", "https://x/2", datetime(2025, 12, 1, 9, 0, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        ([{"id": "a", "title": "t", "body": "b"}, {"id": "a", "title": "t", "body": "c"}], 2,
         "duplicate id 'a' (first on line 1)"),
        ([{"id": "a", "body": "b"}], 1, "missing 'title'"),
        ([{"id": "a", "title": "t", "body": ["b"]}], 1, "'body' must be a string, not a list"),
        ([{"id": "a", "title": "t", "body": "b", "updated_at": "soon"}], 1,
         "'updated_at' is not an ISO-8601 time"),
    ],
)  # fmt: skip
def test_kb_errors_name_file_and_line(tmp_path: Path, rows: list[object], line: int, reason: str) -> None:
    path = write_jsonl(tmp_path / "kb.jsonl", *rows)
    error = error_of(read_kb, path)
    assert (error.path, error.line, error.reason) == (path.as_posix(), line, reason)


def test_read_stream(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "stream.jsonl", question(0), question(1, gold=None), question(2, ts="2026-01-05T09:01:00Z")
    )

    records = read_stream(path)

    assert records[0] == StreamRecord(
        line=1,
        id="s-0",
        ts=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        account="acct-1",
        user="acct-1-u1",
        channel="shared-acct-1",
        text="question 0?",
        gold="faq-1",
        answer="answer 0.",
    )
    assert [r.gold for r in records] == ["faq-1", None, "faq-1"]  # equal times keep order


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        ([question(0), question(2), question(1)], 3,
         "'ts' 2026-01-05T09:01:00+00:00 is earlier than line 2; the stream must be oldest first"),
        ([question(0), question(1, id="s-0")], 2, "duplicate id 's-0' (first on line 1)"),
        ([{k: v for k, v in question(0).items() if k != "gold"}], 1,
         "missing 'gold' (use null when no resolution answers the question)"),
        ([question(0), {k: v for k, v in question(1).items() if k != "channel"}], 2, "missing 'channel'"),
        ([question(0, ts=None) | {"ts": None}], 1, "missing 'ts'"),
        ([question(0, ts="05/01/2026")], 1, "'ts' is not an ISO-8601 time"),
        ([question(0, gold=7)], 1, "'gold' must be a string, not a number"),
        ([question(0, answer="")], 1, "'answer' is empty"),
    ],
)  # fmt: skip
def test_stream_errors_name_file_and_line(tmp_path: Path, rows: list[object], line: int, reason: str) -> None:
    path = write_jsonl(tmp_path / "stream.jsonl", *rows)
    error = error_of(read_stream, path)
    assert (error.path, error.line, error.reason) == (path.as_posix(), line, reason)


def test_json_lines_skip_blank_lines_but_count_them(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\n   \n{"b": 2}')
    assert [(row.line, row.data) for row in read_json_lines(path)] == [(1, {"a": 1}), (4, {"b": 2})]


def test_json_lines_refuse_an_empty_file_and_excess_records(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("\n\n")
    assert error_of(lambda p: list(read_json_lines(p)), path).reason == "file is empty"
    path.write_text("{}\n{}\n{}\n")
    error = error_of(lambda p: list(read_json_lines(p, max_records=2)), path)
    assert (error.line, error.reason) == (3, "more than 2 records; split the file")


def test_parse_iso_time_gives_aware_utc() -> None:
    assert parse_iso_time("2026-01-05T09:00:00Z") == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert parse_iso_time("2026-01-05T09:00:00-05:00").hour == 14
    assert parse_iso_time("2026-01-05 09:00").tzinfo is UTC
    with pytest.raises(ValueError):
        parse_iso_time("0001-01-01T00:00:00+01:00")


def test_replay_dir_with_and_without_test(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "kb.jsonl", {"id": "faq-1", "title": "T", "body": "B"})
    write_jsonl(tmp_path / "stream.jsonl", question(0), question(1))

    data = read_replay_dir(tmp_path)
    assert (len(data.kb), len(data.stream), data.test) == (1, 2, [])

    write_jsonl(tmp_path / "test.jsonl", question(5))
    assert [r.id for r in read_replay_dir(tmp_path).test] == ["s-5"]


@pytest.mark.parametrize("missing", ["kb.jsonl", "stream.jsonl"])
def test_replay_dir_needs_kb_and_stream(tmp_path: Path, missing: str) -> None:
    for name in {"kb.jsonl", "stream.jsonl"} - {missing}:
        write_jsonl(tmp_path / name, {"id": "x"})
    with pytest.raises(InvalidInputError, match=f"not a replay directory, {missing} is missing"):
        read_replay_dir(tmp_path)
    with pytest.raises(InvalidInputError, match="no such folder"):
        read_replay_dir(tmp_path / "nope")


def test_replay_dir_errors_name_the_file(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "kb.jsonl", {"id": "faq-1", "title": "T", "body": "B"})
    write_jsonl(tmp_path / "stream.jsonl", question(0))
    (tmp_path / "test.jsonl").write_text(json.dumps(question(0)) + "\nnot json\n")
    with pytest.raises(MalformedFileError, match=r"test\.jsonl:2: not valid JSON"):
        read_replay_dir(tmp_path)


@pytest.mark.skipif(not STACKFAQ.is_dir(), reason=f"the shared eval sets are not here ({STACKFAQ})")
def test_the_real_stackfaq_set() -> None:
    data = read_replay_dir(STACKFAQ)

    assert (len(data.kb), len(data.stream), len(data.test)) == (125, 624, 625)
    kb_ids = {article.id for article in data.kb}
    assert {record.gold for record in data.stream} <= kb_ids
    assert all(record.ts.tzinfo is UTC for record in data.stream)


def test_the_sample_replay_set_reads_and_matches_the_sample_knowledge() -> None:
    """samples/replay/lumen-ledger (issue 18.6) is a valid set over samples/kb, and is what
    samples/replay/build.py writes (it was not edited by hand)."""
    import subprocess
    import sys

    from assistant.knowledge.replay_format import read_replay_dir
    from tests.conftest import SAMPLES

    folder = SAMPLES / "replay" / "lumen-ledger"
    before = {name: (folder / name).read_bytes() for name in ("kb.jsonl", "stream.jsonl", "test.jsonl")}
    data = read_replay_dir(folder)
    assert {article.id for article in data.kb} == {path.stem for path in (SAMPLES / "kb").glob("*.md")}
    assert len(data.stream) >= 100 and len(data.test) >= 10
    golds = {record.gold for record in data.stream + data.test}
    assert None in golds and golds - {None} <= {article.id for article in data.kb}
    assert [r.ts for r in data.stream] == sorted(r.ts for r in data.stream)
    subprocess.run([sys.executable, str(SAMPLES / "replay" / "build.py")], check=True, capture_output=True)
    assert {name: (folder / name).read_bytes() for name in before} == before
