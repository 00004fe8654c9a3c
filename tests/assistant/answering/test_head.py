"""The resolution head: learns at once, separates keys after a refit, respects scopes."""

from dataclasses import replace

import numpy as np

from assistant.answering.head import ResolutionHead, carried_over, choose_lexical_weight, fit_head
from assistant.answering.lexicon import fit_lexicon


def _cluster(center: int, n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + center)
    base = np.zeros(dim)
    base[center] = 1.0
    vectors = base + 0.2 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_a_new_example_changes_the_prediction_immediately() -> None:
    head = ResolutionHead(16)
    for i, vector in enumerate(_cluster(0, 5)):
        head.add(f"a{i}", vector, "refunds", None)
    probe = _cluster(1, 1, seed=9)[0]
    head.add("b0", probe, "exports", None)
    probabilities = head.probabilities(probe, None)
    assert max(probabilities, key=probabilities.__getitem__) == "exports"


def test_refit_separates_clusters() -> None:
    head = ResolutionHead(16)
    for key, center in (("refunds", 0), ("exports", 1), ("sso", 2)):
        for i, vector in enumerate(_cluster(center, 30)):
            head.add(f"{key}{i}", vector, key, None, online=False)
    head.refit()
    for key, center in (("refunds", 0), ("exports", 1), ("sso", 2)):
        probe = _cluster(center, 1, seed=123)[0]
        probabilities = head.probabilities(probe, None)
        assert max(probabilities, key=probabilities.__getitem__) == key
    assert not head.needs_refit()


def test_a_fitted_head_learns_a_known_keys_example_at_the_refit_without_unlearning_others() -> None:
    """On a fitted head, an example of a known key takes no gradient steps (they pushed every other
    key away along it); a new key still takes them, and the refit takes in both."""
    head = ResolutionHead(16)
    for key, center in (("refunds", 0), ("exports", 1)):
        for i, vector in enumerate(_cluster(center, 30)):
            head.add(f"{key}{i}", vector, key, None, online=False)
    head.refit()
    probe = _cluster(0, 1, seed=77)[0]
    before = head.probabilities(probe, None)
    between = _cluster(1, 1, seed=5)[0] + _cluster(0, 1, seed=6)[0]
    head.add("exports-odd", between / np.linalg.norm(between), "exports", None)
    assert head.probabilities(probe, None) == before
    newcomer = _cluster(2, 1, seed=8)[0]
    head.add("sso0", newcomer, "sso", None)
    probabilities = head.probabilities(newcomer, None)
    assert max(probabilities, key=probabilities.__getitem__) == "sso"


def test_private_keys_are_masked_for_other_accounts_and_removal_forgets() -> None:
    head = ResolutionHead(16)
    vector = _cluster(3, 1)[0]
    head.add("p", vector, "acme-terms", "acme")
    head.add("g", _cluster(4, 1)[0], "public", None)
    assert "acme-terms" in head.probabilities(vector, "acme")
    assert "acme-terms" not in head.probabilities(vector, "globex")
    assert head.representative("acme-terms", "globex") is None
    assert head.representative("acme-terms", "acme") == "p"
    head.remove(["p"])
    assert "acme-terms" not in head.probabilities(vector, "acme")
    assert head.needs_refit()


def _alarm_head(lexical_weight: float) -> ResolutionHead:
    """Two keys whose examples embed alike (one cluster) and differ by one word: enough of them
    for the head to judge whether words help."""
    head = ResolutionHead(16, lexical_weight=lexical_weight)
    vectors = _cluster(5, 120, seed=3)
    for i, vector in enumerate(vectors):
        verb, key = ("set", "alarm-set") if i % 2 else ("remove", "alarm-remove")
        head.add(f"{key}{i}", vector, key, None, text=f"please {verb} my alarm for {i} am", online=False)
    head.refit()
    return head


def test_words_beside_the_embedding_separate_keys_the_embedding_cannot() -> None:
    probe = _cluster(5, 1, seed=99)[0]
    for lexical_weight, separated in ((0.5, True), (0.0, False)):
        head = _alarm_head(lexical_weight)
        remove = head.probabilities(probe, None, "remove the alarm for tomorrow")
        set_ = head.probabilities(probe, None, "set the alarm for tomorrow")
        assert (remove["alarm-remove"] > 0.8 and set_["alarm-set"] > 0.8) is separated


def test_a_refit_whose_vocabulary_changed_installs_beside_keys_added_meanwhile() -> None:
    head = _alarm_head(0.5)
    probe = _cluster(5, 1, seed=99)[0]
    snapshot = head.fit_snapshot()
    head.add("sso0", _cluster(2, 1)[0], "sso", None, text="log in with sso")  # while it refits
    snoozes = _cluster(5, 4, seed=4)
    grown = replace(  # the refit sees more texts, so its vocabulary differs from the head's
        snapshot,
        vectors=np.vstack([snapshot.vectors, snoozes]),
        texts=[*snapshot.texts, *(f"snooze my alarm {i}" for i in range(4))],
        labels=np.concatenate([snapshot.labels, np.zeros(4, dtype=np.int64)]),
        choose_words=True,  # as when the examples have doubled: words judged, vocabulary remade
    )
    fitted = fit_head(grown)
    assert fitted.lexicon is not None and snapshot.lexicon is not None
    assert "snooze" in fitted.lexicon.terms and "snooze" not in snapshot.lexicon.terms
    head.install(fitted, head.example_count)
    remove = head.probabilities(probe, None, "remove the alarm")
    assert max(remove, key=remove.__getitem__) == "alarm-remove"
    assert "sso" in head.probabilities(_cluster(2, 1)[0], None, "log in with sso")


def test_carried_over_moves_each_terms_row_and_zeroes_new_terms() -> None:
    old = fit_lexicon(["alarm set", "alarm remove", "set remove"])
    new = fit_lexicon(["alarm snooze", "snooze remove", "alarm remove"])
    assert old is not None and new is not None
    dimension = 2
    weights = np.zeros((dimension + 1 + old.size, 3))
    for term, row in old.terms.items():
        weights[dimension + 1 + row] = len(term)
    weights[: dimension + 1] = 7.0
    moved = carried_over(weights, dimension, old, new)
    assert moved.shape == (dimension + 1 + new.size, 3)
    assert (moved[: dimension + 1] == 7.0).all()
    for term, row in new.terms.items():
        expected = len(term) if term in old.terms else 0.0
        assert (moved[dimension + 1 + row] == expected).all()


def test_words_are_kept_where_they_rank_the_newest_examples_better_and_dropped_where_not() -> None:
    vectors = _cluster(5, 150, seed=3)
    labels = np.arange(150) % 2
    worded = [f"please {('remove', 'set')[label]} my alarm for {i} am" for i, label in enumerate(labels)]
    assert choose_lexical_weight(vectors, worded, labels, 2, 0.5) == 0.5
    # words that say nothing of the key (each example's own number) only overfit
    rng = np.random.default_rng(0)
    noise = [f"alarm {rng.integers(0, 40)} {rng.integers(0, 40)}" for _ in labels]
    separated = np.vstack([_cluster(0, 75, seed=1), _cluster(1, 75, seed=2)])[np.argsort(np.argsort(labels))]
    assert choose_lexical_weight(separated, noise, labels, 2, 0.5) == 0.0
