"""Knowledge gaps: topics the assistant keeps handing to people, with a drafted answer.

A topic is a gap when, in the period, at least ``gap_min_handoffs`` of its questions were handed
off and they are at least ``gap_handoff_rate`` of its questions. The candidate answer is drafted
from what agents replied to the topic's questions (at any time in the history loaded): the reply
most like the others (mean TF-IDF cosine), with how many replies agree with it. Someone approves
it into the knowledge base by teaching it (``assistant teach QUESTION ANSWER``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from assistant.insights.records import ConversationRecord, MessageRef
from assistant.insights.settings import InsightSettings
from assistant.insights.topics import TopicModel

AGREEING_REPLY = 0.6


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """A topic handed off again and again, and the answer agents seem to give."""

    topic_id: str
    name: str
    question: str
    questions: int
    handoffs: int
    handoff_rate: float
    accounts: list[str]
    candidate_answer: str | None
    agreeing_replies: int
    replies: int
    examples: list[MessageRef] = field(default_factory=list)


def draft_answer(replies: Sequence[str]) -> tuple[str | None, int]:
    """The reply most like the others, and how many replies agree with it (itself included)."""
    texts = [r.strip() for r in replies if r and r.strip()]
    if not texts:
        return None, 0
    if len(texts) == 1:
        return texts[0], 1
    try:
        matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    except ValueError:  # only stop words or punctuation
        return texts[0], 1
    similarity = (matrix @ matrix.T).toarray()
    best = int(np.argmax(similarity.mean(axis=1)))
    return texts[best], int((similarity[best] >= AGREEING_REPLY).sum())


def knowledge_gaps(
    model: TopicModel, settings: InsightSettings, *, since: datetime, until: datetime, examples: int = 3
) -> list[KnowledgeGap]:
    """Gap topics of [since, until), most hand-offs first."""
    gaps = []
    for topic in model.topics:
        members: list[ConversationRecord] = model.member_records(topic)
        current = [r for r in members if since <= r.asked_at < until]
        handoffs = [r for r in current if r.handed_off]
        if (
            len(handoffs) < settings.gap_min_handoffs
            or len(handoffs) / len(current) < settings.gap_handoff_rate
        ):
            continue
        answer, agreeing = draft_answer([r.agent_reply for r in members if r.agent_reply])
        gaps.append(
            KnowledgeGap(
                topic_id=topic.id,
                name=topic.label,
                question=topic.name,
                questions=len(current),
                handoffs=len(handoffs),
                handoff_rate=round(len(handoffs) / len(current), 3),
                accounts=sorted({r.account for r in handoffs if r.account}),
                candidate_answer=answer,
                agreeing_replies=agreeing,
                replies=sum(1 for r in members if r.agent_reply),
                examples=[
                    MessageRef(r.question_id, r.text, r.account, r.asked_at, r.link)
                    for r in handoffs[:examples]
                ],
            )
        )
    return sorted(gaps, key=lambda g: (-g.handoffs, -g.handoff_rate, g.topic_id))
