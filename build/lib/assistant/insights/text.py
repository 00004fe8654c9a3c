"""Text helpers shared by the analyses: vectors for grouping, keywords, short titles, time buckets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from assistant.insights.records import ConversationRecord
from assistant.retrieval.tokens import tokenize

#: Words too common in support messages to name a topic by.
FILLER = frozenset(
    {
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "any",
        "anyone",
        "been",
        "being",
        "cannot",
        "get",
        "getting",
        "got",
        "hello",
        "help",
        "hey",
        "hi",
        "just",
        "know",
        "like",
        "need",
        "not",
        "now",
        "one",
        "some",
        "still",
        "thank",
        "thanks",
        "tell",
        "there's",
        "want",
        "way",
        "while",
        "yes",
        "no",
        "i'd",
        "i've",
        "can't",
        "don't",
        "doesn't",
        "isn't",
        "won't",
        "we're",
        "you're",
        "should",
        "than",
        "too",
        "very",
        "more",
        "only",
        "other",
        "same",
        "out",
        "up",
        "down",
    }
)

_HASHING = HashingVectorizer(n_features=2**12, ngram_range=(1, 2), alternate_sign=False, norm="l2")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def vectors(records: Sequence[ConversationRecord]) -> np.ndarray:
    """Unit vectors of the records: their embeddings, or hashed word n-grams when any lacks one.

    Hashed n-grams are a fallback for stores without an embedder; they only group near-identical
    wordings.
    """
    if not records:
        return np.zeros((0, 1), dtype=np.float32)
    if all(r.embedding is not None for r in records):
        matrix = np.vstack([np.asarray(r.embedding, dtype=np.float32) for r in records])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1.0, norms)
    hashed = _HASHING.transform([r.text for r in records])
    return np.asarray(hashed.toarray(), dtype=np.float32)


def keywords(texts: Sequence[str], background: Counter[str] | None = None, limit: int = 4) -> list[str]:
    """The words that best characterise ``texts``: frequent in them, rarer in ``background``."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({t for t in tokenize(text) if len(t) > 2 and t not in FILLER and not t.isdigit()})
    if not counts:
        return []
    total = max(sum(background.values()), 1) if background else 1

    def weight(word: str) -> float:
        if not background:
            return float(counts[word])
        share = (background.get(word, 0) + 1) / total
        return counts[word] / (share**0.5)

    ranked = sorted(counts, key=lambda w: (-weight(w), w))
    return [w for w in ranked if counts[w] >= min(2, len(texts))][:limit] or ranked[:limit]


def word_counts(texts: Sequence[str]) -> Counter[str]:
    """Document frequencies of words, the ``background`` of ``keywords``."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(tokenize(text)))
    return counts


def headline(text: str, limit: int = 90) -> str:
    """The first sentence of ``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    first = _SENTENCE_END.split(flat, maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in ``zone``."""
    return moment.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    """``2026-W07``: the ISO week of ``day``, the key of weekly runs."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
