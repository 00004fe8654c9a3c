"""What the assistant promises, on every backend: ask, teach, correct, forget, supersede, isolate.

The same tests run on SQLite, PostgreSQL and Weaviate (see ``conftest.BACKENDS``), and a restart
shows that what the backend keeps is enough to answer the same way again.
"""

from __future__ import annotations

from typing import Any

from assistant.models import Decision, ItemStatus, Question, Role, Signal
from tests.contract.conftest import Backend

AGENT: dict[str, Any] = {"actor": "dana", "role": Role.AGENT}
LINKS = "How long do payment links last?"


async def test_ask_an_empty_store_hands_off(backend: Backend) -> None:
    assistant = await backend.assistant()
    answer = await assistant.ask(Question(text="How do I reset my password?", account="acme"))
    assert answer.decision is Decision.HANDOFF
    assert answer.text == ""


async def test_taught_answer_is_used_for_a_paraphrase(backend: Backend) -> None:
    assistant = await backend.assistant()
    await assistant.teach(LINKS, "Payment links last 7 days.", **AGENT)
    answer = await assistant.ask(Question(text="For how long is a payment link valid?", account="acme"))
    assert answer.text == "Payment links last 7 days."


async def test_correction_supersedes_and_survives_a_restart(backend: Backend) -> None:
    assistant = await backend.assistant()
    await assistant.teach(LINKS, "Payment links last 7 days.", **AGENT)
    wrong = await assistant.ask(Question(text=LINKS, account="acme"))
    event = await assistant.feedback(
        wrong.id, Signal.CORRECT, text="Payment links last 30 days by default.", make_global=True, **AGENT
    )
    assert "replaced the earlier answer" in event.effect
    old = await assistant.store.get_items([wrong.item_ids[0]])
    assert old[wrong.item_ids[0]].status is ItemStatus.SUPERSEDED
    right = await assistant.ask(Question(text=LINKS, account="globex"))
    assert right.text == "Payment links last 30 days by default."

    await assistant.close()
    backend.started.remove(assistant)
    restarted = await backend.assistant()
    again = await restarted.ask(Question(text=LINKS, account="globex"))
    assert again.text == "Payment links last 30 days by default."


async def test_forget_undoes_a_correction(backend: Backend) -> None:
    assistant = await backend.assistant()
    await assistant.teach(LINKS, "Payment links last 7 days.", **AGENT)
    wrong = await assistant.ask(Question(text=LINKS, account="acme"))
    event = await assistant.feedback(
        wrong.id, Signal.CORRECT, text="Payment links last 30 days by default.", make_global=True, **AGENT
    )
    await assistant.forget(event.id, **AGENT)
    again = await assistant.ask(Question(text=LINKS, account="acme"))
    assert again.text == "Payment links last 7 days."


async def test_forget_an_item(backend: Backend) -> None:
    assistant = await backend.assistant()
    await assistant.teach(LINKS, "Payment links last 7 days.", **AGENT)
    answer = await assistant.ask(Question(text=LINKS, account="acme"))
    await assistant.forget(answer.item_ids[0], **AGENT)
    again = await assistant.ask(Question(text=LINKS, account="acme"))
    assert "7 days" not in again.text


async def test_private_knowledge_never_reaches_another_account(backend: Backend) -> None:
    assistant = await backend.assistant()
    secret = "Acme's contract sets Net 45 terms, code ZX-ACME-9931."
    await assistant.teach("What payment terms did we agree?", secret, account="acme", private=True, **AGENT)
    own = await assistant.ask(Question(text="What payment terms did we agree?", account="acme"))
    assert own.text == secret
    for account in ("globex", None):
        other = await assistant.ask(Question(text="What payment terms did we agree?", account=account))
        assert "ZX-ACME-9931" not in other.text
        assert all(source.item_id not in own.item_ids for source in other.sources)


async def test_resolution_of_a_handoff_is_learned(backend: Backend) -> None:
    assistant = await backend.assistant()
    first = await assistant.ask(Question(text="Can we pay our suppliers in crypto?", account="acme"))
    assert first.decision is Decision.HANDOFF
    reply = "No. Lumen Ledger only collects payments from your customers; it cannot pay suppliers."
    await assistant.feedback(first.id, Signal.RESOLVE, text=reply, make_global=True, **AGENT)
    again = await assistant.ask(
        Question(text="Is it possible to send crypto payments to our suppliers?", account="acme")
    )
    assert again.text == reply
