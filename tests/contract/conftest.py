"""The backends every contract test runs on, as one parametrised fixture.

* ``sqlite``: SQLite file + the embedded vector index (always runs);
* ``postgres``: PostgreSQL + the embedded index (skips, naming the URL, when no server answers);
* ``weaviate``: PostgreSQL + Weaviate at ``WEAVIATE_URL`` (skips when it is unset: no
  Weaviate server runs in CI; nothing stands in for it).

Each test gets a fresh database (and a fresh Weaviate collection, dropped afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import Settings, load_settings
from assistant.service import Assistant
from tests.postgres import fresh_database

WEAVIATE_URL = os.environ.get("WEAVIATE_URL")
NO_WEAVIATE = "WEAVIATE_URL is not set: no Weaviate server to run the Weaviate backend against"

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("weaviate", marks=pytest.mark.skipif(WEAVIATE_URL is None, reason=NO_WEAVIATE)),
]


@dataclass
class Backend:
    """Builds started assistants on one backend; every assistant built shares its store."""

    name: str
    settings: Settings
    embedder: SentenceTransformerEmbedder
    started: list[Assistant] = field(default_factory=list)

    async def assistant(self, **overrides: object) -> Assistant:
        settings = self.settings.model_copy(update=overrides) if overrides else self.settings
        service = build_assistant(settings, embedder=self.embedder, background_refit=False)
        await service.start()
        self.started.append(service)
        return service

    async def close(self) -> None:
        for service in self.started:
            await service.close()


async def _drop_collection(name: str) -> None:
    from adapters.vectorstore.weaviate import client_for

    assert WEAVIATE_URL is not None
    client = client_for(
        WEAVIATE_URL,
        api_key=os.environ.get("WEAVIATE_API_KEY"),
        grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
    )
    await client.connect()
    try:
        await client.collections.delete(name)
    finally:
        await client.close()


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> AsyncIterator[Backend]:
    overrides: dict[str, object] = {"anthropic_api_key": None, "sync_seconds": 0.0}
    collection = None
    if request.param == "weaviate":
        collection = f"Contract{uuid.uuid4().hex}"
        overrides |= {"weaviate_url": WEAVIATE_URL, "weaviate_collection": collection}
    if request.param == "sqlite":
        url_context = None
        overrides["database_url"] = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    else:
        url_context = fresh_database()
        overrides["database_url"] = await url_context.__aenter__()
    backend = Backend(name=request.param, settings=load_settings(**overrides), embedder=embedder)
    try:
        yield backend
    finally:
        await backend.close()
        if collection is not None:
            await _drop_collection(collection)
        if url_context is not None:
            await url_context.__aexit__(None, None, None)
