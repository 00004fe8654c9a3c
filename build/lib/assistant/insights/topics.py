"""Topics: questions grouped as they arrive, by online clustering of their embeddings.

Each question joins the topic whose centroid it is most similar to (cosine at least
``threshold``), or starts a new one; centroids are running means, so a topic drifts with what is
asked. It is one pass, in time order, so a topic's id never changes once made: ``t0001`` is the
first topic of the records given. A topic is named by its most typical question (the member
closest to the centroid) and its keywords.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from assistant.insights.records import ConversationRecord
from assistant.insights.text import headline, keywords, vectors, word_counts

_GROW = 64


@dataclass(slots=True)
class Topic:
    """A group of questions about the same thing."""

    id: str
    name: str
    keywords: list[str]
    members: list[int]
    first_seen: datetime
    last_seen: datetime
    centroid: np.ndarray = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        """The name with its keywords, as shown in digests."""
        return f"{self.name} [{', '.join(self.keywords)}]" if self.keywords else self.name


class OnlineClusterer:
    """Assigns unit vectors to clusters one at a time; ``centroids`` are unit means."""

    def __init__(self, dimension: int, *, threshold: float) -> None:
        self.threshold = threshold
        self._sums = np.zeros((_GROW, dimension), dtype=np.float64)
        self._units = np.zeros((_GROW, dimension), dtype=np.float32)
        self.counts: list[int] = []

    @property
    def centroids(self) -> np.ndarray:
        return self._units[: len(self.counts)]

    def add(self, vector: np.ndarray) -> int:
        """The cluster ``vector`` joins (a new one when none is similar enough)."""
        size = len(self.counts)
        best = -1
        if size:
            scores = self._units[:size] @ vector
            candidate = int(np.argmax(scores))
            if scores[candidate] >= self.threshold:
                best = candidate
        if best < 0:
            if size == len(self._sums):
                self._sums = np.vstack([self._sums, np.zeros_like(self._sums)])
                self._units = np.vstack([self._units, np.zeros_like(self._units)])
            best = size
            self.counts.append(0)
        self._sums[best] += vector
        self.counts[best] += 1
        norm = np.linalg.norm(self._sums[best])
        self._units[best] = self._sums[best] / (norm if norm else 1.0)
        return best


@dataclass(slots=True)
class TopicModel:
    """The topics of a list of records and which topic each record belongs to."""

    records: list[ConversationRecord]
    topics: list[Topic]
    assignment: list[int]
    vectors: np.ndarray = field(repr=False)

    def topic_of(self, index: int) -> Topic:
        return self.topics[self.assignment[index]]

    def by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    def member_records(self, topic: Topic) -> list[ConversationRecord]:
        return [self.records[i] for i in topic.members]


def build_topics(
    records: Sequence[ConversationRecord],
    *,
    threshold: float,
    keyword_count: int = 4,
    vectors_of: np.ndarray | None = None,
) -> TopicModel:
    """Cluster ``records`` (sorted by time here) into named topics."""
    ordered = sorted(records, key=lambda r: (r.asked_at, r.question_id))
    matrix = vectors(ordered) if vectors_of is None else vectors_of
    if not ordered:
        return TopicModel(records=[], topics=[], assignment=[], vectors=matrix)
    clusterer = OnlineClusterer(matrix.shape[1], threshold=threshold)
    assignment = [clusterer.add(matrix[i]) for i in range(len(ordered))]
    members: list[list[int]] = [[] for _ in clusterer.counts]
    for index, cluster in enumerate(assignment):
        members[cluster].append(index)
    background = word_counts([r.text for r in ordered])
    topics = []
    for cluster, indices in enumerate(members):
        centroid = clusterer.centroids[cluster].copy()
        texts = [ordered[i].text for i in indices]
        central = indices[int(np.argmax(matrix[indices] @ centroid))]
        topics.append(
            Topic(
                id=f"t{cluster + 1:04d}",
                name=headline(ordered[central].text, 80),
                keywords=keywords(texts, background, keyword_count) if len(texts) > 1 else [],
                members=indices,
                first_seen=ordered[indices[0]].asked_at,
                last_seen=ordered[indices[-1]].asked_at,
                centroid=centroid,
            )
        )
    return TopicModel(records=ordered, topics=topics, assignment=assignment, vectors=matrix)


def most_central(matrix: np.ndarray, indices: Sequence[int]) -> int:
    """The index among ``indices`` whose vector is closest to their mean."""
    subset = matrix[list(indices)]
    mean = subset.mean(axis=0)
    return list(indices)[int(np.argmax(subset @ mean))]
