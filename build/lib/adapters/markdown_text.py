"""Markdown answers rendered for each surface: Slack mrkdwn, Teams card text, console HTML.

Documents, imported tickets and agents write Markdown (``**bold**``, ``[text](url)``, lists,
tables, code). Slack shows Markdown literally and Adaptive Cards know only a subset, so answers
are converted here, once, from markdown-it-py's token stream (the CommonMark parser; raw HTML is
never interpreted, only shown as text):

* every piece of text still goes through ``adapters.markup`` (no mention, broadcast or invisible
  character survives), and a link shows its real target, ``label (url)``, never a disguise;
* only http(s) links are links at all (``assistant.weburl``); anything else is its label;
* tables become one line per row (``a | b``), headings bold lines, lists ``•`` or ``1.`` lines.

``to_html`` is the console's: markdown-it's own HTML renderer with raw HTML off and links limited
to http(s), so it is safe to insert as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from adapters.markup import chat_links_shown, clean_unicode, slack_text, teams_text
from assistant.weburl import web_url

__all__ = ["to_html", "to_slack", "to_teams"]


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: web_url(url) is not None  # type: ignore[method-assign]
    return parser


_MARKDOWN = _parser()


@dataclass(frozen=True, slots=True)
class _Style:
    """How one surface writes emphasis and escapes text."""

    escape: Callable[[str], str]
    bold: str
    italic: str
    strike: str


_SLACK = _Style(escape=slack_text, bold="*", italic="_", strike="~")
_TEAMS = _Style(escape=teams_text, bold="**", italic="_", strike="")


@dataclass
class _Writer:
    style: _Style
    lines: list[str] = field(default_factory=list)
    line: str = ""
    lists: list[list[int]] = field(default_factory=list)  # per open list: [is_ordered, next number]
    quote: int = 0
    row: list[str] | None = None
    header: bool = False
    heading: bool = False

    def flush(self) -> None:
        if self.line.strip():
            self.lines.append(self.line.rstrip())
        self.line = ""

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1] != "" and not self.lists:
            self.lines.append("")

    def start(self) -> None:
        """Start a block's line with the quote marks and list marker it is under."""
        self.flush()
        self.line = "> " * self.quote


def _inline(children: Sequence[Token], style: _Style) -> str:
    out: list[str] = []
    link: list[str | None] = []
    label: list[list[str]] = []

    def emit(text: str) -> None:
        (label[-1] if label else out).append(text)

    for token in children:
        kind = token.type
        if kind == "text":
            emit(style.escape(token.content))
        elif kind in ("softbreak", "hardbreak"):
            emit("\n")
        elif kind == "code_inline":
            emit(f"`{style.escape(token.content)}`" if token.content.strip() else "")
        elif kind == "strong_open" or kind == "strong_close":
            emit(style.bold)
        elif kind == "em_open" or kind == "em_close":
            emit(style.italic)
        elif kind == "s_open" or kind == "s_close":
            emit(style.strike)
        elif kind == "link_open":
            link.append(web_url(str(token.attrs.get("href") or "")))
            label.append([])
        elif kind == "link_close" and label:
            text, url = "".join(label.pop()).strip(), link.pop()
            shown = text if not url or text in (url, style.escape(url)) else f"{text} ({style.escape(url)})"
            emit(shown or style.escape(url or ""))
        elif kind == "image":
            url = web_url(str(token.attrs.get("src") or ""))
            alt = style.escape(token.content or "image")
            emit(f"{alt} ({style.escape(url)})" if url else alt)
        elif token.content:
            emit(style.escape(token.content))
    return "".join(out)


def _render(text: str, style: _Style) -> str:
    source = chat_links_shown(clean_unicode(text))
    writer = _Writer(style)
    for token in _MARKDOWN.parse(source):
        kind = token.type
        if kind in ("paragraph_open", "heading_open"):
            if not writer.line.strip():  # a list item's first paragraph continues its marker's line
                writer.start()
            writer.heading = kind == "heading_open"
        elif kind == "inline":
            content = _inline(token.children or [], style)
            if writer.row is not None:
                writer.row.append(content.strip())
            elif writer.heading and content.strip():
                writer.line += f"{style.bold}{content.strip()}{style.bold}"
            else:
                writer.line += content
        elif kind == "heading_close":
            writer.heading = False
            writer.blank()
        elif kind == "paragraph_close":
            if writer.lists:
                writer.flush()
            else:
                writer.blank()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            writer.flush()
            start = int(token.attrs.get("start") or 1) if kind == "ordered_list_open" else 0
            writer.lists.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            writer.flush()
            writer.lists.pop()
            if not writer.lists:
                writer.blank()
        elif kind == "list_item_open":
            writer.start()
            ordered, number = writer.lists[-1]
            marker = f"{number}." if ordered else "•"
            if ordered:
                writer.lists[-1][1] += 1
            writer.line += "    " * (len(writer.lists) - 1) + marker + " "
        elif kind in ("fence", "code_block"):
            writer.start()
            body = style.escape(token.content.rstrip("\n"))
            writer.lines.extend(["```", body, "```"])
            writer.blank()
        elif kind == "blockquote_open":
            writer.quote += 1
        elif kind == "blockquote_close":
            writer.quote -= 1
            writer.blank()
        elif kind == "hr":
            writer.start()
            writer.lines.append("———")
            writer.blank()
        elif kind == "thead_open":
            writer.header = True
        elif kind == "thead_close":
            writer.header = False
        elif kind == "tr_open":
            writer.row = []
        elif kind == "tr_close" and writer.row is not None:
            bold = style.bold if writer.header else ""
            cells = [f"{bold}{cell}{bold}" if cell else cell for cell in writer.row]
            writer.start()
            writer.line += " | ".join(cells)
            writer.flush()
            writer.row = None
        elif kind == "table_close":
            writer.blank()
    writer.flush()
    while writer.lines and writer.lines[-1] == "":
        writer.lines.pop()
    return "\n".join(writer.lines)


def to_slack(text: str) -> str:
    """Markdown as Slack mrkdwn, safe to post (see the module docstring)."""
    return _render(text, _SLACK)


def to_teams(text: str) -> str:
    """Markdown as Adaptive Card ``TextBlock`` text, safe to show (see the module docstring)."""
    return _render(text, _TEAMS)


def to_html(text: str) -> str:
    """Markdown as HTML for the console: raw HTML shown as text, only http(s) links."""
    return _MARKDOWN.render(chat_links_shown(clean_unicode(text)))
