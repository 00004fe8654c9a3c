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
