"""Rehearsal: a fresh install calibrates on its imported tickets, labelled honestly, and lets its
own outcomes take over (issue 18, item 1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assistant.answering import calibration
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import TicketRecord, parse_ticket_file
from assistant.learning.rehearsal import HANDED_OFF, HANDED_OFF_WEIGHT, REHEARSAL_WEIGHT, rehearsal_sample
from assistant.models import Decision, ItemKind, KnowledgeItem, Question, Role, Signal
from assistant.service import Assistant
from tests.conftest import SAMPLES

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ticket(line: int, question: str, answer: str, key: str | None = None) -> TicketRecord:
    return TicketRecord(
        line=line,
        question=question,
        answer=answer,
        resolution_key=key,
        account="acme",
        external_id=None,
        asked_at=T0 + timedelta(minutes=line),
        user=None,
        channel=None,
    )


RECURRING_ANSWER = (
    "Go to Invoices → Recurring and click New recurring invoice, choose the customer and the line "
    "items, then pick a frequency (weekly, monthly, quarterly or yearly) and a start date."
)
BESPOKE = "We moved your workspace to our EU region; the move takes effect tonight."


async def test_a_fresh_store_without_tickets_keeps_the_cautious_prior(assistant: Assistant) -> None:
    await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
    assert await assistant.store.rehearsed_outcomes() == []
    assert assistant.calibrator.state.weights is None


async def test_tickets_are_rehearsed_with_themselves_and_their_macro_hidden(assistant: Assistant) -> None:
    ingestor = Ingestor(assistant)
    await ingestor.ingest_paths([SAMPLES / "kb"])
    await ingestor.import_tickets(
        [
            # answered from a document: right whenever the document is found, even with no sibling
            ticket(1, "how do I make an invoice repeat every month?", RECURRING_ANSWER),
            # a bespoke answer given twice: right with a sibling to find, a hand-off case without
            ticket(2, "can you move our ledger data to a data centre in Europe?", BESPOKE),
            ticket(3, "please migrate our ledger data to a data centre in the EU", BESPOKE),
        ],
        source="t.csv",
    )
    outcomes = await assistant.store.rehearsed_outcomes()
    # one ranking for the ticket with no sibling, two (itself hidden, then its macro) for the others
    assert len(outcomes) == 5
    assert all(o.weight == REHEARSAL_WEIGHT for o in outcomes)
    documented, first_bespoke, second_bespoke = outcomes[:1], outcomes[1:3], outcomes[3:]
    assert [o.correct for o in documented] == [True]
    # hidden alone, the sibling answers it (right); with its macro hidden nothing can (wrong)
    assert [o.correct for o in first_bespoke] == [True, False]
    assert [o.correct for o in second_bespoke] == [True, False]


async def test_live_outcomes_take_over_once_they_outnumber_the_rehearsed(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever held-out outcomes would ask for, rehearsed ones keep the default pull; live ones choose.
    monkeypatch.setattr(calibration, "choose_pull", lambda *args, **kwargs: min(calibration.PULLS))
    ingestor = Ingestor(assistant)
    await ingestor.ingest_paths([SAMPLES / "kb"])
    records = parse_ticket_file(SAMPLES / "tickets.csv")
    await ingestor.import_tickets(records, source="tickets.csv")
    rehearsed = await assistant.store.rehearsed_outcomes()
    assert len(rehearsed) >= 30 and assistant.calibrator.state.outcomes == len(rehearsed)
    assert assistant.calibrator.state.pull == calibration.DEFAULT_PULL

    for n in range(len(rehearsed) + 1):
        answer = await assistant.ask(
            Question(text=f"How do I set up a recurring invoice? ({n})", account="acme", asked_at=T0)
        )
        verdict = Signal.REJECT if n % 5 == 0 else Signal.APPROVE  # a fit needs both kinds
        await assistant.feedback(answer.id, verdict, actor="agent", role=Role.AGENT, at=T0)
    await assistant.refit_calibration()
    live = await assistant.store.labelled_outcomes(10_000)
    assert len(live) > len(rehearsed)
    assert assistant.calibrator.state.outcomes == len(live)
    assert assistant.calibrator.state.pull == min(calibration.PULLS)


async def test_the_readme_example_is_answered_on_day_one_and_crypto_is_not(assistant: Assistant) -> None:
    ingestor = Ingestor(assistant)
    await ingestor.ingest_paths([SAMPLES / "kb"])
    await ingestor.import_tickets(parse_ticket_file(SAMPLES / "tickets.csv"), source="tickets.csv")

    answer = await assistant.ask(
        Question(text="How do I set up a recurring invoice?", account="acme", asked_at=T0)
    )
    assert answer.decision is Decision.ANSWER
    assert any("recurring invoice" in source.title.lower() for source in answer.sources)
    crypto = await assistant.ask(
        Question(text="Can we pay our suppliers in crypto?", account="acme", asked_at=T0)
    )
    assert crypto.decision is Decision.HANDOFF


async def test_replies_that_are_no_answer_are_not_imported(assistant: Assistant) -> None:
    count = await Ingestor(assistant).import_tickets(
        [
            ticket(
                1,
                "can you run payroll?",
                "That isn't something we do today; I've passed your request to the product team.",
            ),
            ticket(2, "our sync is broken", "Let me check with engineering and get back to you."),
            ticket(3, "where is the export?", "Open Reports, choose Export and download the CSV."),
        ],
        source="t.csv",
    )
    assert count == 1
    # the two that needed a person are rehearsed as such: answering them would have been wrong
    handed_off = await assistant.store.rehearsed_outcomes(HANDED_OFF)
    assert [(o.correct, o.weight) for o in handed_off] == [(False, HANDED_OFF_WEIGHT)] * 2
    # and they outlive the rehearsal a later change to the knowledge makes
    await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
    assert len(await assistant.store.rehearsed_outcomes(HANDED_OFF)) == 2


def test_a_large_import_is_rehearsed_on_an_even_sample() -> None:
    items = [
        KnowledgeItem(
            id=f"kn_{n:04d}",
            kind=ItemKind.RESOLUTION,
            text="answer",
            resolution_key=f"k{n}",
            source="ticket",
            title="t",
            question=f"q{n}",
            taught_by="import",
            created_at=T0 + timedelta(minutes=n),
        )
        for n in range(1000)
    ]
    sample = rehearsal_sample(items, limit=100)
    assert len(sample) == 100
    assert sample[0].id == "kn_0000" and sample[-1].id == "kn_0990"
    # what agents taught in threads has live outcomes already: only imported tickets are rehearsed
    taught = [replace(items[0], taught_by="agent-1"), *items[1:5]]
    assert [i.id for i in rehearsal_sample(taught, limit=100)] == [i.id for i in items[1:5]]
