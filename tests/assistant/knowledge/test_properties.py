"""Property-based tests of every file the assistant reads: replay sets (kb.jsonl, stream.jsonl,
test.jsonl and their folder) and knowledge-base documents (Markdown, HTML, text). Arbitrary bytes
either parse or raise one of the core's typed errors (``assistant.errors``), never anything else.
(The ticket importer has its own property in ``test_tickets.py``.)
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import AssistantError, InvalidInputError
from assistant.knowledge.loaders import load_document
from assistant.knowledge.replay_format import read_kb, read_replay_dir, read_stream

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
JSON_FRAGMENTS = st.sampled_from(
    [b'{"id": "a1", "title": "T", "text": "Body"}\n', b'{"id": "s1", "text": "q?", "gold": "a1",',
     b'"ts": "2026-01-01T00:00:00Z"}\n', b'"gold": null}', b"\n", b"{", b"}", b"[", b"]", b'"', b":",
     b",", b"null", b"1e999", b"\xff", b"\x00", b"\xef\xbb\xbf", b'{"id": 1}', b'{"text": ""}\n',
     b'"id"', b'"a1"', b"true"]
)  # fmt: skip
JSONL = st.binary(max_size=300) | st.lists(JSON_FRAGMENTS | st.binary(max_size=4), max_size=30).map(b"".join)
DOC_FRAGMENTS = st.sampled_from(
    [b"---\ntitle: T\nurl: https://x\n---\n", b"# Heading\n", b"```\n", b"<html><title>T</title>", b"<body>",
     b"<script>alert(1)</script>", b"<p>text</p>", b"</html>", b"\xff\xfe", b"\x00", b"\r\n", b"\xe2\x80\xae",
     b"plain words ", b"<!--", b"&amp;", b"&#0;", b"\xef\xbb\xbf"]
)  # fmt: skip
DOCUMENT = st.binary(max_size=400) | st.lists(DOC_FRAGMENTS | st.binary(max_size=4), max_size=30).map(
    b"".join
)


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@EXAMPLES
@given(content=JSONL, reader=st.sampled_from([read_kb, read_stream]))
def test_replay_files_parse_or_raise_our_errors(tmp_path: Path, content: bytes, reader: object) -> None:
    path = write(tmp_path / "set" / "file.jsonl", content)
    try:
        records = reader(path)  # type: ignore[operator]
    except AssistantError as error:
        assert error.message
    else:
        assert isinstance(records, list)


@EXAMPLES
@given(kb=JSONL, stream=JSONL, test=st.none() | JSONL)
def test_replay_folders_load_or_raise_our_errors(
    tmp_path: Path, kb: bytes, stream: bytes, test: bytes | None
) -> None:
    folder = tmp_path / "replay"
    write(folder / "kb.jsonl", kb)
    write(folder / "stream.jsonl", stream)
    if test is not None:
        write(folder / "test.jsonl", test)
    else:
        (folder / "test.jsonl").unlink(missing_ok=True)
    try:
        read_replay_dir(folder)
    except AssistantError as error:
        assert error.message


@EXAMPLES
@given(content=DOCUMENT, suffix=st.sampled_from([".md", ".markdown", ".html", ".htm", ".txt", ".pdf"]))
def test_documents_load_or_raise_our_errors(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = write(tmp_path / f"doc{suffix}", content)
    try:
        document = load_document(path)
    except InvalidInputError as error:
        assert error.message
    else:
        assert document.text.strip() and document.title.strip()
