"""Reading documentation files: discovery, formats, titles, urls and refused files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.knowledge.loaders import (
    MAX_DOCUMENT_BYTES,
    SourceDocument,
    discover_files,
    load_document,
    load_documents,
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# discovery


def test_discover_walks_folders_sorted_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "b.md", "# B")
    write(docs / "a.txt", "a")
    write(docs / "sub" / "c.HTML", "<p>c</p>")
    write(docs / "sub" / "d.htm", "<p>d</p>")
    write(docs / "notes.markdown", "n")
    write(docs / "image.png", b"\x89PNG")
    write(docs / ".hidden.md", "secret")
    write(docs / ".git" / "x.md", "git internals")

    found = discover_files([docs])

    assert [p.relative_to(docs).as_posix() for p in found] == [
        "a.txt",
        "b.md",
        "notes.markdown",
        "sub/c.HTML",
        "sub/d.htm",
    ]


def test_discover_takes_files_as_given_and_lists_each_once(tmp_path: Path) -> None:
    one = write(tmp_path / "z.md", "z")
    write(tmp_path / "folder" / "a.md", "a")

    found = discover_files([one, tmp_path / "folder", one])

    assert [p.name for p in found] == ["z.md", "a.md"]


def test_discover_names_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"nowhere\.md: no such file or folder"):
        discover_files([tmp_path / "nowhere.md"])


def test_discover_refuses_a_folder_without_documents(tmp_path: Path) -> None:
    write(tmp_path / "empty" / "photo.jpg", b"\xff\xd8")
    with pytest.raises(InvalidInputError, match=r"empty: the folder has no \.md"):
        discover_files([tmp_path / "empty"])


def test_discover_refuses_an_unsupported_file_named_explicitly(tmp_path: Path) -> None:
    pdf = write(tmp_path / "manual.pdf", b"%PDF")
    with pytest.raises(InvalidInputError, match=r"manual\.pdf: unsupported file type"):
        discover_files([pdf])


def test_discover_refuses_nothing_to_read() -> None:
    with pytest.raises(InvalidInputError):
        discover_files([])


# Markdown


def test_markdown_front_matter_gives_title_and_url_and_is_not_text(tmp_path: Path) -> None:
    raw = (
        '---\ntitle: "Refund policy"\nurl: https://help.example.com/refunds\ntags: [a, b]\n---\n'
        "\n# Refunds\n\nWithin 30 days.\n"
    )
    path = write(tmp_path / "refunds.md", raw)

    doc = load_document(path)

    assert doc == SourceDocument(
        source=path.as_posix(),
        title="Refund policy",
        text="# Refunds\n\nWithin 30 days.",
        format="markdown",
        content_hash=hashlib.sha256(raw.encode()).hexdigest(),
        url="https://help.example.com/refunds",
    )


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>"])
def test_a_front_matter_url_that_is_not_http_is_dropped(tmp_path: Path, url: str) -> None:
    path = write(tmp_path / "evil.md", f"---\ntitle: Reset\nurl: {url}\n---\n\nClick the title.\n")
    assert load_document(path).url is None


def test_markdown_title_is_the_first_level_one_heading_outside_code(tmp_path: Path) -> None:
    path = write(tmp_path / "x.md", "Intro\n\n```\n# not a title\n```\n\n## Sub\n\n# Real title #\n")
    assert load_document(path).title == "Real title"


def test_title_falls_back_to_the_humanised_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "getting-started_guide.md", "No headings here.\r\nJust text.  \r\n")
    doc = load_document(path)
    assert doc.title == "Getting started guide"
    assert doc.text == "No headings here.\nJust text."
    assert doc.url is None


def test_unclosed_front_matter_is_text(tmp_path: Path) -> None:
    path = write(tmp_path / "rule.md", "---\ntitle: nope\n")
    doc = load_document(path)
    assert doc.title == "Rule"
    assert "title: nope" in doc.text


def test_plain_text_keeps_its_paragraphs(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.txt", "\ufeff# not a heading\n\nSecond paragraph.\n")
    doc = load_document(path)
    assert (doc.format, doc.title, doc.text) == ("text", "Faq", "# not a heading\n\nSecond paragraph.")


# HTML

PAGE = """<!doctype html>
<html><head>
  <title>Billing &amp; Payments</title>
  <link rel="stylesheet" href="/s.css">
  <link rel="Canonical" href="https://help.example.com/billing">
  <style>p { color: red; }</style>
  <script>var secret = "do not index";</script>
