"""How neighbours vote: a document once, through its closest passage, however many passages it was
cut into; each learned question on its own, as the evidence it is."""

from __future__ import annotations

from assistant.models import ItemKind, KnowledgeItem
from assistant.ports import IndexHit
from assistant.retrieval.ranking import rank


def _item(item_id: str, kind: ItemKind, key: str, document_id: str | None = None) -> KnowledgeItem:
    return KnowledgeItem(
        id=item_id,
        kind=kind,
        text=f"text of {item_id}",
        resolution_key=key,
        source="test",
        document_id=document_id,
    )


def _hit(item: KnowledgeItem, dense: float) -> IndexHit:
    return IndexHit(
        item_id=item.id,
        resolution_key=item.resolution_key,
        kind=item.kind,
        account=None,
        dense=dense,
        lexical=0.0,
    )


def _winner(scored: list[tuple[KnowledgeItem, float]]) -> str:
    hits = sorted((_hit(item, dense) for item, dense in scored), key=lambda hit: hit.dense, reverse=True)
    items = {item.id: item for item, _ in scored}
    best = rank(hits, {}, {}, items, {}).best
    assert best is not None
    return best.resolution_key


def test_a_long_article_does_not_outvote_a_closer_short_one() -> None:
    long_article = [_item(f"long-{n}", ItemKind.PASSAGE, "long", document_id="doc-long") for n in range(4)]
    short_article = _item("short-0", ItemKind.PASSAGE, "short", document_id="doc-short")
    scored = [(short_article, 0.80)] + [(item, 0.79 - 0.005 * n) for n, item in enumerate(long_article)]

    assert _winner(scored) == "short"


def test_each_passage_of_another_version_of_a_key_votes_for_its_own_document() -> None:
    """Two documents sharing a key (an article and its translation) are two voters."""
    first = _item("first", ItemKind.PASSAGE, "shared", document_id="doc-1")
    second = _item("second", ItemKind.PASSAGE, "shared", document_id="doc-2")
    other = _item("other", ItemKind.PASSAGE, "other", document_id="doc-3")

    assert _winner([(other, 0.80), (first, 0.79), (second, 0.79)]) == "shared"


def test_learned_questions_of_one_answer_each_vote() -> None:
    learned = [_item(f"learned-{n}", ItemKind.RESOLUTION, "learned") for n in range(4)]
    passage = _item("passage", ItemKind.PASSAGE, "article", document_id="doc-article")
    scored = [(passage, 0.80)] + [(item, 0.79 - 0.005 * n) for n, item in enumerate(learned)]

    assert _winner(scored) == "learned"


def test_an_answer_matched_by_a_title_rests_on_the_closest_passage() -> None:
    """The title finds the article; the passage that answers is the closest of its passages."""
    opening = _item("opening", ItemKind.PASSAGE, "rate-limits", document_id="doc")
    limit = _item("the-limit", ItemKind.PASSAGE, "rate-limits", document_id="doc")
    title = _item("title", ItemKind.PASSAGE, "rate-limits", document_id="doc")
    title.question = "API rate limits"
    scored = [(title, 0.85), (limit, 0.70), (opening, 0.60)]
    hits = sorted((_hit(item, dense) for item, dense in scored), key=lambda hit: hit.dense, reverse=True)

    best = rank(hits, {}, {}, {item.id: item for item, _ in scored}, {}).best

    assert best is not None
    assert best.item_id == "the-limit"
    assert best.similarity == 0.85, "the match is the title's"
