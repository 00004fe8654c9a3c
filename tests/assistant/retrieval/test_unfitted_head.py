"""A fresh install with a handful of taught answers: until the head's first fit (20 examples) it
is only the online steps each new key took, which make the newest keys win for any question, so
the neighbours alone rank."""

from __future__ import annotations

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import Settings
from assistant.models import Decision, Role

AGENT = {"actor": "agent-1", "role": Role.AGENT}


async def test_a_paraphrase_of_the_first_of_two_taught_answers_gets_it(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    try:
        await assistant.teach("How long do payment links last?", "Payment links last 7 days.", **AGENT)
        await assistant.teach("Can I export invoices as CSV?", "Yes: Billing > Invoices > Export.", **AGENT)
        assert not assistant.engine.head.fitted
        paraphrase = await assistant.assess("how long does a payment link stay valid", None)
        best = paraphrase.ranking.best
        assert best is not None
        assert paraphrase.items[best.item_id].text == "Payment links last 7 days."
        assert paraphrase.decision is Decision.ANSWER
        # A question neither answers is still handed off.
        shipping = await assistant.assess("how long does shipping take", None)
        assert shipping.decision is Decision.HANDOFF
    finally:
        await assistant.close()
