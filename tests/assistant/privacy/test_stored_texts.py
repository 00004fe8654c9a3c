"""Redaction applies to every text a person wrote that the assistant stores (issue 15, item 4):
agents' corrections and taught answers and imported tickets, on real SQLite."""

from __future__ import annotations

from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import TicketRecord
from assistant.models import ItemKind, Question, Role, Signal
from assistant.service import Assistant

PERSONAL = ("jane.doe@acme.example", "4111", "+1 415 555 0132", "de89")
WITH_DATA = (
    "Write to jane.doe@acme.example or call +1 415 555 0132; the card 4111.1111.1111.1111 "
    "and IBAN de89 3704 0044 0532 0130 00 are on file."
)


async def stored_texts(assistant: Assistant) -> str:
    items = await assistant.store.list_items(kind=ItemKind.RESOLUTION, limit=1000)
    return "\n".join(f"{item.question or ''}\n{item.text}" for item in items).casefold()


def assert_clean(texts: str) -> None:
    assert texts.strip(), "nothing was stored"
    for secret in PERSONAL:
        assert secret.casefold() not in texts, secret


async def test_a_taught_answer_is_stored_redacted(assistant: Assistant) -> None:
    await assistant.teach(
        f"My card 4111_1111_1111_1111 was refused, why? {WITH_DATA}", WITH_DATA, actor="dana", role=Role.AGENT
    )
    assert_clean(await stored_texts(assistant))


async def test_an_agents_correction_is_stored_redacted(assistant: Assistant) -> None:
    answer = await assistant.ask(Question(text="Who do I contact about a refund?", account="acme"))
    await assistant.feedback(answer.id, Signal.CORRECT, actor="dana", role=Role.AGENT, text=WITH_DATA)
    assert_clean(await stored_texts(assistant))


async def test_imported_tickets_are_stored_redacted(assistant: Assistant) -> None:
    record = TicketRecord(
        line=2,
        question="Refund to card 4111/1111/1111/1111 please, I am jane.doe@acme.example",
        answer=WITH_DATA,
        resolution_key=None,
        account="acme",
        external_id="T-1",
        asked_at=None,
        user=None,
        channel=None,
    )
    assert await Ingestor(assistant).import_tickets([record], source="tickets.csv") == 1
    assert_clean(await stored_texts(assistant))
