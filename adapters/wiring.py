"""The composition root: builds an Assistant from settings with the configured adapters.

The only place that chooses implementations; everything else receives them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.conversations import ConversationStore
from assistant.ports import Answerer, Embedder, VectorStore

if TYPE_CHECKING:  # the service pulls in the numeric stack: short CLI commands never need it
    from assistant.service import Assistant


def build_embedder(settings: Settings, *, lazy: bool = False) -> Embedder:
    """The configured sentence-transformers model (the bundled MiniLM by default) on the configured
    runtime; ``lazy`` loads it on the first text to embed (CLI commands that may never embed)."""
    from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        settings.embedding_model,
        lazy=lazy,
        runtime=settings.embedding_runtime,
        cache_dir=settings.model_cache_dir,
        inner_layer=settings.embedding_inner_layer,
    )


def build_answerer(settings: Settings) -> Answerer | None:
    """Claude when a key is set, else None (the core's offline answerer)."""
    if settings.anthropic_api_key is None:
        return None
    from adapters.llm.claude import ClaudeAnswerer

    return ClaudeAnswerer(
        api_key=settings.anthropic_api_key.get_secret_value(),
        model=settings.anthropic_model,
        base_url=settings.anthropic_base_url,
        timeout=settings.llm_timeout_seconds,
    )


def build_vectors(settings: Settings, dimension: int) -> VectorStore:
    """Weaviate when ``WEAVIATE_URL`` is set (persistent, shared by every instance), else the
    embedded index (filled from the store at start)."""
    if settings.weaviate_url is None:
        from adapters.vectorstore.embedded import EmbeddedVectorStore

        return EmbeddedVectorStore(dimension=dimension)
    from adapters.vectorstore.weaviate import WeaviateVectorStore, client_for

    key = settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
    return WeaviateVectorStore(
        client=client_for(settings.weaviate_url, api_key=key, grpc_port=settings.weaviate_grpc_port),
        collection=settings.weaviate_collection,
        vectorizer=settings.weaviate_vectorizer,
    )


def build_assistant(
    settings: Settings, *, embedder: Embedder | None = None, background_refit: bool = True
) -> Assistant:
    """An assistant on the configured store, vector index and answerer."""
    from adapters.storage.sql import SqlKnowledgeStore
    from assistant.service import Assistant

    embedder = embedder or build_embedder(settings)
    return Assistant(
        settings=settings,
        store=SqlKnowledgeStore(settings.database_url),
        vectors=build_vectors(settings, embedder.sentence_dimension),
        embedder=embedder,
        answerer=build_answerer(settings),
        background_refit=background_refit,
    )


def build_conversation_store(settings: Settings) -> ConversationStore:
    """Chat adapters' conversation state, in the same database as the knowledge store."""
    from adapters.storage.sql.conversations import SqlConversationStore

    return SqlConversationStore(settings.database_url)
