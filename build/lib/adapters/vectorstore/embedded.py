"""The default vector store: exact dense search with numpy plus BM25, in process.

It holds only active items and is filled from the knowledge store at start (``persistent`` is
False), so the database stays the one durable copy. Exact search is fast enough to ~100k items.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.models import ItemKind
from assistant.ports import IndexEntry, IndexHit
from assistant.retrieval.bm25 import Bm25Index

_GLOBAL = 0


class EmbeddedVectorStore:
    """Hybrid search over a growable matrix of unit vectors."""

    persistent = False

    def __init__(self, *, dimension: int, initial_capacity: int = 1024) -> None:
        self._dimension = dimension
        self._matrix = np.zeros((initial_capacity, dimension), dtype=np.float32)
        self._alive = np.zeros(initial_capacity, dtype=bool)
        self._scope = np.zeros(initial_capacity, dtype=np.int32)
        self._slots: dict[str, int] = {}
        self._entries: list[IndexEntry | None] = []
        self._free: list[int] = []
        self._account_codes: dict[str, int] = {}
        self._lexical = Bm25Index()

    async def upsert(self, entries: Sequence[IndexEntry]) -> None:
        for entry in entries:
            slot = self._slots.get(entry.item_id)
            if slot is None:
                slot = self._free.pop() if self._free else self._append_slot()
                self._slots[entry.item_id] = slot
            self._matrix[slot] = entry.vector
            self._alive[slot] = True
            self._scope[slot] = self._code(entry.account)
            self._entries[slot] = entry
            self._lexical.add(slot, entry.text)

    async def remove(self, item_ids: Sequence[str]) -> None:
        for item_id in item_ids:
            slot = self._slots.pop(item_id, None)
            if slot is None:
                continue
            self._alive[slot] = False
            self._entries[slot] = None
            self._lexical.remove(slot)
            self._free.append(slot)

    async def search(
        self, vector: np.ndarray, text: str, *, account: str | None, limit: int
    ) -> list[IndexHit]:
        used = len(self._entries)
        if used == 0:
            return []
        visible = self._alive[:used] & (
            (self._scope[:used] == _GLOBAL)
            | (self._scope[:used] == self._account_codes.get(account or "", -1))
        )
        dense = self._matrix[:used] @ vector.astype(np.float32)
        dense_masked = np.where(visible, dense, -np.inf)
        count = int(visible.sum())
        if count == 0:
            return []
        k = min(limit, count)
        top = np.argpartition(-dense_masked, k - 1)[:k]
        lexical = {slot: score for slot, score in self._lexical.scores(text).items() if visible[slot]}
        lexical_top = sorted(lexical, key=lexical.__getitem__, reverse=True)[: max(1, limit // 2)]
        slots = dict.fromkeys([int(s) for s in top] + lexical_top)
        hits = []
        for slot in slots:
            entry = self._entries[slot]
            assert entry is not None
            hits.append(
                IndexHit(
                    item_id=entry.item_id,
                    resolution_key=entry.resolution_key,
                    kind=entry.kind,
                    account=entry.account,
                    dense=float(dense[slot]),
                    lexical=float(lexical.get(slot, 0.0)),
                )
            )
        hits.sort(key=lambda hit: hit.dense, reverse=True)
        return hits

    async def count(self) -> int:
        return len(self._slots)

    async def close(self) -> None:
        return None

    def kinds(self) -> dict[ItemKind, int]:
        """How many passages and resolutions are indexed, for health and stats."""
        counts = dict.fromkeys(ItemKind, 0)
        for entry in self._entries:
            if entry is not None:
                counts[entry.kind] += 1
        return counts

    def _append_slot(self) -> int:
        slot = len(self._entries)
        if slot >= self._matrix.shape[0]:
            grow = self._matrix.shape[0]
            self._matrix = np.vstack([self._matrix, np.zeros((grow, self._dimension), dtype=np.float32)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, dtype=bool)])
            self._scope = np.concatenate([self._scope, np.zeros(grow, dtype=np.int32)])
        self._entries.append(None)
        return slot

    def _code(self, account: str | None) -> int:
        if account is None:
            return _GLOBAL
        return self._account_codes.setdefault(account, len(self._account_codes) + 1)
