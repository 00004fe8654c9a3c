"""The resolution head: learns at once, separates keys after a refit, respects scopes."""

import numpy as np

from assistant.answering.head import ResolutionHead


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
