"""What an answer rests on when a document's title item is the closest match: the document's
closest passage, so that it shows what answers the question rather than the title's opening."""

from __future__ import annotations

from assistant.models import ItemKind, KnowledgeItem
from assistant.ports import IndexHit
from assistant.retrieval.ranking import RankedKey, rank


def _passage(item_id: str, *, title: str | None = None) -> KnowledgeItem:
    return KnowledgeItem(
        id=item_id,
        kind=ItemKind.PASSAGE,
        text=f"text of {item_id}",
        resolution_key="rate-limits",
        source="test",
        question=title,
        document_id="doc",
    )


def _best(scored: list[tuple[KnowledgeItem, float]]) -> RankedKey:
    hits = [
        IndexHit(
            item_id=item.id,
            resolution_key=item.resolution_key,
            kind=item.kind,
            account=None,
            dense=dense,
            lexical=0.0,
        )
        for item, dense in sorted(scored, key=lambda pair: pair[1], reverse=True)
    ]
    best = rank(hits, {}, {}, {item.id: item for item, _ in scored}, {}).best
    assert best is not None
    return best


def test_an_answer_matched_by_a_title_rests_on_the_closest_passage() -> None:
    title = _passage("title", title="API rate limits")
    scored = [(title, 0.85), (_passage("the-limit"), 0.70), (_passage("opening"), 0.60)]

    best = _best(scored)

    assert best.item_id == "the-limit"
    assert best.similarity == 0.85, "the match is the title's"


def test_a_title_with_none_of_its_passages_near_answers_with_its_opening() -> None:
    best = _best([(_passage("title", title="API rate limits"), 0.85)])

    assert best.item_id == "title"
