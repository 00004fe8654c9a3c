"""The one rule for a link the assistant may show: an http(s) URL, nothing else.

A document's front matter, a crawled page's ``<link rel=canonical>``, a helpdesk article or a
replay file names the URL of a source, and every chat renderer and the console turn it into a
clickable link. ``javascript:``, ``data:``, ``file:`` or ``vbscript:`` there is stored XSS with
one click, so a source URL is kept only when ``web_url`` accepts it: at ingestion (the models
drop any other URL when built, so nothing else is stored or loaded) and again at render time.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["web_url"]

_WEB_URL = re.compile(r"^https?://[^\s<>|\"'`\\]+$", re.IGNORECASE)


def web_url(url: str | None) -> str | None:
    """``url`` (stripped) when it is an absolute http(s) URL with a host and nothing invisible or
    quoting in it; None otherwise."""
    if not url:
        return None
    url = url.strip()
    if not _WEB_URL.match(url) or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return url if parts.hostname else None
