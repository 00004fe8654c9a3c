"""One place that makes other people's text safe to echo in a chat message.

Customers, documents and agents write text the bot repeats: questions in hand-offs, answers
learned from threads, passages of ingested documents. Echoed as-is, that text could page a whole
channel (``<!channel>``, ``<!here>``, ``<!everyone>``), mention people (``<@U…>``), disguise a
link (``<http://evil|your invoice>``) or reorder what the reader sees (bidi overrides,
zero-width and control characters). Every renderer (Slack blocks, the Slack digest, Teams cards)
passes such text through the functions here, so the rule lives in one module.

* ``clean_unicode``: drops bidi overrides and isolates, zero-width characters and control
  characters (keeping newlines and tabs).
* ``slack_text``: ``clean_unicode``; Slack link markup (``<url>``, ``<url|label>``, what Slack
  sends for any link an agent types) shown as ``label (url)``, so the real target is visible;
  then ``<`` and ``&`` escaped as Slack documents: every other ``<…>`` construct (mentions,
  broadcasts, channel links) becomes visible text. Entities already in the text (Slack sends
  ``&lt;``, ``&gt;``, ``&amp;`` in every message) are kept, so nothing is escaped twice; ``>``
  alone opens no markup and is left as written ("Settings > Billing").
* ``slack_link``: a link the bot itself writes, with a URL and a label that cannot break out.
* ``teams_text``: the same for Adaptive Card text blocks: links shown with their real URL (Slack
  and Markdown ones), any other ``<…>`` markup shown with look-alike brackets.
"""

from __future__ import annotations

import re

from assistant.answering.visible import strip_invisible
from assistant.weburl import web_url

__all__ = ["chat_links_shown", "clean_unicode", "slack_link", "slack_text", "teams_text"]

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|<>\s]+)(?:\|([^<>]*))?>", re.IGNORECASE)
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")


def clean_unicode(text: str) -> str:
    """``text`` without invisible formatting or control characters; ``\\r\\n`` becomes ``\\n``
    (the one list lives in ``assistant.answering.visible``)."""
    return strip_invisible(text)


def _unwrap_links(text: str) -> str:
    """``<url|label>`` as ``label (url)``, ``<url>`` as ``url`` (``mailto:`` dropped)."""

    def shown(match: re.Match[str]) -> str:
        url, label = match.group(1), (match.group(2) or "").strip()
        address = url[len("mailto:") :] if url.lower().startswith("mailto:") else url
        return address if not label or label == address else f"{label} ({address})"

    return _SLACK_LINK.sub(shown, text)


def chat_links_shown(text: str) -> str:
    """Slack link markup (``<url|label>``) shown as ``label (url)``: what a Markdown parser must
    see, or it would read ``<url|label>`` as one address."""
    return _unwrap_links(text)


def slack_text(text: str) -> str:
    """Someone else's text as Slack mrkdwn that shows it literally and pings nobody.

    Slack parses only ``<…>`` for mentions, broadcasts and links, so escaping ``<`` turns each
    into visible text. Bare ``@channel`` is not a broadcast in a message posted through the Web
    API (``link_names`` is off), so it needs nothing.
    """
    text = _unwrap_links(clean_unicode(text))
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;")


def slack_link(url: str | None, label: str) -> str:
    """``<url|label>`` for an http(s) URL, else the label alone; neither can break out of it."""
    shown = clean_unicode(label).replace("&", "&amp;").replace("|", "¦").replace("<", "‹").replace(">", "›")
    shown = " ".join(shown.split()) or "source"
    url = web_url(url)
    if url:
        return f"<{url.replace('&', '&amp;')}|{shown}>"
    return shown


def teams_text(text: str) -> str:
    """Someone else's text for an Adaptive Card ``TextBlock`` (which renders a Markdown subset).

    Chat markup in angle brackets is shown with look-alike brackets, and a Markdown link shows
    its real target (``label (url)``) so a disguised link cannot pass for another.
    """
    text = _unwrap_links(clean_unicode(text)).replace("<", "‹").replace(">", "›")
    text = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    # what is left of a link cut short (by a length limit) must not close into one later
    return text.replace("](", "] (")
