"""The Weaviate adapter's pure parts (ids, scope filter, merging of the two result lists), and its
wiring. Its behaviour against a server is in tests/contract, which runs when WEAVIATE_URL is set."""

from __future__ import annotations

from adapters.vectorstore.weaviate import GLOBAL_SCOPE, WeaviateVectorStore, merge_hits, object_id, visible_to
from adapters.wiring import build_vectors
from assistant.config import load_settings
from assistant.models import ItemKind
from assistant.ports import VectorStore


def props(item_id: str, scope: str = GLOBAL_SCOPE) -> dict[str, str]:
    return {"item_id": item_id, "resolution_key": f"key-{item_id}", "kind": "resolution", "scope": scope}


def test_object_ids_are_stable_uuids() -> None:
    assert object_id("kn_1") == object_id("kn_1") != object_id("kn_2")
    assert len(object_id("kn_1")) == 36


def test_the_scope_filter_names_global_and_the_account() -> None:
    assert set(visible_to("acme").value) == {GLOBAL_SCOPE, "acme"}  # type: ignore[attr-defined]
    assert list(visible_to(None).value) == [GLOBAL_SCOPE]  # type: ignore[attr-defined]


def test_merge_keeps_dense_and_lexical_apart_dense_first() -> None:
    hits = merge_hits(
        [(props("a"), 0.9), (props("b", "acme"), 0.5)],
        [(props("b", "acme"), 3.0), (props("c"), 2.0)],
        {"b": 0.5, "c": 0.2},
    )
    assert [(h.item_id, h.dense, h.lexical) for h in hits] == [
        ("a", 0.9, 0.0),
        ("b", 0.5, 3.0),
        ("c", 0.2, 2.0),
    ]
    assert hits[1].account == "acme" and hits[0].account is None
    assert hits[0].kind is ItemKind.RESOLUTION


def test_wiring_chooses_weaviate_only_when_a_url_is_set() -> None:
    embedded = build_vectors(load_settings(weaviate_url=None), 8)
    assert not embedded.persistent
    weaviate = build_vectors(load_settings(weaviate_url="http://127.0.0.1:1", weaviate_grpc_port=2), 8)
    assert isinstance(weaviate, WeaviateVectorStore) and weaviate.persistent
    assert isinstance(weaviate, VectorStore)
