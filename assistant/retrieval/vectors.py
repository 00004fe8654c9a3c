"""The two parts of an embedding: the sentence embedding, and an inner layer's features after it.

Similarities (the index, novelty, the teacher's "same question" and "same answer", insights)
compare sentence embeddings alone; the resolution head gets the whole vector and judges whether
the inner layer helps (``ResolutionHead(judged_tail=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.ports import Embedder


def sentence_part(vectors: np.ndarray, width: int) -> np.ndarray:
    """The first ``width`` numbers of each vector (one vector or rows of them), unit length again."""
    if vectors.shape[-1] == width:
        return vectors
    part = vectors[..., :width]
    norms = np.linalg.norm(part, axis=-1, keepdims=True)
    result: np.ndarray = part / np.clip(norms, 1e-12, None)
    return result


class SentenceEmbedder:
    """An embedder seen through its sentence embeddings alone, for code that only compares
    meanings (insights): its vectors keep their size whether an inner layer is on or not."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    @property
    def dimension(self) -> int:
        return self._embedder.sentence_dimension

    @property
    def sentence_dimension(self) -> int:
        return self._embedder.sentence_dimension

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return sentence_part(await self._embedder.embed(texts), self._embedder.sentence_dimension)


def sentence_embedder(embedder: Embedder) -> Embedder:
    """``embedder`` when it gives sentence embeddings alone, else a view that does."""
    if embedder.dimension == embedder.sentence_dimension:
        return embedder
    return SentenceEmbedder(embedder)
