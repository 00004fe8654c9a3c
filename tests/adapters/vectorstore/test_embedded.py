"""The embedded vector store: hybrid hits, account filtering, removal and growth."""

import numpy as np

from adapters.vectorstore.embedded import EmbeddedVectorStore
from assistant.models import ItemKind
from assistant.ports import IndexEntry


def _unit(seed: int, dim: int = 8) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _entry(item_id: str, seed: int, text: str, account: str | None = None) -> IndexEntry:
    return IndexEntry(item_id, _unit(seed), text, f"key-{item_id}", ItemKind.RESOLUTION, account)


async def test_private_items_are_seen_only_by_their_account() -> None:
    store = EmbeddedVectorStore(dimension=8, initial_capacity=2)
    await store.upsert([_entry("a", 1, "refund policy"), _entry("b", 2, "secret acme terms", account="acme")])
    await store.upsert([_entry("c", 3, "globex terms", account="globex")])
    as_acme = {hit.item_id for hit in await store.search(_unit(2), "terms", account="acme", limit=10)}
    as_globex = {hit.item_id for hit in await store.search(_unit(2), "terms", account="globex", limit=10)}
    as_nobody = {hit.item_id for hit in await store.search(_unit(2), "terms", account=None, limit=10)}
    assert as_acme == {"a", "b"}
    assert as_globex == {"a", "c"}
    assert as_nobody == {"a"}
    assert await store.count() == 3


async def test_hits_carry_dense_and_lexical_scores_best_first() -> None:
    store = EmbeddedVectorStore(dimension=8)
    await store.upsert([_entry("a", 1, "refund an invoice"), _entry("b", 2, "connect xero")])
    hits = await store.search(_unit(1), "refund", account=None, limit=5)
    assert hits[0].item_id == "a"
    assert abs(hits[0].dense - 1.0) < 1e-5
    assert hits[0].lexical > 0
    assert hits[1].lexical == 0


async def test_removed_items_are_never_returned_and_slots_are_reused() -> None:
    store = EmbeddedVectorStore(dimension=8)
    await store.upsert([_entry("a", 1, "one"), _entry("b", 2, "two")])
    await store.remove(["a", "missing"])
    assert [h.item_id for h in await store.search(_unit(1), "one", account=None, limit=5)] == ["b"]
    await store.upsert([_entry("c", 3, "three")])
    assert await store.count() == 2
