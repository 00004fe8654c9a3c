"""Ranking candidate resolutions for a question, and the features its confidence is judged on.

Neighbours vote for their resolution key (closer ones far more, and feedback re-weights each
item: an approved item counts more, a rejected one less); the head's probability is mixed in,
except when the question is a near-duplicate of one already resolved, where the neighbour decides
(so a correction replaces what it corrects on the very next ask). Each passage of a document
votes, its title item too: one vote per document ranked stackfaq's knowledge base better on its
own (top-1 0.955 against 0.938) but made the first answers less sure, and answered 1.6-1.8 points
fewer of its stream on two seeds (benchmarks/results/learning_variants-long-articles*.json).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.models import ItemKind, KnowledgeItem
from assistant.ports import IndexHit

VOTE_NEIGHBOURS = 10
VOTE_SHARPNESS = 10.0
HEAD_WEIGHT = 0.7
NEAR_DUPLICATE_START = 0.90
NEAR_DUPLICATE_FULL = 0.97
NEIGHBOURHOOD = 5


@dataclass(frozen=True, slots=True)
class RankedKey:
    """One candidate resolution with the evidence for it."""

    resolution_key: str
    score: float
    item_id: str
    similarity: float
    head_probability: float
    vote_share: float
    lexical: float


@dataclass(frozen=True, slots=True)
class Ranking:
    """Candidates best first, and the confidence features of the best."""

    candidates: list[RankedKey]
    features: list[float]

    @property
    def best(self) -> RankedKey | None:
        return self.candidates[0] if self.candidates else None


def feedback_weight(item: KnowledgeItem | None) -> float:
    """How much an item's vote counts after people judged it (1 when unjudged)."""
    if item is None:
        return 1.0
    return math.exp(max(-3.0, min(1.0, 0.4 * item.feedback.net)))


def head_share(top_similarity: float) -> float:
    """The head's weight in the mix, fading to zero for near-duplicate questions."""
    fade = (NEAR_DUPLICATE_FULL - top_similarity) / (NEAR_DUPLICATE_FULL - NEAR_DUPLICATE_START)
    return HEAD_WEIGHT * min(1.0, max(0.0, fade))


def rank(
    hits: list[IndexHit],
    head_probabilities: dict[str, float],
    head_representatives: dict[str, str],
    items: dict[str, KnowledgeItem],
    examples_of: dict[str, int],
) -> Ranking:
    """Order candidate keys and compute the features of the best one."""
    hits = [hit for hit in hits if hit.item_id in items]
    top_similarity = hits[0].dense if hits else 0.0
    votes: dict[str, float] = {}
    best_hit: dict[str, IndexHit] = {}
    # What an answer rests on: the closest passage, even where the document's title matched better
    # (the title finds "API rate limits"; the passage under "The limit" answers it).
    answering_hit: dict[str, IndexHit] = {}
    for hit in hits:
        key = hit.resolution_key
        if key not in best_hit or hit.dense > best_hit[key].dense:
            best_hit[key] = hit
        closer = key not in answering_hit or hit.dense > answering_hit[key].dense
        if closer and not items[hit.item_id].is_title:
            answering_hit[key] = hit
    for hit in hits[:VOTE_NEIGHBOURS]:
        weight = math.exp(VOTE_SHARPNESS * (hit.dense - top_similarity)) * feedback_weight(
            items.get(hit.item_id)
        )
        votes[hit.resolution_key] = votes.get(hit.resolution_key, 0.0) + weight
    total_votes = sum(votes.values()) or 1.0
    max_lexical = max((hit.lexical for hit in hits), default=0.0) or 1.0
    alpha = head_share(top_similarity) if head_probabilities else 0.0

    keys = set(best_hit) | {key for key in head_probabilities if key in head_representatives}
    candidates = []
    for key in keys:
        key_hit = best_hit.get(key)
        item_id = answering_hit.get(key, key_hit).item_id if key_hit else head_representatives[key]
        if item_id not in items:
            continue
        share = votes.get(key, 0.0) / total_votes
        probability = head_probabilities.get(key, 0.0)
        candidates.append(
            RankedKey(
                resolution_key=key,
                score=alpha * probability + (1 - alpha) * share,
                item_id=item_id,
                similarity=key_hit.dense if key_hit else 0.0,
                head_probability=probability,
                vote_share=share,
                lexical=(key_hit.lexical / max_lexical) if key_hit else 0.0,
            )
        )
    candidates.sort(key=lambda c: (c.score, c.similarity), reverse=True)
    top_dense = sorted((hit.dense for hit in hits), reverse=True)[:NEIGHBOURHOOD]
    neighbourhood = sum(top_dense) / len(top_dense) if top_dense else 0.0
    features = _features(candidates, neighbourhood, head_probabilities, items, examples_of)
    return Ranking(candidates=candidates, features=features)


def _features(
    candidates: list[RankedKey],
    neighbourhood: float,
    head_probabilities: dict[str, float],
    items: dict[str, KnowledgeItem],
    examples_of: dict[str, int],
) -> list[float]:
    """The calibration features, in the order of calibration.FEATURE_NAMES."""
    if not candidates:
        return [1.0] + [0.0] * 12
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    closest_other = max((c.similarity for c in candidates[1:]), default=0.0)
    head_top = max(head_probabilities, key=head_probabilities.__getitem__) if head_probabilities else None
    vote_top = max(candidates, key=lambda c: c.vote_share).resolution_key
    item = items[best.item_id]
    agrees = 1.0 if head_top is None or head_top == vote_top == best.resolution_key else 0.0
    return [
        1.0,
        best.similarity,
        best.score - runner_up,
        best.score,
        best.head_probability,
        best.vote_share,
        agrees,
        math.log1p(examples_of.get(best.resolution_key, 0)) / 5.0,
        best.lexical,
        math.tanh(item.feedback.net / 3.0),
        1.0 if item.kind is ItemKind.PASSAGE else 0.0,
        best.similarity - closest_other,
        neighbourhood,
    ]
