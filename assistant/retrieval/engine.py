"""The in-memory side of knowledge: the vector index and the resolution head, kept in step.

The store is the durable copy; this engine mirrors its active items so that a question is ranked
without touching the database more than once. With several instances on one store, ``sync``
reads the store's change feed and applies what the others wrote (new items, status and feedback
changes), so each instance's mirror follows the store within the sync interval. ``sync`` also
prunes the feed now and then (changes older than every instance has surely read); an instance
idle for longer finds its cursor pruned past and loads everything again rather than miss a change.

Vectors may carry an inner layer's features after the sentence embedding (``retrieval.vectors``):
the index sees the sentence part, the head all of it. A stored vector without that part (made
before it was switched on) is made again from the item's text when it is loaded, and stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import numpy as np

from assistant.answering.head import ResolutionHead, fit_head
from assistant.errors import ConfigurationError
from assistant.models import FeedbackRecord, ItemKind, ItemStatus, KnowledgeItem, utcnow
from assistant.ports import IndexEntry, KnowledgeStore, VectorStore
from assistant.retrieval.ranking import Ranking, rank
from assistant.retrieval.vectors import sentence_part

log = logging.getLogger(__name__)

#: The change feed keeps at least this long, and at least 100 sync intervals.
MIN_CHANGE_RETENTION = timedelta(days=1)
#: How often one instance prunes the feed (several instances pruning at once is harmless).
PRUNE_EVERY_SECONDS = 3600.0
#: Stored vectors made again per batch when an inner layer's part is missing (progress is logged).
REEMBED_BATCH = 1000


def change_retention(sync_seconds: float) -> timedelta:
    """How long a change stays in the feed: far longer than any running instance takes to read it."""
    return max(MIN_CHANGE_RETENTION, timedelta(seconds=100 * sync_seconds))


class RetrievalEngine:
    """Index, head and ranking for every active knowledge item."""

    def __init__(
        self,
        *,
        store: KnowledgeStore,
        vectors: VectorStore,
        dimension: int,
        limit: int,
        background_refit: bool,
        sync_seconds: float = 2.0,
        sentence_dimension: int | None = None,
        reembed: Callable[[Sequence[str]], Awaitable[np.ndarray]] | None = None,
    ) -> None:
        """``dimension`` is the vectors' size, ``sentence_dimension`` that of their sentence part
        (the whole by default); ``reembed`` makes vectors again for items stored without the rest."""
        self._store = store
        self._vectors = vectors
        self._limit = limit
        self._background_refit = background_refit
        self._refit_task: asyncio.Task[None] | None = None
        # Set by ``load(defer_fit=True)``: no refit until something ranks (``forget`` never does).
        self._fit_deferred = False
        self._dimension = dimension
        self._sentence_dimension = sentence_dimension or dimension
        self._reembed = reembed
        self.head = ResolutionHead(dimension, judged_tail=dimension - self._sentence_dimension)
        self._items: dict[str, KnowledgeItem] = {}
        # account -> {global item id: the account's private item that shadows it}
        self._shadows: dict[str, dict[str, str]] = {}
        self._cursor = 0
        self._retention = change_retention(sync_seconds)
        self._last_prune: float | None = None

    async def load(self, *, defer_fit: bool = False) -> int:
        """Fill the head (and a non-persistent index) from the store's active items. The head is
        refitted in the background, or, with ``defer_fit``, only when something first ranks: a
        short command that never ranks does not wait for a fit it would throw away."""
        self._fit_deferred = defer_fit
        # Read the feed's position first: a change racing the load is applied again by ``sync``,
        # which is harmless, rather than missed.
        self._cursor = await self._store.change_cursor()
        entries = await self._with_inner_layer(await self._store.load_active_entries())
        self._check_vector_sizes(entries)
        # A persistent index keeps its data: it is filled only the first time (an empty one).
        if not self._vectors.persistent or (entries and await self._vectors.count() == 0):
            await self._vectors.upsert([self._entry(item, vector) for item, vector in entries])
        for item, vector in entries:
            self._items[item.id] = item
            self._shadow(item)
            self.head.add(
                item.id, vector, item.resolution_key, item.account, text=item.match_text, online=False
            )
        if entries:
            self.head.invalidate()
            self.maybe_refit()
        return len(entries)

    async def _with_inner_layer(
        self, entries: list[tuple[KnowledgeItem, np.ndarray]]
    ) -> list[tuple[KnowledgeItem, np.ndarray]]:
        """``entries`` with every vector that lacks the inner layer's part (stored before it was
        switched on, or by an instance without it) made again from its item's text, and stored."""
        if self._reembed is None or self._sentence_dimension == self._dimension:
            return entries
        stale = [n for n, (_, vector) in enumerate(entries) if vector.size == self._sentence_dimension]
        if not stale:
            return entries
        log.info("Adding the inner layer's part to %d stored vectors, once", len(stale))
        entries = list(entries)
        for start in range(0, len(stale), REEMBED_BATCH):
            batch = stale[start : start + REEMBED_BATCH]
            vectors = await self._reembed([entries[n][0].match_text for n in batch])
            for n, vector in zip(batch, vectors, strict=True):
                entries[n] = (entries[n][0], vector)
            await self._store.replace_vectors([(entries[n][0].id, entries[n][1]) for n in batch])
            log.info("Stored vectors made again: %d of %d", start + len(batch), len(stale))
        return entries

    def _entry(self, item: KnowledgeItem, vector: np.ndarray) -> IndexEntry:
        """What the index holds for an item: its sentence embedding alone."""
        return IndexEntry(
            item_id=item.id,
            vector=sentence_part(vector, self._sentence_dimension),
            text=item.match_text,
            resolution_key=item.resolution_key,
            kind=item.kind,
            account=item.account,
        )

    def _check_vector_sizes(self, entries: Sequence[tuple[KnowledgeItem, np.ndarray]]) -> None:
        """Refuse vectors another embedding model made, at start or from another instance through
        the change feed: they cannot be compared with this one's (and would fail deep inside the
        index instead)."""
        sizes = sorted({int(vector.size) for _, vector in entries} - {self._dimension})
        if sizes:
            raise ConfigurationError(
                f"The knowledge store holds vectors of {', '.join(map(str, sizes))} numbers, but the "
                f"embedding model gives {self._dimension}: they were made with another model (or "
                "with ASSISTANT_EMBEDDING_INNER_LAYER on). Set ASSISTANT_EMBEDDING_MODEL and "
                "ASSISTANT_EMBEDDING_INNER_LAYER back to what the store was filled with, or start on a "
                "new database and import the knowledge again."
            )

    async def sync(self) -> int:
        """Apply every item change in the store since the last sync; returns how many items changed.

        Idempotent: an instance's own changes come back through the feed and change nothing. A
        persistent vector store was already written by the instance that made the change, so
        only the head and the item mirror are updated then.
        """
        changed = 0
        await self._maybe_prune()
        while True:
            page = await self._store.changes_since(self._cursor)
            if page.reload:
                return changed + await self._reload()
            new: list[tuple[KnowledgeItem, np.ndarray]] = []
            gone: list[str] = []
            for item, vector in page.items:
                known = item.id in self._items
                if item.status is ItemStatus.ACTIVE and known:
                    self._items[item.id] = item
                elif item.status is ItemStatus.ACTIVE:
                    new.append((item, vector))
                elif known:
                    gone.append(item.id)
            await self.index(new, write_vectors=not self._vectors.persistent)
            await self.unindex(gone, write_vectors=not self._vectors.persistent)
            changed += len(page.items)
            self._cursor = page.cursor
            if not page.more:
                return changed

    async def _reload(self) -> int:
        """Load every active item again (the feed was pruned past the cursor); returns how many
        items came or went."""
        cursor = await self._store.change_cursor()
        entries = await self._store.load_active_entries()
        current = {item.id for item, _ in entries}
        new = [(item, vector) for item, vector in entries if item.id not in self._items]
        gone = [item_id for item_id in self._items if item_id not in current]
        for item, _ in entries:
            if item.id in self._items:
                self._items[item.id] = item
        await self.index(new, write_vectors=not self._vectors.persistent)
        await self.unindex(gone, write_vectors=not self._vectors.persistent)
        self._cursor = cursor
        return len(new) + len(gone)

    async def _maybe_prune(self) -> None:
        now = time.monotonic()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = now
        await self._store.prune_changes(utcnow() - self._retention)

    async def index(
        self, pairs: Sequence[tuple[KnowledgeItem, np.ndarray]], *, write_vectors: bool = True
    ) -> None:
        """Make newly stored items retrievable at once."""
        if not pairs:
            return
        pairs = await self._with_inner_layer(list(pairs))
        self._check_vector_sizes(pairs)
        if write_vectors:
            await self._vectors.upsert([self._entry(item, vector) for item, vector in pairs])
        for item, vector in pairs:
            self._items[item.id] = item
            self._shadow(item)
            self.head.add(item.id, vector, item.resolution_key, item.account, text=item.match_text)
        self.maybe_refit()

    def _shadow(self, item: KnowledgeItem) -> None:
        """A private correction of a global item hides that item from its account only."""
        if item.account is not None and item.supersedes:
            self._shadows.setdefault(item.account, {})[item.supersedes] = item.id

    def _unshadow(self, item: KnowledgeItem) -> None:
        if item.account is not None and item.supersedes:
            shadows = self._shadows.get(item.account, {})
            if shadows.get(item.supersedes) == item.id:
                del shadows[item.supersedes]

    def shadowed(self, account: str | None) -> frozenset[str]:
        """The global items ``account`` no longer gets, because its own correction replaces them."""
        return frozenset(self._shadows.get(account, {})) if account is not None else frozenset()

    async def unindex(self, item_ids: Sequence[str], *, write_vectors: bool = True) -> None:
        """Stop retrieving items (superseded, retired, forgotten)."""
        if not item_ids:
            return
        if write_vectors:
            await self._vectors.remove(list(item_ids))
        self.head.remove(item_ids)
        for item_id in item_ids:
            gone = self._items.pop(item_id, None)
            if gone is not None:
                self._unshadow(gone)
        self.maybe_refit()

    async def rank(
        self,
        vector: np.ndarray,
        text: str,
        account: str | None,
        *,
        excluded: frozenset[str] = frozenset(),
        head: ResolutionHead | None = None,
    ) -> tuple[Ranking, dict[str, KnowledgeItem]]:
        """Candidates for a question, best first, with the items they rest on; ``excluded`` items
        are left out as if forgotten and ``head`` replaces the live one (a rehearsal hides the
        ticket it replays, and ranks with a head that never saw it)."""
        if self._fit_deferred:
            self._fit_deferred = False
            self.head.refit()
        head = head or self.head
        sentence = sentence_part(vector, self._sentence_dimension)
        hits = await self._vectors.search(sentence, text, account=account, limit=self._limit)
        probabilities = head.probabilities(vector, account, text)
        top_head = sorted(probabilities, key=probabilities.__getitem__, reverse=True)[:3]
        representatives = {}
        for key in top_head:
            item_id = head.representative(key, account)
            if item_id is not None:
                representatives[key] = item_id
        hidden = self.shadowed(account) | excluded
        ids = list(dict.fromkeys([hit.item_id for hit in hits] + list(representatives.values())))
        items = {i: item for i, item in (await self.get_items(ids)).items() if i not in hidden}
        examples = {
            key: head.examples_of(key) for key in {hit.resolution_key for hit in hits} | set(top_head)
        }
        return rank(hits, probabilities, representatives, items, examples), items

    def active_items(self) -> list[KnowledgeItem]:
        """Every item this instance retrieves from (its in-memory mirror of the store)."""
        return list(self._items.values())

    async def documents_near(
        self, vector: np.ndarray, text: str, account: str | None
    ) -> list[tuple[str, float]]:
        """The documents (resolution keys) whose passages are nearest to a text, with the best
        passage's similarity, nearest first: where an agent's answer came from."""
        hidden = self.shadowed(account)
        sentence = sentence_part(vector, self._sentence_dimension)
        hits = await self._vectors.search(sentence, text, account=account, limit=self._limit)
        nearest: dict[str, float] = {}
        for hit in hits:
            item = self._items.get(hit.item_id)
            # A title item would match an answer's wording against a title, not its content.
            title = item is not None and item.is_title
            if hit.kind is ItemKind.PASSAGE and hit.item_id not in hidden and not title:
                nearest[hit.resolution_key] = max(nearest.get(hit.resolution_key, -1.0), hit.dense)
        return sorted(nearest.items(), key=lambda pair: pair[1], reverse=True)

    async def get_items(self, item_ids: Sequence[str]) -> dict[str, KnowledgeItem]:
        """Active items from memory; anything else (retired, or indexed by another instance)
        from the store."""
        found = {i: self._items[i] for i in item_ids if i in self._items}
        missing = [i for i in item_ids if i not in found]
        if missing:
            found.update(await self._store.get_items(missing))
        return found

    def update_feedback(self, item_id: str, feedback: FeedbackRecord) -> None:
        """Keep the in-memory copy's feedback record in step with what the store wrote."""
        item = self._items.get(item_id)
        if item is not None:
            item.feedback = feedback

    def maybe_refit(self) -> None:
        """Refit the head when it has grown; in the background when the service runs live."""
        if self._fit_deferred or not self.head.needs_refit():
            return
        if not self._background_refit:
            self.head.refit()
            return
        if self._refit_task is not None and not self._refit_task.done():
            return
        self._refit_task = asyncio.create_task(self._refit_in_thread())

    async def _refit_in_thread(self) -> None:
        snapshot = self.head.fit_snapshot()
        count = self.head.example_count
        fitted = await asyncio.to_thread(fit_head, snapshot)
        self.head.install(fitted, count)

    async def settled(self) -> None:
        """Wait for a background refit in progress (benchmarks measure the steady state)."""
        if self._refit_task is not None:
            await asyncio.gather(self._refit_task, return_exceptions=True)

    async def close(self) -> None:
        if self._refit_task is not None:
            await asyncio.gather(self._refit_task, return_exceptions=True)
        await self._vectors.close()
