"""Rehearsal: calibration outcomes from the past tickets a deployment imports, before any live ones.

A fresh install has documents and past resolved tickets but no outcomes, so its confidence is the
cautious prior alone and it hands off most of what its documents answer. The imported tickets are
labelled examples already: a question a customer really asked and the answer an agent really gave.
Each is replayed against the knowledge base twice, with the ticket hidden (is a sibling ticket
with the same macro found?) and with its whole resolution hidden (the question arrives before
anyone has answered it: do the documents answer it, or is a hand-off the right move?). The
rehearsed answer is right when it rests on the ticket's resolution key, or on the document whose
passage is nearest to the agent's answer. A ticket whose reply was no answer ("I've passed your
request to the product team") is not learned, but rehearsed as a question a person had to take:
any answer to it is wrong, and it teaches what an out-of-scope question looks like. These outcomes
calibrate the first answers; the deployment's own outcomes replace them once they outnumber them
(``Assistant.refit_calibration``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar

from assistant.models import ItemKind, KnowledgeItem
from assistant.ports import Embedder, LabelledOutcome
from assistant.retrieval.engine import RetrievalEngine

T = TypeVar("T")

#: Who ``Ingestor.import_tickets`` names as the teacher of an imported ticket.
IMPORTED = "import"
#: The two kinds of rehearsed outcome: answered tickets replayed on the knowledge as it is now, and
#: tickets a person had to handle (their reply was no answer), where any answer is wrong.
ANSWERED = "answered"
HANDED_OFF = "handed_off"
#: At most this many tickets are rehearsed (an even sample: a large import stays quick).
REHEARSAL_SAMPLE = 200
#: A rehearsed answer counts half as much as a live outcome: its label is inferred, not observed.
REHEARSAL_WEIGHT = 0.5
#: A ticket a person had to take counts as a live outcome: that a person was needed was observed.
HANDED_OFF_WEIGHT = 1.0
#: Tickets are rehearsed in this many folds, each with a head that never saw it.
REHEARSAL_FOLDS = 2
#: An agent's answer this close to a passage came from that document (else: not in the docs).
ANSWER_FROM_DOCUMENT = 0.5


def rehearsal_sample(items: Sequence[KnowledgeItem], limit: int = REHEARSAL_SAMPLE) -> list[KnowledgeItem]:
    """The imported tickets to rehearse: all of them, or an evenly spread ``limit`` of them."""
    tickets = sorted(
        (i for i in items if i.taught_by == IMPORTED and i.kind is ItemKind.RESOLUTION and i.question),
        key=lambda i: (i.created_at, i.id),
    )
    return even_sample(tickets, limit)


def even_sample(rows: Sequence[T], limit: int = REHEARSAL_SAMPLE) -> list[T]:
    """All of ``rows``, or ``limit`` of them spread evenly from first to last."""
    if len(rows) <= limit:
        return list(rows)
    step = len(rows) / limit
    return [rows[int(k * step)] for k in range(limit)]


async def rehearse(engine: RetrievalEngine, embedder: Embedder) -> list[LabelledOutcome]:
    """Replay the imported tickets against what the assistant knows; one outcome per ranking."""
    active = engine.active_items()
    tickets = rehearsal_sample(active)
    if not tickets:
        return []
    siblings: dict[str, set[str]] = {}
    for item in active:
        if item.kind is ItemKind.RESOLUTION:
            siblings.setdefault(item.resolution_key, set()).add(item.id)
    questions = await embedder.embed([t.question or "" for t in tickets])
    answers = await embedder.embed([t.text for t in tickets])
    # Two folds: each half is ranked with a head fitted without it (the live head has learned
    # every ticket, and would lend each its own label).
    folds = [list(range(start, len(tickets), REHEARSAL_FOLDS)) for start in range(REHEARSAL_FOLDS)]
    outcomes: list[LabelledOutcome | None] = [None] * (2 * len(tickets))
    for fold in folds:
        head = await asyncio.to_thread(engine.head.held_out, [tickets[n].id for n in fold])
        for n in fold:
            ticket = tickets[n]
            sources = await engine.documents_near(answers[n], ticket.text, ticket.account)
            document = sources[0][0] if sources and sources[0][1] >= ANSWER_FROM_DOCUMENT else None
            same_macro = siblings[ticket.resolution_key]
            # A document passage may carry the ticket's key (a ticket tagged with an article id):
            # counted on the live head, which holds every sibling (the held-out one lacks the fold).
            documented_key = engine.head.examples_of(ticket.resolution_key) > len(same_macro)
            # Hidden alone, then with its macro; one ranking when it has no sibling (the same one).
            views = ({ticket.id}, same_macro) if len(same_macro) > 1 else ({ticket.id},)
            for view, hidden in enumerate(views):
                ranking, _ = await engine.rank(
                    questions[n], ticket.question or "", ticket.account, excluded=frozenset(hidden), head=head
                )
                best = ranking.best
                if best is None:
                    continue
                right = {document} if document else set()
                if same_macro - hidden or documented_key:
                    right.add(ticket.resolution_key)
                outcomes[2 * n + view] = LabelledOutcome(
                    features=ranking.features, correct=best.resolution_key in right, weight=REHEARSAL_WEIGHT
                )
    return [o for o in outcomes if o is not None]


async def rehearse_handed_off(
    engine: RetrievalEngine, embedder: Embedder, questions: Sequence[tuple[str, str | None]]
) -> list[LabelledOutcome]:
    """Rank the questions of tickets a person had to handle: whatever they would be answered
    with is wrong. ``questions`` are (text, account) pairs; an even sample is taken."""
    questions = even_sample(questions)
    vectors = await embedder.embed([text for text, _ in questions])
    outcomes = []
    for (text, account), vector in zip(questions, vectors, strict=True):
        ranking, _ = await engine.rank(vector, text, account)
        if ranking.best is not None:
            outcomes.append(
                LabelledOutcome(features=ranking.features, correct=False, weight=HANDED_OFF_WEIGHT)
            )
    return outcomes
