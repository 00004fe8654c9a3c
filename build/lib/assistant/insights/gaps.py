"""Knowledge gaps: topics the assistant keeps handing to people, with a drafted answer.

A topic is a gap when, in the period, at least ``gap_min_handoffs`` of its questions were handed
off and they are at least ``gap_handoff_rate`` of its questions. Complaints and follow-ups ("this
is unacceptable", "any update?") are not questions the knowledge base could answer, so they are
not counted. Gaps are ranked by hand-off share and volume together: the lower bound of the
share's 95% Wilson interval times log2(1 + hand-offs), so a topic handed off every time ranks
above a busy topic handed off now and then, and a share from three questions is not trusted like
one from thirty. The candidate answer is drafted
from what agents replied to the topic's questions (at any time in the history loaded): the reply
most like the others (mean TF-IDF cosine), with how many replies agree with it. Someone approves
it into the knowledge base by teaching it (``assistant teach QUESTION ANSWER``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.stats import binomtest
from sklearn.feature_extraction.text import TfidfVectorizer

from assistant.insights.churn import NEGATIVE, STILL_NEED_HELP
from assistant.insights.records import ConversationRecord, Evidence, MessageRef, evidence_of
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
    normal: str = ""
    rank_score: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


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
    model: TopicModel,
    settings: InsightSettings,
    *,
    since: datetime,
    until: datetime,
    examples: int = 3,
    exclude: Collection[str] = (),
) -> list[KnowledgeGap]:
    """Gap topics of [since, until), by hand-off share and volume (see the module's docstring).

    ``exclude``: question ids already claimed by another section (a bug's reports are a bug, not
    a missing article).
    """
    excluded = set(exclude)
    period = [r for r in model.records if since <= r.asked_at < until]
    overall = sum(1 for r in period if r.handed_off) / len(period) if period else 0.0
    gaps = []
    for topic in model.topics:
        members: list[ConversationRecord] = [
            r for r in model.member_records(topic) if _is_question(r) and r.question_id not in excluded
        ]
        current = [r for r in members if since <= r.asked_at < until]
        handoffs = [r for r in current if r.handed_off]
        if (
            len(handoffs) < settings.gap_min_handoffs
            or len(handoffs) / len(current) < settings.gap_handoff_rate
        ):
            continue
        low = binomtest(len(handoffs), len(current)).proportion_ci(method="wilson").low
        rank = round(float(low) * float(np.log2(1 + len(handoffs))), 4)
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
                normal=(
                    f"{len(handoffs)} of {len(current)} handed off ({len(handoffs) / len(current):.0%}) "
                    f"vs {overall:.0%} of all questions"
                ),
                rank_score=rank,
                evidence=evidence_of(handoffs),
            )
        )
    return sorted(gaps, key=lambda g: (-g.rank_score, -g.handoffs, g.topic_id))


def _is_question(record: ConversationRecord) -> bool:
    """Not a complaint or a follow-up: something the knowledge base could answer."""
    return not (NEGATIVE.search(record.text) or STILL_NEED_HELP.search(record.text))
