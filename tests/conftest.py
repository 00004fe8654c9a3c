"""Fixtures shared across the suite: the real offline embedder and a real SQLite-backed assistant."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import DEFAULT_INNER_LAYER, Settings, default_database_url_for, load_settings
from assistant.service import Assistant

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The bundled MiniLM model with the product's default inner layer, loaded once per session
    (it takes seconds)."""
    return SentenceTransformerEmbedder(inner_layer=DEFAULT_INNER_LAYER)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file, with no Claude key whatever the environment says."""
    return load_settings(
        database_url=default_database_url_for(tmp_path / "assistant.db"), anthropic_api_key=None
    )


@pytest.fixture
async def assistant(settings: Settings, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Assistant]:
    """A started assistant on real SQLite, the embedded index and the real embedder."""
    service = build_assistant(settings, embedder=embedder, background_refit=False)
    await service.start()
    try:
        yield service
    finally:
        await service.close()
