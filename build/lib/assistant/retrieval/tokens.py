"""Word tokens for lexical matching: one tokenizer for indexing and querying."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "could", "did", "do", "does",
        "for", "from", "had", "has", "have", "how", "i", "i'm", "if", "in", "into", "is", "it", "it's",
        "its", "me", "my", "of", "on", "or", "our", "please", "so", "that", "the", "their", "them",
        "then", "there", "these", "this", "to", "us", "was", "we", "what", "when", "where", "which",
        "who", "why", "will", "with", "would", "you", "your",
    }
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords or possessive endings."""
    tokens = []
    for match in _WORD.finditer(text.lower()):
        token = match.group(0).replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        if token and token not in STOPWORDS:
            tokens.append(token)
    return tokens
