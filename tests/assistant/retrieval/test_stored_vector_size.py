"""A store filled by one embedding model is refused, with the way out, by another of a different
size: its vectors cannot be compared, and the index would otherwise fail on the first of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.models import Role

AGENT = {"actor": "agent-1", "role": Role.AGENT}


class _WiderEmbedder:
    """Another model's vectors: the bundled model's twice over (twice as long, unit length)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self._inner = inner

    @property
    def dimension(self) -> int:
        return 2 * self._inner.dimension

    @property
    def sentence_dimension(self) -> int:
        return self.dimension

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = await self._inner.embed(texts)
        return np.hstack([vectors, vectors]) / np.sqrt(2)


async def test_a_store_of_another_models_vectors_is_refused_with_the_way_out(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = build_assistant(settings, embedder=embedder, background_refit=False)
    await first.start()
    await first.teach("How long do payment links last?", "Payment links last 7 days.", **AGENT)
    await first.close()

    wider = build_assistant(settings, embedder=_WiderEmbedder(embedder), background_refit=False)
    size = embedder.dimension
    refused = rf"vectors of {size} numbers.*gives {2 * size}.*ASSISTANT_EMBEDDING_MODEL"
    with pytest.raises(ConfigurationError, match=refused):
        await wider.start()
    await wider.close()

    # The same model starts on it as before, and nothing was lost.
    again = build_assistant(settings, embedder=embedder, background_refit=False)
    await again.start()
    try:
        assert len(again.engine.active_items()) == 1
    finally:
        await again.close()


async def test_an_empty_store_takes_any_model(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    wider = build_assistant(settings, embedder=_WiderEmbedder(embedder), background_refit=False)
    await wider.start()
    try:
        await wider.teach("How long do payment links last?", "Payment links last 7 days.", **AGENT)
        assert len(wider.engine.active_items()) == 1
    finally:
        await wider.close()


async def test_another_instances_vectors_of_another_size_are_refused_through_the_feed(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    """Two instances on one store, one configured with another model: what the other stores
    reaches this one through the change feed and is refused with the same message."""
    ours = build_assistant(settings, embedder=embedder, background_refit=False)
    theirs = build_assistant(settings, embedder=_WiderEmbedder(embedder), background_refit=False)
    await ours.start()
    await theirs.start()
    try:
        await theirs.teach("How long do payment links last?", "Payment links last 7 days.", **AGENT)
        refused = rf"vectors of {2 * embedder.dimension} numbers.*gives {embedder.dimension}"
        with pytest.raises(ConfigurationError, match=refused):
            await ours.engine.sync()
        assert ours.engine.active_items() == []
    finally:
        await theirs.close()
        await ours.close()
