"""The resolution head: learns at once, separates keys after a refit, respects scopes."""

from dataclasses import replace

import numpy as np
import pytest

from assistant.answering.head import (
    ResolutionHead,
    carried_over,
    choose_features,
    fit_head,
    fit_softmax,
    head_view,
)
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
        judge_features=True,  # as when the examples have doubled: words judged, vocabulary remade
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
    assert choose_features(vectors, worded, labels, 2, 0.5) == (0.5, False)
    # words that say nothing of the key (each example's own number) only overfit
    rng = np.random.default_rng(0)
    noise = [f"alarm {rng.integers(0, 40)} {rng.integers(0, 40)}" for _ in labels]
    separated = np.vstack([_cluster(0, 75, seed=1), _cluster(1, 75, seed=2)])[np.argsort(np.argsort(labels))]
    assert choose_features(separated, noise, labels, 2, 0.5) == (0.0, False)


def _with_tail(lead: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Two views side by side, each unit length, the whole unit length (as the encoder joins a
    layer beside its last)."""
    parts = [p / np.linalg.norm(p, axis=1, keepdims=True) for p in (lead, tail)]
    return (np.hstack(parts) / np.sqrt(2)).astype(np.float32)


def _two_views(tail_tells: bool, n: int = 240, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Two keys the leading part hardly tells apart; the tail tells them apart or is noise."""
    labels = np.arange(n) % 2
    rng = np.random.default_rng(seed)
    lead = np.zeros((n, 16))
    lead[:, 0] = 1.0
    lead[:, 1] = 0.05 * (2 * labels - 1)
    lead += 0.3 * rng.normal(size=lead.shape)
    tail = 0.2 * rng.normal(size=(n, 16))
    tail[np.arange(n), 2 + labels if tail_tells else 2] += 1.0
    return _with_tail(lead, tail), labels


def test_head_view_shows_the_lead_alone_at_unit_length_until_the_tail_is_used() -> None:
    vectors, _ = _two_views(True, n=4)
    seen = head_view(vectors, 16, tail_used=False)
    assert np.allclose(np.linalg.norm(seen[:, :16], axis=1), 1.0)
    assert (seen[:, 16:] == 0).all()
    assert head_view(vectors, 16, tail_used=True) is vectors
    assert head_view(vectors, 0, tail_used=False) is vectors


def test_the_tail_is_looked_at_where_it_ranks_the_newest_examples_better_and_not_where_not() -> None:
    texts = [f"question {i}" for i in range(240)]
    telling, labels = _two_views(True)
    assert choose_features(telling, texts, labels, 2, 0.0, tail=16) == (0.0, True)
    noisy, labels = _two_views(False)
    assert choose_features(noisy, texts, labels, 2, 0.0, tail=16) == (0.0, False)


def test_a_head_with_a_judged_tail_takes_it_up_once_its_examples_show_it_helps() -> None:
    vectors, labels = _two_views(True)
    head = ResolutionHead(32, lexical_weight=0.0, judged_tail=16)
    keys = ("alarm-set", "alarm-remove")
    for i, (vector, label) in enumerate(zip(vectors[:60], labels[:60], strict=True)):
        head.add(f"q{i}", vector, keys[label], None, text=f"question {i}", online=False)
    head.refit()  # 60 examples: too few to judge, so the lead alone
    assert not head.fit_snapshot().tail_used
    for i, (vector, label) in enumerate(zip(vectors[60:], labels[60:], strict=True), start=60):
        head.add(f"q{i}", vector, keys[label], None, text=f"question {i}", online=False)
    head.refit()
    assert head.fit_snapshot().tail_used
    probe, probe_labels = _two_views(True, n=40, seed=12)
    right = sum(
        max(p := head.probabilities(v, None), key=p.__getitem__) == keys[label]
        for v, label in zip(probe, probe_labels, strict=True)
    )
    assert right >= 36


def test_a_tail_as_wide_as_the_vector_is_refused() -> None:
    with pytest.raises(ValueError, match="judged_tail"):
        ResolutionHead(16, judged_tail=16)


def test_taking_up_the_tail_fits_afresh_rather_than_from_weights_for_the_lead_alone() -> None:
    """Warm-started from weights fitted to the lead alone, a short refit left the head half
    converged after a switch (clinc150, seed 1: forced accuracy 0.957 -> 0.948)."""
    vectors, labels = _two_views(True)
    head = ResolutionHead(32, lexical_weight=0.0, judged_tail=16)
    for i, (vector, label) in enumerate(zip(vectors, labels, strict=True)):
        head.add(f"q{i}", vector, ("alarm-set", "alarm-remove")[label], None, online=False)
    snapshot = replace(head.fit_snapshot(), weights=np.full((33, 2), 50.0) * [1, -1])
    assert snapshot.judge_features and not snapshot.tail_used
    fitted = fit_head(snapshot)
    assert fitted.tail_used
    cold = fit_softmax(vectors, labels, np.zeros((0, 0)), 2)
    assert np.array_equal(fitted.weights, cold)
