"""Chunking: heading paths, size limits, code fences, and that no text is ever lost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import InvalidInputError
from assistant.knowledge.chunking import Chunk, chunk_document
from assistant.knowledge.loaders import SourceDocument, load_document


def doc(text: str, *, fmt: str = "markdown", title: str = "Help") -> SourceDocument:
    return SourceDocument(source="help.md", title=title, text=text, format=fmt, content_hash="0" * 64)


def sentence(n: int) -> str:
    return f"Sentence number {n} explains one more detail of the refund process."


def test_chunks_carry_the_path_of_headings_above_them() -> None:
    text = (
        "Intro before any heading.\n\n"
        "# Billing\n\nHow billing works.\n\n"
        "## Refunds\n\nRefunds take five days.\n\n"
        "### Partial refunds ###\n\nPartial ones too.\n\n"
        "## Invoices\n\nMonthly.\n\n"
        "# Account\n\nYour profile."
    )

    chunks = chunk_document(doc(text))

    assert [(c.ordinal, c.headings, c.text) for c in chunks] == [
        (0, (), "Intro before any heading."),
        (1, ("Billing",), "How billing works."),
        (2, ("Billing", "Refunds"), "Refunds take five days."),
        (3, ("Billing", "Refunds", "Partial refunds"), "Partial ones too."),
        (4, ("Billing", "Invoices"), "Monthly."),
        (5, ("Account",), "Your profile."),
    ]
    assert chunks[3].heading_line == "Billing › Refunds › Partial refunds"
    assert {c.title for c in chunks} == {"Help"}


def test_a_top_heading_equal_to_the_title_is_not_repeated_in_the_path() -> None:
    chunks = chunk_document(doc("# Help\n\nWelcome.\n\n## Login\n\nUse SSO.", title="Help"))
    assert [(c.headings, c.heading_line) for c in chunks] == [((), ""), (("Login",), "Login")]


def test_headings_without_text_make_no_empty_chunks() -> None:
    chunks = chunk_document(doc("# Billing\n\n## Refunds\n\n   \n\n## Empty"))
    assert chunks == []
    assert chunk_document(doc("")) == []


def test_long_sections_split_on_paragraph_boundaries_under_max_chars() -> None:
    paragraphs = [" ".join(sentence(10 * p + s) for s in range(4)) for p in range(6)]
    text = "# Refunds\n\n" + "\n\n".join(paragraphs)

    chunks = chunk_document(doc(text), max_chars=600, min_chars=100)

    assert len(chunks) > 1
    assert all(len(c.text) <= 600 for c in chunks)
    assert all(c.headings == ("Refunds",) for c in chunks)
    for chunk in chunks:  # whole paragraphs, in order
        assert all(part in paragraphs for part in chunk.text.split("\n\n"))
    assert "\n\n".join(c.text for c in chunks) == "\n\n".join(paragraphs)


def test_a_paragraph_too_long_for_a_chunk_splits_at_sentences() -> None:
    paragraph = " ".join(sentence(n) for n in range(30))

    chunks = chunk_document(doc(paragraph), max_chars=300, min_chars=50)

    assert all(len(c.text) <= 300 for c in chunks)
    assert all(c.text.endswith(".") and c.text[0].isupper() for c in chunks)
    assert " ".join(c.text for c in chunks) == paragraph


def test_a_code_fence_is_not_split_when_it_fits() -> None:
    code = "```python\n" + "\n".join(f"step_{n}()  # do thing {n}" for n in range(12)) + "\n\n# comment\n```"
    text = "## Setup\n\n" + "Before the code. " * 10 + "\n\n" + code + "\n\nAfter the code."

    chunks = chunk_document(doc(text), max_chars=len(code) + 20, min_chars=10)

    assert sum(code in c.text for c in chunks) == 1
    assert all(c.headings == ("Setup",) for c in chunks)  # '# comment' in code is no heading


def test_a_fence_longer_than_max_chars_is_split_by_lines() -> None:
    code = "```\n" + "\n".join(f"line {n}" for n in range(100)) + "\n```"
    chunks = chunk_document(doc(code), max_chars=200, min_chars=0)
    assert len(chunks) > 1
    assert all(len(c.text) <= 200 for c in chunks)
    assert "\n".join(c.text for c in chunks) == code


def test_a_short_last_piece_takes_text_from_the_one_before() -> None:
    paragraphs = [sentence(n) for n in range(9)]  # each 66-67 characters

    chunks = chunk_document(doc("\n\n".join(paragraphs)), max_chars=500, min_chars=150)

    assert [len(c.text) for c in chunks] and all(150 <= len(c.text) <= 500 for c in chunks)


def test_plain_text_has_no_headings() -> None:
    chunks = chunk_document(doc("# not a heading\n\nsecond", fmt="text"), max_chars=10, min_chars=0)
    assert [(c.headings, c.text) for c in chunks] == [((), "# not a"), ((), "heading"), ((), "second")]


def test_html_headings_become_chunk_headings(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<title>Guide</title><h2>Install</h2><p>Run it.</p><h3>On Mac</h3><p>Use brew.</p>")
    chunks = chunk_document(load_document(page))
    assert [(c.title, c.headings, c.text) for c in chunks] == [
        ("Guide", ("Install",), "Run it."),
        ("Guide", ("Install", "On Mac"), "Use brew."),
    ]


def test_chunking_is_deterministic() -> None:
    text = "\n\n".join(f"## H{n}\n\n" + " ".join(sentence(k) for k in range(n * 3)) for n in range(8))
    assert chunk_document(doc(text), max_chars=250) == chunk_document(doc(text), max_chars=250)


@pytest.mark.parametrize(("max_chars", "min_chars"), [(0, 0), (100, 101), (100, -1)])
def test_impossible_sizes_are_refused(max_chars: int, min_chars: int) -> None:
    with pytest.raises(InvalidInputError):
        chunk_document(doc("text"), max_chars=max_chars, min_chars=min_chars)


# properties

WORD = st.text(alphabet="abcxyzABC0123456789.,!?()'-_:/é", min_size=1, max_size=30)
PARAGRAPH = st.lists(st.lists(WORD, min_size=1, max_size=25), min_size=1, max_size=4).map(
    lambda lines: "\n".join(" ".join(words) for words in lines)
)
SECTION = st.tuples(
    st.integers(min_value=1, max_value=6),
    st.lists(WORD, min_size=1, max_size=5).map(" ".join),
    st.lists(PARAGRAPH, min_size=1, max_size=6),
)


def assert_sized(chunks: list[Chunk], max_chars: int) -> None:
    for chunk in chunks:
        assert chunk.text.strip()
        assert len(chunk.text) <= max_chars or len(chunk.text.split()) == 1


@settings(max_examples=300, deadline=None)
@given(
    intro=st.lists(PARAGRAPH, max_size=3),
    sections=st.lists(SECTION, max_size=6),
    max_chars=st.integers(min_value=20, max_value=400),
    min_ratio=st.floats(min_value=0, max_value=1),
)
def test_markdown_chunks_lose_no_words(
    intro: list[str], sections: list[tuple[int, str, list[str]]], max_chars: int, min_ratio: float
) -> None:
    body = list(intro)
    parts = list(intro)
    for level, heading, paragraphs in sections:
        parts.append(f"{'#' * level} {heading}")
        parts.extend(paragraphs)
        body.extend(paragraphs)

    chunks = chunk_document(
        doc("\n\n".join(parts)), max_chars=max_chars, min_chars=int(max_chars * min_ratio)
    )

    assert Counter(" ".join(c.text for c in chunks).split()) == Counter(" ".join(body).split())
    for _, heading, _ in sections:
        assert any(heading in c.headings for c in chunks)
    assert_sized(chunks, max_chars)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=2000)
    | st.text(alphabet="ab. \n`~#", max_size=600),
    max_chars=st.integers(min_value=1, max_value=300),
)
def test_any_plain_text_loses_no_words(text: str, max_chars: int) -> None:
    chunks = chunk_document(doc(text, fmt="text"), max_chars=max_chars, min_chars=max_chars // 3)

    assert Counter(" ".join(c.text for c in chunks).split()) == Counter(text.split())
    assert_sized(chunks, max_chars)
