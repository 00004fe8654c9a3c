"""BM25: rarer shared terms score higher; removal really forgets."""

from assistant.retrieval.bm25 import Bm25Index
from assistant.retrieval.tokens import tokenize


def test_tokenize_drops_stopwords_and_possessives() -> None:
    assert tokenize("What's Acme's API rate-limit?") == ["acme", "api", "rate", "limit"]


def test_rare_terms_win_and_removed_slots_are_gone() -> None:
    index = Bm25Index()
    index.add(0, "reset two factor authentication for a user")
    index.add(1, "export invoices to csv")
    index.add(2, "invoices paid by card")
    scores = index.scores("export my invoices")
    assert max(scores, key=scores.__getitem__) == 1
    assert 0 not in scores
    index.remove(1)
    assert 1 not in index.scores("export my invoices")
    assert len(index) == 2


def test_re_adding_a_slot_replaces_its_text() -> None:
    index = Bm25Index()
    index.add(0, "webhooks retry eight times")
    index.add(0, "payment links expire")
    assert index.scores("webhooks") == {}
    assert 0 in index.scores("payment links")
