"""An answer's text as a reader will see it: one normal form, no invisible characters.

A hostile model can hide a forbidden string from a check with characters a chat client drops
or folds when it renders: zero-width spaces inside the system prompt, bidi overrides, fullwidth
letters (``ｅｖｉｌ．ｅｘａｍｐｌｅ`` is shown, and autolinked, as ``evil.example``). The output check
and the text that is posted must therefore be the same string: ``visible_text`` applies NFKC and
drops bidi controls, zero-width and other format or control characters (keeping newlines and
tabs). The chat renderers (``adapters.markup``) drop the same ``INVISIBLE`` set, so this module is
the one list of what is invisible.
"""

from __future__ import annotations

import unicodedata

__all__ = ["INVISIBLE", "KEPT_CONTROLS", "strip_invisible", "visible_text"]

# Bidi embeddings, overrides and isolates; zero-width spaces, joiners and the BOM; the word
# joiner and invisible operators; the Mongolian vowel separator; the soft hyphen.
INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad"
)
KEPT_CONTROLS = frozenset("\n\t")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def strip_invisible(text: str) -> str:
    """``text`` without invisible formatting or control characters; ``\\r\\n`` becomes ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in KEPT_CONTROLS
        or (ch not in INVISIBLE and unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    )


def visible_text(text: str) -> str:
    """``text`` in the form a chat client shows it: NFKC-normalised, invisible characters dropped.

    Dropping can join what NFKC kept apart (and NFKC can produce new format characters), so the
    two steps run until the text no longer changes (at most a few rounds).
    """
    for _ in range(4):
        shown = strip_invisible(unicodedata.normalize("NFKC", text))
        if shown == text:
            break
        text = shown
    return text
