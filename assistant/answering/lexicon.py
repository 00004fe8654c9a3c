"""The words of a question as features of the resolution head, beside its embedding (issue 20).

Close intents ("set an alarm", "remove an alarm") sit close together in the embedding space, where
one word tells them apart. The head is therefore fitted over the embedding and the question's
words and word pairs (sublinear TF-IDF, one unit-length row per text, scaled by
``LEXICAL_WEIGHT`` against the unit-length embedding). Words help where a resolution is asked for
in many like wordings and overfit where each has a handful of varied examples, so the head weighs
them only once its own examples show they help (``head.choose_features``; figures in the
README, "Words in the head").

The vocabulary is made from the examples' own texts each time the head judges whether words help
(when its examples have doubled), so it follows what was learned; a term must occur in two
examples to count, and only the ``MAX_TERMS`` most frequent are kept (each costs a weight per
resolution in every refit; replayed, 2,000 answer as well as 10,000, and clinc150's learning arm
takes 214 s instead of 235).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["LEXICAL_WEIGHT", "MAX_TERMS", "Lexicon", "fit_lexicon"]

LEXICAL_WEIGHT = 0.5
MAX_TERMS = 2_000


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A fitted vocabulary: texts to weighted sparse rows, one column per term."""

    vectorizer: TfidfVectorizer
    weight: float
    analyse: Callable[[str], list[str]]  # the vectorizer's own tokenizer and n-grams

    @property
    def size(self) -> int:
        return len(self.vectorizer.vocabulary_)

    @property
    def terms(self) -> dict[str, int]:
        """Each term's column."""
        return dict(self.vectorizer.vocabulary_)

    def rows(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return sparse.csr_matrix(self.vectorizer.transform(texts) * self.weight, dtype=np.float32)

    def row(self, text: str) -> sparse.csr_matrix:
        """``rows([text])`` for one question, as the head ranks each: the batch transform's fixed
        cost (0.37 ms) was most of what the words cost a question."""
        vocabulary = self.vectorizer.vocabulary_
        counts = Counter(vocabulary[term] for term in self.analyse(text) if term in vocabulary)
        columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        tf = np.array([counts[column] for column in columns], dtype=np.float64)
        values = (np.log(tf) + 1.0) * self.vectorizer.idf_[columns]  # sublinear tf, idf
        norm = float(np.sqrt((values**2).sum()))
        if norm > 0:
            values *= self.weight / norm
        shape = (1, len(vocabulary))
        return sparse.csr_matrix(
            (values.astype(np.float32), columns, np.array([0, len(columns)])), shape=shape
        )


def fit_lexicon(texts: Sequence[str], *, weight: float = LEXICAL_WEIGHT) -> Lexicon | None:
    """The vocabulary of these texts; None when words are off (``weight`` 0) or none recurs."""
    if weight <= 0 or len(texts) < 2:
        return None
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=MAX_TERMS)
    try:
        vectorizer.fit(texts)
    except ValueError:  # no term occurs in two texts
        return None
    return Lexicon(vectorizer, weight, vectorizer.build_analyzer())
