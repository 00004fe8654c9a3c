"""Feature requests grouped into themes, with counts, requesting accounts and a trend.

Messages that read as feature requests (the classifier's P ≥ ``request_probability`` and request
wording, "please add", "would be great", "feature request", unless the classifier is sure) from
this period and the one before it (of the same length) are clustered together
(``request_similarity``), so a theme is the same theme in both periods; its trend compares the
two counts. A theme needs ``request_min_messages`` messages over both periods, one of them in this one:
one or two messages are not a theme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from assistant.insights.records import ConversationRecord, Evidence, MessageRef, evidence_of
from assistant.insights.settings import InsightSettings
from assistant.insights.text import headline, keywords
from assistant.insights.topics import OnlineClusterer

Trend = Literal["new", "up", "down", "flat"]
UP, DOWN = 1.5, 1 / 1.5
#: A classifier this sure needs no request wording.
SURE_REQUEST = 0.9
REQUEST = re.compile(
    r"(feature request|please (add|support|allow|make)|could you (add|support|allow|make)|"
    r"would be (great|nice|useful|helpful)|we'?d (love|like)|we would (love|like)|\\bwish\\b|"
    r"\bsupport (for|of)\b|\badd (a|an|support)\b|ability to|option to|allow (us|me)|"
    r"it would be)",
    re.I,
)


def reads_as_request(text: str, feature_probability: float, settings: InsightSettings) -> bool:
    """Whether a message asks for something new: request wording and the classifier agree."""
    if feature_probability >= SURE_REQUEST:
        return True
    return feature_probability >= settings.request_probability / 2 and bool(REQUEST.search(text))


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
    evidence: list[Evidence] = field(default_factory=list)


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
    chosen = [i for i in chosen if reads_as_request(records[i].text, float(feature_probability[i]), settings)]
    if not chosen:
        return []
    clusterer = OnlineClusterer(vectors.shape[1], threshold=settings.request_similarity)
    groups: dict[int, list[int]] = {}
    for index in chosen:
        groups.setdefault(clusterer.add(vectors[index]), []).append(index)
    themes = []
    for cluster, members in groups.items():
        current = [records[i] for i in members if records[i].asked_at >= since]
        if not current or len(members) < settings.request_min_messages:
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
                evidence=evidence_of(current),
            )
        )
    return sorted(themes, key=lambda t: (-t.count, -len(t.accounts), t.name))
