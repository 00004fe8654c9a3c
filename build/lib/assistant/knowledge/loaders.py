"""Read documentation files (Markdown, HTML, plain text) into one normalised shape.

Every later step (chunking, hashing for change detection, citing) works on a
:class:`SourceDocument`, so the differences between formats end here. HTML is reduced to
Markdown-like text (headings as ``#`` lines) so that one chunker serves every format. Files that
cannot be documentation (empty, binary, oversized) are refused with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.weburl import web_url

__all__ = [
    "FORMATS",
    "MAX_DOCUMENT_BYTES",
    "SourceDocument",
    "discover_files",
    "load_document",
    "load_documents",
]

MAX_DOCUMENT_BYTES = 5_000_000
"""Larger files are almost always exports or dumps, not articles; refuse them early."""

FORMATS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}
"""Supported file suffixes (lower case) and the format each is read as."""

_SUFFIX_LIST = ", ".join(FORMATS)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*)$")


@dataclass(frozen=True)
class SourceDocument:
    """One file as read: its normalised text, and what identifies and cites it.

    ``content_hash`` is the SHA-256 of the raw bytes, so re-ingesting an unchanged file is a no-op.
    """

    source: str
    title: str
    text: str
    format: str
    content_hash: str
    url: str | None = None


def discover_files(paths: Sequence[Path]) -> list[Path]:
    """The supported files named by ``paths``: files as given, folders searched recursively.

    Folders are listed in sorted order and hidden files and folders in them are skipped, so the
    same tree always ingests in the same order. Each file appears once.
    """
    if isinstance(paths, str | Path):
        paths = [Path(paths)]
    if not paths:
        raise InvalidInputError("No files or folders were given.")
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = _files_in_folder(path)
            if not files:
                raise InvalidInputError(f"{path.as_posix()}: the folder has no {_SUFFIX_LIST} files")
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise InvalidInputError(
                    f"{path.as_posix()}: unsupported file type; supported are {_SUFFIX_LIST}"
                )
            files = [path]
        else:
            raise InvalidInputError(f"{path.as_posix()}: no such file or folder")
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


def _files_in_folder(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in FORMATS:
                files.append(Path(root) / name)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def load_documents(paths: Sequence[Path]) -> Iterator[SourceDocument]:
    """Read every supported file under ``paths`` in order.

    Bad paths are reported at once; each file is read only when the iterator reaches it.
    """
    files = discover_files(paths)
    return (load_document(file) for file in files)


def load_document(path: Path) -> SourceDocument:
    """Read one file; raise :class:`MalformedFileError` when it is empty, binary or too large."""
    path = Path(path)
    source = path.as_posix()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInputError(f"{source}: unsupported file type; supported are {_SUFFIX_LIST}")
    raw = _read_bytes(path)
    text = _decode(path, raw)
    title: str | None
    if fmt == "html":
        title, url, body = _read_html(text)
    elif fmt == "markdown":
        title, url, body = _read_markdown(text)
    else:
        title, url, body = None, None, _tidy(text)
    if not body.strip():
        raise MalformedFileError(source, "file has no text")
    return SourceDocument(
        source=source,
        title=title or humanise(path.stem),
        text=body,
        format=fmt,
        content_hash=hashlib.sha256(raw).hexdigest(),
        url=web_url(url),  # only http(s): a javascript: link would be stored XSS
    )


def humanise(stem: str) -> str:
    """``getting-started_guide`` → ``Getting started guide``: a title for files that name none."""
    words = re.sub(r"[-_\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def _read_bytes(path: Path) -> bytes:
    source = path.as_posix()
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise MalformedFileError(
                source,
                f"file is {size / 1_000_000:.1f} MB; the limit is {MAX_DOCUMENT_BYTES / 1_000_000:g} MB",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{source}: is a folder, not a file") from None
    except OSError as exc:
        raise MalformedFileError(source, f"file cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_DOCUMENT_BYTES:  # it grew between stat and read
        raise MalformedFileError(source, f"file is over the {MAX_DOCUMENT_BYTES / 1_000_000:g} MB limit")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    if not raw.strip():
        raise MalformedFileError(path.as_posix(), "file is empty")
    if b"\x00" in raw:
        raise MalformedFileError(path.as_posix(), "file is binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"file is binary, not text (not valid UTF-8 at byte {exc.start})"
        raise MalformedFileError(path.as_posix(), reason) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _tidy(text: str) -> str:
    """Trailing spaces and leading or trailing blank lines carry nothing; drop them."""
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _read_markdown(text: str) -> tuple[str | None, str | None, str]:
    meta, body = _split_front_matter(text)
    body = _tidy(body)
    title = meta.get("title") or _first_h1(body)
    return title, meta.get("url"), body


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """A leading ``---`` block of ``key: value`` lines. Read by hand: we need two keys, not YAML."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text  # never closed: not front matter
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        match = _FRONT_MATTER_LINE.match(line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1].strip()
            if value:
                meta.setdefault(match.group(1).lower(), value)
    return meta, "\n".join(lines[end + 1 :])


