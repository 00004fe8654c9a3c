"""Cut a document into chunks small enough to retrieve and cite, along its own structure.

Retrieval works best on passages that keep one topic, so a chunk never crosses a heading, and
each carries the path of headings above it ("Billing › Refunds") to give it context. Long sections
are split on paragraph boundaries first, then lines, sentences and words, and a code fence is kept
whole whenever it fits. The result is deterministic: the same text always gives the same chunks,
which makes re-ingestion idempotent.

A heading with no text under it yields no chunk of its own; its words live on in the heading path
of the sections below it. A top heading equal to the document's title is left out of the path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.errors import InvalidInputError
from assistant.knowledge.loaders import SourceDocument, markdown_heading, track_fence

__all__ = ["MIN_CHUNK_CHARS", "Chunk", "chunk_document"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage of a document, with where it sits in it."""

    ordinal: int
    title: str
    headings: tuple[str, ...]
    text: str

    @property
    def heading_line(self) -> str:
        """The heading path as shown to people, e.g. ``Billing › Refunds``."""
        return " › ".join(self.headings)


@dataclass(frozen=True)
class _Unit:
    """An unsplittable run of text and the separator that joins it to the unit before it."""

    text: str
    sep: str


#: No chunk is shorter than this unless its whole section is: shorter text is a stub, not a passage.
MIN_CHUNK_CHARS = 200


def chunk_document(
    doc: SourceDocument, *, max_chars: int = 1200, min_chars: int = MIN_CHUNK_CHARS
) -> list[Chunk]:
    """Split ``doc`` into chunks of at most ``max_chars`` characters.

    Only a single word longer than ``max_chars`` makes a longer chunk. A section's last chunk
    shorter than ``min_chars`` takes text from the one before it, so that no chunk is a stub.
    """
    if max_chars < 1 or not 0 <= min_chars <= max_chars:
        raise InvalidInputError(
            f"Chunk sizes need 0 <= min_chars <= max_chars and max_chars >= 1 "
            f"(got min_chars={min_chars}, max_chars={max_chars})."
        )
    text = doc.text.replace("\r\n", "\n").replace("\r", "\n")
    chunks: list[Chunk] = []
    for headings, lines in _sections(text, with_headings=doc.format != "text"):
        if headings and headings[0] == doc.title:
            headings = headings[1:]  # the title heads every chunk already; do not repeat it
        units = [unit for block in _blocks(lines) for unit in _split(block, "\n\n", max_chars, 0)]
        if not units:
            continue
        for piece in _balance(_pack(units, max_chars), max_chars, min_chars):
            chunks.append(Chunk(len(chunks), doc.title, headings, _join(piece)))
    return chunks


def _sections(text: str, *, with_headings: bool) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """The text between headings, with the path of headings above it; fences hide headings."""
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        fence, is_marker = track_fence(line, fence)
        heading = markdown_heading(line) if with_headings and fence is None and not is_marker else None
        if heading:
            yield tuple(name for _, name in stack), lines
            level = heading[0]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append(heading)
            lines = []
        else:
            lines.append(line)
    yield tuple(name for _, name in stack), lines


def _blocks(lines: list[str]) -> Iterator[str]:
    """Paragraphs (separated by blank lines) and whole code fences."""
    current: list[str] = []
    fence: str | None = None
    for line in lines:
        was_open = fence is not None
        fence, is_marker = track_fence(line, fence)
        if is_marker and not was_open:  # a fence opens: it starts its own block
            yield from _emit(current)
            current = [line]
        elif is_marker:  # the fence closes: the block ends with it
            current.append(line)
            yield from _emit(current)
            current = []
        elif fence is None and not line.strip():
            yield from _emit(current)
            current = []
        else:
            current.append(line.rstrip())
    yield from _emit(current)


def _emit(lines: list[str]) -> Iterator[str]:
    block = "\n".join(line.rstrip() for line in lines).strip("\n")
    if block.strip():
        yield block


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _sentences(text: str) -> list[str]:
    return _SENTENCE_END.split(text)


def _words(text: str) -> list[str]:
    return text.split()


_LEVELS: tuple[tuple[Callable[[str], list[str]], str], ...] = (
    (_lines, "\n"),
    (_sentences, " "),
    (_words, " "),
)


def _split(text: str, sep: str, max_chars: int, level: int) -> list[_Unit]:
    """``text`` as units no longer than ``max_chars``, cutting at the coarsest boundary that works."""
    if len(text) <= max_chars or level == len(_LEVELS):
        return [_Unit(text, sep)] if text.strip() else []
    splitter, inner_sep = _LEVELS[level]
    parts = [part for part in splitter(text) if part.strip()]
    if len(parts) <= 1:
        return _split(text, sep, max_chars, level + 1)
    units: list[_Unit] = []
    for part in parts:
        units.extend(_split(part, inner_sep if units else sep, max_chars, level + 1))
    return units


def _length(units: list[_Unit]) -> int:
    return len(units[0].text) + sum(len(unit.sep) + len(unit.text) for unit in units[1:]) if units else 0


def _join(units: list[_Unit]) -> str:
    return units[0].text + "".join(unit.sep + unit.text for unit in units[1:])


def _pack(units: list[_Unit], max_chars: int) -> list[list[_Unit]]:
    """Greedily fill pieces up to ``max_chars``."""
    pieces: list[list[_Unit]] = []
    current: list[_Unit] = []
    size = 0
    for unit in units:
        added = len(unit.text) + (len(unit.sep) if current else 0)
        if current and size + added > max_chars:
            pieces.append(current)
            current, added = [], len(unit.text)
            size = 0
        current.append(unit)
        size += added
    if current:
        pieces.append(current)
    return pieces


def _balance(pieces: list[list[_Unit]], max_chars: int, min_chars: int) -> list[list[_Unit]]:
    """Give a short last piece units from the end of the one before, while both stay in bounds."""
    if len(pieces) < 2:
        return pieces
    before, last = list(pieces[-2]), list(pieces[-1])
    while _length(last) < min_chars and len(before) > 1:
        moved = [before[-1], *last]
        if _length(moved) > max_chars or _length(before[:-1]) < min_chars:
            break
        before, last = before[:-1], moved
    return [*pieces[:-2], before, last]
