"""The message classifier: is a message a bug report, a feature request, a question or other?

TF-IDF of word 1–2-grams and character 2–5-grams (character n-grams carry short chat messages,
typos and identifiers), optionally with the message's sentence embedding appended, into a
multinomial logistic regression (scikit-learn). Trained on labelled issues (NLBSE'24), on a few
built-in chat examples (``seed_examples``) and on engineers' labels, each with its weight.

The trained model is persisted as plain numpy arrays (``to_bytes``/``from_bytes``, an ``.npz``
read with ``allow_pickle=False``), never as a pickle: the bytes live in the database, and loading
them must not be able to run code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from assistant.errors import InvalidInputError
from assistant.insights.records import MessageLabel

WORD_PARAMS: dict[str, Any] = {"ngram_range": (1, 2), "sublinear_tf": True, "lowercase": True}
CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
    "lowercase": True,
}
MAX_WORD_FEATURES = 60_000
MAX_CHAR_FEATURES = 120_000
MAX_CHARS = 3000
FORMAT_VERSION = 1

_CODE_BLOCK = re.compile(r"```.*?```", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_URL = re.compile(r"https?://\S+")


def clean_text(text: str) -> str:
    """What the classifier reads: no code blocks, comments or URLs, at most ``MAX_CHARS``."""
    text = _HTML_COMMENT.sub(" ", _CODE_BLOCK.sub(" ", text))
    return _URL.sub(" ", text)[:MAX_CHARS]


def issue_text(title: str, body: str) -> str:
    """An issue as one message; the title twice, as it says the most."""
    return f"{title}\n{title}\n{body}"


@dataclass(frozen=True, slots=True)
class Example:
    """One training message."""

    text: str
    label: MessageLabel
    weight: float = 1.0


class MessageClassifier:
    """A trained classifier; build one with ``train`` or ``from_bytes``."""

    def __init__(
        self,
        *,
        word: TfidfVectorizer,
        char: TfidfVectorizer,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        embedding_weight: float,
        embedding_dimension: int,
    ) -> None:
        self._word = word
        self._char = char
        self._coef = np.asarray(coef, dtype=np.float64)
        self._intercept = np.asarray(intercept, dtype=np.float64)
        self.classes = tuple(MessageLabel(c) for c in classes)
        self.embedding_weight = embedding_weight
        self.embedding_dimension = embedding_dimension

    @property
    def uses_embeddings(self) -> bool:
        return self.embedding_dimension > 0

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        embeddings: np.ndarray | None = None,
        embedding_weight: float = 0.5,
        regularisation: float = 10.0,
    ) -> MessageClassifier:
        """Fit on ``examples`` (and their embeddings, one row each, when given)."""
        labels = {e.label for e in examples}
        if len(labels) < 2:
            raise InvalidInputError("The classifier needs examples of at least two kinds of message.")
        texts = [clean_text(e.text) for e in examples]
        word = TfidfVectorizer(
            **WORD_PARAMS, min_df=2 if len(texts) > 200 else 1, max_features=MAX_WORD_FEATURES
        )
        char = TfidfVectorizer(
            **CHAR_PARAMS, min_df=2 if len(texts) > 200 else 1, max_features=MAX_CHAR_FEATURES
        )
        blocks = [word.fit_transform(texts), char.fit_transform(texts)]
        dimension = 0
        if embeddings is not None:
            if len(embeddings) != len(examples):
                raise InvalidInputError("One embedding per training example is needed.")
            dimension = int(embeddings.shape[1])
            blocks.append(sp.csr_matrix(np.asarray(embeddings, dtype=np.float64) * embedding_weight))
        features = sp.hstack(blocks).tocsr()
        model = LogisticRegression(C=regularisation, max_iter=3000)
        # L-BFGS makes many tiny BLAS calls: threaded BLAS only adds contention (100× slower on 2 cores).
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(features, [e.label.value for e in examples], sample_weight=[e.weight for e in examples])
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # binary: sklearn keeps one row; make it a two-class softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(
            word=word,
            char=char,
            coef=coef,
            intercept=intercept,
            classes=[str(c) for c in model.classes_],
            embedding_weight=embedding_weight,
            embedding_dimension=dimension,
        )

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Probabilities, one row per text, columns in ``classes`` order.

        Without embeddings a model trained with them reads them as zeros (a weaker guess).
        """
        if not texts:
            return np.zeros((0, len(self.classes)))
        cleaned = [clean_text(t) for t in texts]
        blocks = [self._word.transform(cleaned), self._char.transform(cleaned)]
        if self.uses_embeddings:
            dense = np.zeros((len(texts), self.embedding_dimension))
            if embeddings is not None and embeddings.shape[1] == self.embedding_dimension:
                dense = np.asarray(embeddings, dtype=np.float64) * self.embedding_weight
            blocks.append(sp.csr_matrix(dense))
        scores = sp.hstack(blocks).tocsr() @ self._coef.T + self._intercept
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def probability_of(
        self, label: MessageLabel, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """P(label) for each text (zeros when the model never saw that label)."""
        if label not in self.classes:
            return np.zeros(len(texts))
        return self.predict_proba(texts, embeddings)[:, self.classes.index(label)]

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[MessageLabel]:
        probabilities = self.predict_proba(texts, embeddings)
        return [self.classes[int(i)] for i in np.argmax(probabilities, axis=1)]

    # persistence

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format_version=np.array(FORMAT_VERSION),
            word_terms=_terms(self._word),
            word_idf=self._word.idf_,
            char_terms=_terms(self._char),
            char_idf=self._char.idf_,
            coef=self._coef,
            intercept=self._intercept,
            classes=np.array([c.value for c in self.classes]),
            embedding_weight=np.array(self.embedding_weight),
            embedding_dimension=np.array(self.embedding_dimension),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> MessageClassifier:
        try:
            with np.load(io.BytesIO(payload), allow_pickle=False) as data:
                if int(data["format_version"]) != FORMAT_VERSION:
                    raise InvalidInputError("The stored classifier has an unknown format; train it again.")
                return cls(
                    word=_vectorizer(WORD_PARAMS, data["word_terms"], data["word_idf"]),
                    char=_vectorizer(CHAR_PARAMS, data["char_terms"], data["char_idf"]),
                    coef=data["coef"],
                    intercept=data["intercept"],
                    classes=[str(c) for c in data["classes"]],
                    embedding_weight=float(data["embedding_weight"]),
                    embedding_dimension=int(data["embedding_dimension"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise InvalidInputError("The stored classifier cannot be read; train it again.") from exc


def _terms(vectorizer: TfidfVectorizer) -> np.ndarray:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return np.array(terms, dtype=str)


def _vectorizer(params: dict[str, Any], terms: np.ndarray, idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params, vocabulary={str(t): i for i, t in enumerate(terms)})
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer
