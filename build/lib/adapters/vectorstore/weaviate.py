"""``VectorStore`` on Weaviate (weaviate-client v4, async): for several instances and large corpora.

One collection per workspace (``WEAVIATE_COLLECTION``); it holds only active items, like the
embedded store, and keeps its data (``persistent`` is True), so instances do not re-upload the
corpus at start. Each object carries the item id, its match text, resolution key, kind and scope.

Search runs the two halves of the hybrid score as two filtered queries, a vector query and a BM25
query, so that each hit keeps its dense and lexical scores apart, exactly as the embedded store
returns them and as the ranking expects (a single fused ``hybrid`` score would not). The vectors
are the assistant's own (``self_provided``), so results match the embedded store; with
``vectorizer`` set (a Weaviate ``text2vec-*`` module), Weaviate computes them and the vector
query becomes ``near_text``.

Global items are stored with the scope ``GLOBAL_SCOPE`` because Weaviate filters cannot match a
missing property and an empty string cheaply; an account's question sees its scope and the global one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from weaviate import WeaviateAsyncClient, use_async_with_custom
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.data import DataObject
from weaviate.classes.init import Auth
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.exceptions import WeaviateBaseError
from weaviate.util import generate_uuid5

from assistant.errors import ServiceUnavailableError
from assistant.models import ItemKind
from assistant.ports import IndexEntry, IndexHit

GLOBAL_SCOPE = "*global*"
BATCH = 500
_RETURNED = ["item_id", "resolution_key", "kind", "scope"]


def scope_of(account: str | None) -> str:
    return GLOBAL_SCOPE if account is None else account


def object_id(item_id: str) -> str:
    """A stable UUID per item, so an upsert replaces and a removal needs no lookup."""
    return str(generate_uuid5(item_id))


def visible_to(account: str | None) -> Any:
    """The filter for what a question from ``account`` may see: global items and its own."""
    return Filter.by_property("scope").contains_any(sorted({GLOBAL_SCOPE, scope_of(account)}))


def properties_of(entry: IndexEntry) -> dict[str, Any]:
    return {
        "item_id": entry.item_id,
        "text": entry.text,
        "resolution_key": entry.resolution_key,
        "kind": ItemKind(entry.kind).value,
        "scope": scope_of(entry.account),
    }


def client_for(url: str, *, api_key: str | None, grpc_port: int) -> WeaviateAsyncClient:
    """An unconnected async client for ``url`` (``http(s)://host:port``) and its gRPC port."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or "localhost"
    return use_async_with_custom(
        http_host=host,
        http_port=parts.port or (443 if secure else 80),
        http_secure=secure,
        grpc_host=host,
        grpc_port=grpc_port,
        grpc_secure=secure,
        auth_credentials=Auth.api_key(api_key) if api_key else None,
    )


class WeaviateVectorStore:
    """Hybrid search over one Weaviate collection; pass a client from ``client_for``."""

    persistent = True

    def __init__(
        self, *, client: WeaviateAsyncClient, collection: str, vectorizer: str | None = None
    ) -> None:
        self._client = client
        self._name = collection
        self._vectorizer = vectorizer
        self._ready = False

    async def _collection(self) -> Any:
        if not self._ready:
            try:
                if not self._client.is_connected():
                    await self._client.connect()
                if not await self._client.collections.exists(self._name):
                    await self._client.collections.create(
                        self._name,
                        properties=[
                            Property(name="text", data_type=DataType.TEXT),
                            *(
                                Property(
                                    name=name,
                                    data_type=DataType.TEXT,
                                    tokenization=Tokenization.FIELD,
                                    skip_vectorization=True,
                                    index_searchable=False,
                                )
                                for name in _RETURNED
                            ),
                        ],
                        vector_config=self._vector_config(),
                    )
            except WeaviateBaseError as exc:
                raise ServiceUnavailableError("Weaviate is unavailable.") from exc
            self._ready = True
        return self._client.collections.get(self._name)

    def _vector_config(self) -> Any:
        if self._vectorizer is None:
            return Configure.Vectors.self_provided(
                vector_index_config=Configure.VectorIndex.hnsw(
                    distance_metric=VectorDistances.COSINE,
                )
            )
        module = getattr(Configure.Vectors, self._vectorizer.replace("-", "_"), None)
        if module is None:
            raise ServiceUnavailableError(f"Weaviate has no vectorizer called {self._vectorizer!r}.")
        return module(source_properties=["text"])

    async def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Batch import; an existing item is replaced (same UUID)."""
        collection = await self._collection()
        try:
            for start in range(0, len(entries), BATCH):
                objects = [
                    DataObject(
                        properties=properties_of(entry),
                        uuid=object_id(entry.item_id),
                        vector=None if self._vectorizer else np.asarray(entry.vector, float).tolist(),
                    )
                    for entry in entries[start : start + BATCH]
                ]
                result = await collection.data.insert_many(objects)
                if result.has_errors:
                    raise ServiceUnavailableError(
                        f"Weaviate refused {len(result.errors)} of {len(objects)} objects."
                    )
        except WeaviateBaseError as exc:
            raise ServiceUnavailableError("Weaviate is unavailable.") from exc

    async def remove(self, item_ids: Sequence[str]) -> None:
        collection = await self._collection()
        try:
            for start in range(0, len(item_ids), BATCH):
                ids = [object_id(i) for i in item_ids[start : start + BATCH]]
                await collection.data.delete_many(where=Filter.by_id().contains_any(ids))
        except WeaviateBaseError as exc:
            raise ServiceUnavailableError("Weaviate is unavailable.") from exc

    async def search(
        self, vector: np.ndarray, text: str, *, account: str | None, limit: int
    ) -> list[IndexHit]:
        collection = await self._collection()
        where = visible_to(account)
        metadata = MetadataQuery(distance=True, score=True)
        try:
            if self._vectorizer is None:
                dense = await collection.query.near_vector(
                    np.asarray(vector, float).tolist(),
                    limit=limit,
                    filters=where,
                    return_metadata=metadata,
                    return_properties=_RETURNED,
                )
            else:
                dense = await collection.query.near_text(
                    text, limit=limit, filters=where, return_metadata=metadata, return_properties=_RETURNED
                )
            lexical = await collection.query.bm25(
                text,
                limit=max(1, limit // 2),
                filters=where,
                return_metadata=metadata,
                return_properties=_RETURNED,
                include_vector=self._vectorizer is None,
            )
        except WeaviateBaseError as exc:
            raise ServiceUnavailableError("Weaviate is unavailable.") from exc
        query = np.asarray(vector, np.float32)
        return merge_hits(
            [(o.properties, 1.0 - float(o.metadata.distance or 0.0)) for o in dense.objects],
            [(o.properties, float(o.metadata.score or 0.0)) for o in lexical.objects],
            {
                o.properties["item_id"]: float(np.asarray(o.vector["default"], np.float32) @ query)
                for o in lexical.objects
                if isinstance(o.vector, dict) and "default" in o.vector
            },
        )

    async def count(self) -> int:
        collection = await self._collection()
        try:
            result = await collection.aggregate.over_all(total_count=True)
        except WeaviateBaseError as exc:
            raise ServiceUnavailableError("Weaviate is unavailable.") from exc
        return int(result.total_count or 0)

    async def close(self) -> None:
        await self._client.close()


def merge_hits(
    dense: Sequence[tuple[Any, float]],
    lexical: Sequence[tuple[Any, float]],
    lexical_dense: dict[str, float] | None = None,
) -> list[IndexHit]:
    """Join the vector and BM25 results by item, as the embedded store does: dense first.

    A BM25-only hit's dense score is computed here from its returned vector (``lexical_dense``),
    as the embedded store computes it; without one (a Weaviate vectorizer) it is 0.0.
    """
    lexical_dense = lexical_dense or {}
    found: dict[str, dict[str, Any]] = {}
    for properties, score in dense:
        found[properties["item_id"]] = {"properties": properties, "dense": score, "lexical": 0.0}
    for properties, score in lexical:
        slot = found.setdefault(
            properties["item_id"],
            {"properties": properties, "dense": lexical_dense.get(properties["item_id"], 0.0)},
        )
        slot["lexical"] = score
    hits = [
        IndexHit(
            item_id=item_id,
            resolution_key=slot["properties"]["resolution_key"],
            kind=ItemKind(slot["properties"]["kind"]),
            account=None if slot["properties"]["scope"] == GLOBAL_SCOPE else slot["properties"]["scope"],
            dense=slot["dense"],
            lexical=slot["lexical"],
        )
        for item_id, slot in found.items()
    ]
    hits.sort(key=lambda hit: hit.dense, reverse=True)
    return hits
