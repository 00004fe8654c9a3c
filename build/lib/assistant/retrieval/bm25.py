"""An incremental BM25 index, the lexical half of hybrid search.

Documents are added and removed one at a time as knowledge changes, so the index keeps posting
lists rather than a matrix that would need rebuilding.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from assistant.retrieval.tokens import tokenize


class Bm25Index:
    """BM25 (Okapi) over integer document slots."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self._k1 = k1
        self._b = b
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, list[str]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, slot: int, text: str) -> None:
        """Index ``text`` under ``slot``, replacing what the slot held."""
        if slot in self._lengths:
            self.remove(slot)
        counts = Counter(tokenize(text))
        for term, tf in counts.items():
            self._postings[term][slot] = tf
        length = sum(counts.values())
        self._lengths[slot] = length
        self._terms[slot] = list(counts)
        self._total_length += length

    def remove(self, slot: int) -> None:
        """Forget a slot; unknown slots are ignored."""
        if slot not in self._lengths:
            return
        for term in self._terms.pop(slot):
            postings = self._postings[term]
            postings.pop(slot, None)
            if not postings:
                del self._postings[term]
        self._total_length -= self._lengths.pop(slot)

    def scores(self, text: str) -> dict[int, float]:
        """BM25 score of every slot sharing at least one term with ``text``."""
        n = len(self._lengths)
        if n == 0:
            return {}
        avg_length = self._total_length / n or 1.0
        result: dict[int, float] = defaultdict(float)
        for term in set(tokenize(text)):
            postings = self._postings.get(term)
            if not postings:
                continue
            df = len(postings)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            for slot, tf in postings.items():
                norm = self._k1 * (1.0 - self._b + self._b * self._lengths[slot] / avg_length)
                result[slot] += idf * tf * (self._k1 + 1.0) / (tf + norm)
        return result
