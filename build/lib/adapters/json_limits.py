"""How deep a JSON body from a chat platform may nest, checked before anything parses it.

Python's JSON decoder, and everything that walks a decoded body (the SDKs, the inbox's
redaction, the SQL JSON column), recurse once per level: ``[`` × 5,000 is a ``RecursionError``,
which the web server turns into a 500 with a traceback. No Slack or Bot Framework payload nests
more than a few dozen levels, so a body deeper than ``MAX_JSON_DEPTH`` is refused with a 400
before it is parsed. The scan is linear and looks only at brackets and quotes.
"""

from __future__ import annotations

import re

__all__ = ["MAX_JSON_DEPTH", "json_too_deep"]

MAX_JSON_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON ``text`` opens more than ``limit`` arrays or objects inside each other
    (brackets inside strings do not count). Malformed JSON is left to the parser to refuse."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group(0) in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth = max(depth - 1, 0)
    return False
