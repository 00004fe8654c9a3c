"""Feature requests grouped into themes, with counts, requesting accounts and a trend.

Messages the classifier calls feature requests (P ≥ ``request_probability``) from this period
and the one before it (of the same length) are clustered together (``request_similarity``), so a
theme is the same theme in both periods; its trend compares the two counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from assistant.insights.records import ConversationRecord, MessageRef
from assistant.insights.settings import InsightSettings
from assistant.insights.text import headline, keywords
from assistant.insights.topics import OnlineClusterer

Trend = Literal["new", "up", "down", "flat"]
UP, DOWN = 1.5, 1 / 1.5


@dataclass(frozen=True, slots=True)
class FeatureTheme:
    """Requests for one thing: how many this period and the last, and who asked."""

    name: str
    keywords: list[str]
    count: int
    previous_count: int
    trend: Trend
    accounts: list[str]
    examples: list[MessageRef] = field(default_factory=list)


def trend_of(count: int, previous: int) -> Trend:
    if previous == 0:
        return "new"
    if count >= UP * previous:
        return "up"
    if count <= DOWN * previous:
        return "down"
    return "flat"


def feature_themes(
    records: Sequence[ConversationRecord],
    feature_probability: np.ndarray,
    vectors: np.ndarray,
    settings: InsightSettings,
    *,
    since: datetime,
    until: datetime,
    examples: int = 3,
) -> list[FeatureTheme]:
    """Themes with at least one request in [since, until), most requested first."""
    previous_start = since - (until - since)
    chosen = sorted(
        (i for i, r in enumerate(records) if previous_start <= r.asked_at < until),
        key=lambda i: records[i].asked_at,
    )
    chosen = [i for i in chosen if feature_probability[i] >= settings.request_probability]
    if not chosen:
        return []
    clusterer = OnlineClusterer(vectors.shape[1], threshold=settings.request_similarity)
    groups: dict[int, list[int]] = {}
    for index in chosen:
        groups.setdefault(clusterer.add(vectors[index]), []).append(index)
    themes = []
    for cluster, members in groups.items():
        current = [records[i] for i in members if records[i].asked_at >= since]
        if not current:
            continue
        previous = len(members) - len(current)
        central = members[int(np.argmax(vectors[members] @ clusterer.centroids[cluster]))]
        themes.append(
            FeatureTheme(
                name=headline(records[central].text, 80),
                keywords=keywords([records[i].text for i in members], limit=settings.topic_keywords)
                if len(members) > 1
                else [],
                count=len(current),
                previous_count=previous,
                trend=trend_of(len(current), previous),
                accounts=sorted({r.account for r in current if r.account}),
                examples=[
                    MessageRef(r.question_id, r.text, r.account, r.asked_at, r.link)
                    for r in current[:examples]
                ],
            )
        )
    return sorted(themes, key=lambda t: (-t.count, -len(t.accounts), t.name))