</head>
<body>
  <nav><a href="/">Home</a> <h2>Menu heading</h2></nav>
  <h1><svg><title>Icon</title><path d="M0"/></svg>Billing</h1>
  <p>Invoices are sent on the 1<sup>st</sup> &mdash; always in &euro;.</p>
  <h2>Refunds &lt;30 days&gt;</h2>
  <ul><li>Open <b>Settings</b></li><li><p>Click &quot;Refund&quot;</p></li></ul>
  <pre>  indented
    code</pre>
  <p># not a heading</p>
  <footer>Copyright 2026</footer>
</body></html>
"""


def test_html_keeps_headings_and_text_and_drops_page_furniture(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "billing.html", PAGE))

    assert doc.format == "html"
    assert doc.title == "Billing & Payments"
    assert doc.url == "https://help.example.com/billing"
    assert doc.text == (
        "# Billing\n\n"
        "Invoices are sent on the 1st — always in €.\n\n"
        "## Refunds <30 days>\n\n"
        "- Open Settings\n"
        '- Click "Refund"\n\n'
        "```\n  indented\n    code\n```\n\n"
        "\\# not a heading"
    )
    for dropped in ("secret", "color", "Menu", "Home", "Copyright", "Icon"):
        assert dropped not in doc.text


def test_html_title_falls_back_to_h1_and_url_to_meta(tmp_path: Path) -> None:
    page = '<meta name="url" content="https://x.example/a"><h1>Reset your &#39;password&#39;</h1><p>Go.</p>'
    doc = load_document(write(tmp_path / "a.htm", page))
    assert doc.title == "Reset your 'password'"
    assert doc.url == "https://x.example/a"


def test_html_with_no_readable_text_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.html", "<html><script>x()</script></html>")
    with pytest.raises(MalformedFileError, match="file has no text"):
        load_document(path)


# refused files


@pytest.mark.parametrize("content", [b"", b"  \n\n\t "])
def test_empty_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "empty.md", content)
    with pytest.raises(MalformedFileError) as caught:
        load_document(path)
    assert caught.value.reason == "file is empty"
    assert caught.value.path == path.as_posix()


def test_binary_files_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(MalformedFileError) as caught:
        load_document(path)
    assert caught.value.reason == "file is binary, not text"


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.txt", "café".encode("latin-1"))
    with pytest.raises(MalformedFileError, match=r"file is binary, not text \(not valid UTF-8 at byte 3\)"):
        load_document(path)


def test_huge_files_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "dump.md"
    with path.open("wb") as handle:
        handle.truncate(7_200_000)
    assert MAX_DOCUMENT_BYTES == 5_000_000
    with pytest.raises(MalformedFileError) as caught:
        load_document(path)
    assert caught.value.reason == "file is 7.2 MB; the limit is 5 MB"


def test_missing_and_unsupported_files_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        load_document(tmp_path / "gone.md")
    with pytest.raises(InvalidInputError, match="unsupported file type"):
        load_document(write(tmp_path / "data.json", "{}"))


def test_load_documents_reads_every_file_in_order(tmp_path: Path) -> None:
    write(tmp_path / "b.md", "# Bee\n\nbuzz")
    write(tmp_path / "a.txt", "ay")

    docs = list(load_documents([tmp_path]))

    assert [(d.title, d.format) for d in docs] == [("A", "text"), ("Bee", "markdown")]


def test_load_documents_reports_bad_paths_before_iterating(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        load_documents([tmp_path / "missing"])
