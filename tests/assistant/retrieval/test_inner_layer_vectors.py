"""Vectors with an inner layer's part: the index compares sentence embeddings, the head gets the
whole, and a store filled before the part was switched on is brought up to it once, at start or
through the change feed, with nothing lost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.models import Role
from assistant.ports import Embedder
from assistant.retrieval.vectors import sentence_part
from assistant.service import Assistant

AGENT = {"actor": "agent-1", "role": Role.AGENT}
TAUGHT = {
    "How long do payment links last?": "Payment links last 7 days.",
    "Can I export invoices as CSV?": "Yes: Billing > Invoices > Export.",
}


class _Counting:
    """The embedder, counting the texts it embeds."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self._inner = inner
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def sentence_dimension(self) -> int:
        return self._inner.sentence_dimension

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return await self._inner.embed(texts)


@pytest.fixture(scope="module")
def sentence_only() -> SentenceTransformerEmbedder:
    """The bundled model without the inner layer (as every store was filled before it)."""
    return SentenceTransformerEmbedder(inner_layer=0)


async def _teach_all(assistant: object) -> None:
    for question, answer in TAUGHT.items():
        await assistant.teach(question, answer, **AGENT)  # type: ignore[attr-defined]


async def _filled(settings: Settings, embedder: Embedder) -> list[int]:
    """The store of ``settings`` taught ``TAUGHT`` by an assistant on ``embedder``; the sizes of
    the vectors it stored."""
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    await _teach_all(assistant)
    sizes = await _stored_sizes(assistant)
    await assistant.close()
    return sizes


async def _answer_to(assistant: Assistant, question: str) -> str:
    """The text of the item ranked first for ``question``."""
    best = (await assistant.assess(question, None)).ranking.best
    assert best is not None
    return (await assistant.engine.get_items([best.item_id]))[best.item_id].text


async def _stored_sizes(assistant: object) -> list[int]:
    entries = await assistant.store.load_active_entries()  # type: ignore[attr-defined]
    return sorted(int(vector.size) for _, vector in entries)


async def test_the_index_sees_sentence_embeddings_and_the_head_the_whole_vector(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    assert embedder.dimension == 2 * embedder.sentence_dimension
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    try:
        await _teach_all(assistant)
        assert await _stored_sizes(assistant) == [embedder.dimension] * 2
        assert assistant.engine.head.judged_tail == embedder.dimension - embedder.sentence_dimension
        question = "how long do payment links last"
        assessment = await assistant.assess(question, None)
        best = assessment.ranking.best
        assert best is not None
        assert assessment.items[best.item_id].text == "Payment links last 7 days."
        # The neighbour's similarity is the sentence embeddings' cosine, as without the part.
        full = await embedder.embed([question, assessment.items[best.item_id].match_text])
        both = sentence_part(full, embedder.sentence_dimension)
        assert best.similarity == pytest.approx(float(both[0] @ both[1]), abs=1e-4)
        assert abs(float(full[0] @ full[1]) - best.similarity) > 1e-3  # the whole would differ
    finally:
        await assistant.close()


async def test_a_store_filled_without_the_part_is_brought_up_to_it_once_at_start(
    settings: Settings, embedder: SentenceTransformerEmbedder, sentence_only: SentenceTransformerEmbedder
) -> None:
    assert await _filled(settings, sentence_only) == [sentence_only.dimension] * 2

    counting = _Counting(embedder)
    after = build_assistant(settings, embedder=counting, background_refit=False)
    await after.start()
    try:
        assert sorted(counting.texts) == sorted(TAUGHT)  # each item's text, made again once
        assert await _stored_sizes(after) == [embedder.dimension] * 2
        question = "Can I export invoices as CSV?"
        assert await _answer_to(after, question) == TAUGHT[question]
    finally:
        await after.close()

    counting.texts.clear()
    again = build_assistant(settings, embedder=counting, background_refit=False)
    await again.start()
    try:
        assert counting.texts == []  # stored with the part: nothing to make again
        assert len(again.engine.active_items()) == 2
    finally:
        await again.close()


async def test_an_instance_without_the_part_is_followed_through_the_feed(
    settings: Settings, embedder: SentenceTransformerEmbedder, sentence_only: SentenceTransformerEmbedder
) -> None:
    """A rolling upgrade: the old instance still teaches; the new one takes its items up, with
    the part made from their text, and stores them so."""
    new = build_assistant(settings, embedder=embedder, background_refit=False)
    old = build_assistant(settings, embedder=sentence_only, background_refit=False)
    await new.start()
    await old.start()
    try:
        await _teach_all(old)
        await new.engine.sync()
        assert len(new.engine.active_items()) == 2
        assert await _stored_sizes(new) == [embedder.dimension] * 2
        assert await _answer_to(new, "how long do payment links last") == "Payment links last 7 days."
    finally:
        await old.close()
        await new.close()


async def test_switching_the_part_off_again_is_refused_naming_both_settings(
    settings: Settings, embedder: SentenceTransformerEmbedder, sentence_only: SentenceTransformerEmbedder
) -> None:
    await _filled(settings, embedder)

    without = build_assistant(settings, embedder=sentence_only, background_refit=False)
    refused = "ASSISTANT_EMBEDDING_MODEL and ASSISTANT_EMBEDDING_INNER_LAYER back"
    with pytest.raises(ConfigurationError, match=refused):
        await without.start()
    await without.close()
