"""The ``VectorStore`` protocol on every vector backend: upsert, remove, search with scope, count."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import numpy as np
import pytest

from adapters.vectorstore.embedded import EmbeddedVectorStore
from assistant.models import ItemKind
from assistant.ports import IndexEntry, VectorStore
from tests.contract.conftest import NO_WEAVIATE, WEAVIATE_URL, _drop_collection

DIMENSION = 8


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIMENSION).astype(np.float32)
    return vector / np.linalg.norm(vector)


def entry(item_id: str, seed: int, text: str, account: str | None = None) -> IndexEntry:
    return IndexEntry(
        item_id=item_id,
        vector=unit(seed),
        text=text,
        resolution_key=f"key-{item_id}",
        kind=ItemKind.RESOLUTION,
        account=account,
    )


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("weaviate", marks=pytest.mark.skipif(WEAVIATE_URL is None, reason=NO_WEAVIATE)),
    ]
)
async def vectors(request: pytest.FixtureRequest) -> AsyncIterator[VectorStore]:
    if request.param == "embedded":
        yield EmbeddedVectorStore(dimension=DIMENSION, initial_capacity=2)
        return
    from adapters.vectorstore.weaviate import WeaviateVectorStore, client_for

    assert WEAVIATE_URL is not None
    name = f"Contract{uuid.uuid4().hex}"
    client = client_for(
        WEAVIATE_URL,
        api_key=os.environ.get("WEAVIATE_API_KEY"),
        grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
    )
    store = WeaviateVectorStore(client=client, collection=name)
    try:
        yield store
    finally:
        await store.close()
        await _drop_collection(name)


async def test_satisfies_the_protocol(vectors: VectorStore) -> None:
    assert isinstance(vectors, VectorStore)


async def test_upsert_search_and_count(vectors: VectorStore) -> None:
    await vectors.upsert([entry("a", 1, "refund a card payment"), entry("b", 2, "export invoices to csv")])
    assert await vectors.count() == 2
    hits = await vectors.search(unit(1), "refund", account=None, limit=5)
    assert hits[0].item_id == "a"
    assert hits[0].dense == pytest.approx(1.0, abs=1e-4)
    assert hits[0].resolution_key == "key-a"
    assert hits[0].kind is ItemKind.RESOLUTION
    by_id = {hit.item_id: hit for hit in hits}
    assert by_id["a"].lexical > 0.0
    assert by_id.get("b") is None or by_id["b"].lexical == 0.0


async def test_upsert_replaces_and_remove_forgets(vectors: VectorStore) -> None:
    await vectors.upsert([entry("a", 1, "refund a card payment")])
    await vectors.upsert([entry("a", 3, "refund a card payment")])
    assert await vectors.count() == 1
    hits = await vectors.search(unit(3), "refund", account=None, limit=5)
    assert hits[0].dense == pytest.approx(1.0, abs=1e-4)
    await vectors.remove(["a", "missing"])
    assert await vectors.count() == 0
    assert await vectors.search(unit(3), "refund", account=None, limit=5) == []


async def test_search_sees_global_and_own_account_only(vectors: VectorStore) -> None:
    await vectors.upsert(
        [
            entry("global", 1, "payment terms"),
            entry("acme", 2, "payment terms acme", account="acme"),
            entry("globex", 3, "payment terms globex", account="globex"),
        ]
    )
    seen = {hit.item_id for hit in await vectors.search(unit(2), "payment terms", account="acme", limit=10)}
    assert seen == {"global", "acme"}
    anonymous = await vectors.search(unit(2), "payment terms", account=None, limit=10)
    assert {hit.item_id for hit in anonymous} == {"global"}
    assert {hit.account for hit in await vectors.search(unit(3), "terms", account="globex", limit=10)} == {
        None,
        "globex",
    }


async def test_limit_is_respected_for_dense_hits(vectors: VectorStore) -> None:
    await vectors.upsert([entry(f"i{n}", n, f"text {n}") for n in range(10)])
    hits = await vectors.search(unit(4), "nothing matches this", account=None, limit=3)
    assert len(hits) == 3
    assert hits[0].item_id == "i4"