def _first_h1(text: str) -> str | None:
    fence: str | None = None
    for line in text.split("\n"):
        fence, is_marker = track_fence(line, fence)
        heading = markdown_heading(line) if fence is None and not is_marker else None
        if heading and heading[0] == 1:
            return heading[1]
    return None


def markdown_heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` when ``line`` is an ATX heading (``## Refunds``); shared with the chunker."""
    match = _ATX_HEADING.match(line)
    if match is None or not match.group(2).strip():
        return None
    return len(match.group(1)), match.group(2).strip()


def track_fence(line: str, fence: str | None) -> tuple[str | None, bool]:
    """The code fence open after ``line`` (None outside code), and whether ``line`` is a fence
    marker; shared with the chunker so both agree on what is code."""
    marker = _FENCE.match(line)
    if not marker:
        return fence, False
    run = marker.group(1)
    if fence is None:
        return run, True
    if run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :].strip():
        return None, True
    return fence, False


def _read_html(text: str) -> tuple[str | None, str | None, str]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    title = " ".join("".join(parser.title_parts).split()) or parser.first_h1
    url = parser.urls.get("canonical") or parser.urls.get("url") or parser.urls.get("og:url")
    return title, url, parser.text()


_SKIPPED_TAGS = frozenset({"script", "style", "nav", "footer", "noscript", "template", "svg"})
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "form", "header", "hr", "html", "main", "ol",
        "p", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_LOOKS_LIKE_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")


class _HtmlText(HTMLParser):
    """Collects an HTML page's readable text as blocks; page furniture (nav, footer) is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # decodes &amp; &#39; … in text and attributes
        self.blocks: list[tuple[str, str]] = []
        self.title_parts: list[str] = []
        self.first_h1: str | None = None
        self.urls: dict[str, str] = {}
        self._buffer: list[str] = []
        self._kind = "p"
        self._level = 0
        self._skip = 0
        self._in_title = False
        self._titles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "link" and "canonical" in values.get("rel", "").lower().split() and values.get("href"):
            self.urls.setdefault("canonical", values["href"])
        elif tag == "meta" and values.get("content"):
            name = (values.get("name") or values.get("property") or "").lower()
            if name in ("url", "og:url"):
                self.urls.setdefault(name, values["content"])
        if tag in _SKIPPED_TAGS:
            self._skip += 1
        elif self._skip:
            return
        elif tag == "title":
            self._titles += 1
            self._in_title = True
        elif tag in _HEADING_TAGS or tag in ("li", "pre"):
            self._flush()
            self._kind = "h" if tag in _HEADING_TAGS else tag
            self._level = _HEADING_TAGS.get(tag, 0)
        elif tag in _BLOCK_TAGS and "".join(self._buffer).strip():
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif not self._skip and (tag in _HEADING_TAGS or tag in _BLOCK_TAGS or tag in ("li", "pre")):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._in_title:
            self._buffer.append(data)
        elif self._titles == 1:  # only the page's own title, never a later stray one
            self.title_parts.append(data)

    def _flush(self) -> None:
        raw = "".join(self._buffer)
        self._buffer.clear()
        kind, self._kind = self._kind, "p"
        if kind == "pre":
            code = "\n".join(line.rstrip() for line in raw.replace("\r", "").split("\n")).strip("\n")
            if code.strip():
                self.blocks.append(("pre", f"```\n{code}\n```"))
            return
        text = " ".join(raw.split())
        if not text:
            return
        if kind == "h":
            if self._level == 1 and self.first_h1 is None:
                self.first_h1 = text
            self.blocks.append(("h", f"{'#' * self._level} {text}"))
        else:
            if _LOOKS_LIKE_HEADING.match(text):
                text = "\\" + text  # a paragraph that starts with '#' is not a heading
            self.blocks.append((kind, f"- {text}" if kind == "li" else text))

    def text(self) -> str:
        self._flush()
        parts: list[str] = []
        previous = ""
        for kind, block in self.blocks:
            if parts:
                parts.append("\n" if kind == previous == "li" else "\n\n")
            parts.append(block)
            previous = kind
        return "".join(parts)
