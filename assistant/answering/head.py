"""A softmax head over resolution keys, trained on every learned example's embedding.

Nearest neighbours alone are immediate but noisy at the boundaries between similar answers; a
linear head over the same embeddings separates them better. A new resolution nudges the head at
once (a few online gradient steps), and a full warm-started refit runs in the background when the
examples have grown, so no one ever retrains anything by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy

import numpy as np
from scipy.optimize import minimize

_REGULARISATION = 1e-5
_REFIT_GROWTH = 1.25
_REFIT_MIN_NEW = 20
_ONLINE_RATE = 0.5
_ONLINE_STEPS = 5
_REFIT_ITERATIONS = 150
_WARM_REFIT_ITERATIONS = 60
MAX_REFIT_ROWS = 20_000


class ResolutionHead:
    """Examples (item id, vector, key, account) and a weight matrix over the keys."""

    def __init__(self, dimension: int) -> None:
        self._dimension = dimension
        self._vectors = np.zeros((256, dimension), dtype=np.float32)
        self._labels = np.zeros(256, dtype=np.int64)
        self._item_ids: list[str] = []
        self._accounts: list[str | None] = []
        self._slot_of: dict[str, int] = {}
        self._keys: list[str] = []
        self._key_index: dict[str, int] = {}
        self._scopes: dict[str, dict[str | None, int]] = {}
        self._capacity = np.zeros((dimension + 1, 64), dtype=np.float64)
        self._fitted_count = 0
        self._masks: dict[str | None, np.ndarray] = {}
        self._dirty = False

    @property
    def example_count(self) -> int:
        return len(self._item_ids)

    def examples_of(self, key: str) -> int:
        """How many examples teach ``key``, a confidence feature."""
        return sum(self._scopes.get(key, {}).values())

    def add(
        self, item_id: str, vector: np.ndarray, key: str, account: str | None, *, online: bool = True
    ) -> None:
        """Learn one example; with ``online`` the head moves towards it immediately."""
        if item_id in self._slot_of:
            return
        label = self._key_index.get(key)
        new_key = label is None
        if label is None:
            label = len(self._keys)
            self._keys.append(key)
            self._key_index[key] = label
            if label >= self._capacity.shape[1]:
                self._capacity = np.hstack([self._capacity, np.zeros_like(self._capacity)])
        slot = len(self._item_ids)
        if slot >= self._vectors.shape[0]:
            self._vectors = np.vstack([self._vectors, np.zeros_like(self._vectors)])
            self._labels = np.concatenate([self._labels, np.zeros_like(self._labels)])
        self._vectors[slot] = vector
        self._labels[slot] = label
        self._item_ids.append(item_id)
        self._accounts.append(account)
        self._slot_of[item_id] = slot
        scope = self._scopes.setdefault(key, {})
        scope[account] = scope.get(account, 0) + 1
        self._masks.clear()
        if online:
            self._learn_at_once(vector, label, new_key)

    def remove(self, item_ids: Iterable[str]) -> None:
        """Forget examples (an undo, a retired document); the next refit drops them fully."""
        drop = {self._slot_of[i] for i in item_ids if i in self._slot_of}
        if not drop:
            return
        keep = [s for s in range(len(self._item_ids)) if s not in drop]
        for slot in drop:
            scope = self._scopes[self._keys[int(self._labels[slot])]]
            scope[self._accounts[slot]] -= 1
        self._vectors[: len(keep)] = self._vectors[keep]
        self._labels[: len(keep)] = self._labels[keep]
        self._item_ids = [self._item_ids[s] for s in keep]
        self._accounts = [self._accounts[s] for s in keep]
        self._slot_of = {item_id: slot for slot, item_id in enumerate(self._item_ids)}
        self._masks.clear()
        self._dirty = True

    @property
    def _weights(self) -> np.ndarray:
        """One column per key (a view into a matrix that grows by doubling)."""
        return self._capacity[:, : len(self._keys)]

    def visible_mask(self, account: str | None) -> np.ndarray:
        """Which keys a question from ``account`` may be answered with."""
        cached = self._masks.get(account)
        if cached is not None:
            return cached
        mask = np.zeros(len(self._keys), dtype=bool)
        for key, scope in self._scopes.items():
            if scope.get(None, 0) > 0 or (account is not None and scope.get(account, 0) > 0):
                mask[self._key_index[key]] = True
        self._masks[account] = mask
        return mask

    def probabilities(self, vector: np.ndarray, account: str | None) -> dict[str, float]:
        """P(key | question) over the keys visible to ``account``."""
        if not self._keys:
            return {}
        logits = np.append(vector, 1.0) @ self._weights
        mask = self.visible_mask(account)
        if not mask.any():
            return {}
        logits = np.where(mask, logits, -np.inf)
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        order = np.argsort(-probs)[:10]
        return {self._keys[i]: float(probs[i]) for i in order if mask[i]}

    def representative(self, key: str, account: str | None) -> str | None:
        """The newest example of ``key`` that ``account`` may see: the item a head-only
        candidate is answered with."""
        label = self._key_index.get(key)
        if label is None:
            return None
        slots = np.nonzero(self._labels[: self.example_count] == label)[0]
        for slot in slots[::-1]:
            owner = self._accounts[int(slot)]
            if owner is None or owner == account:
                return self._item_ids[int(slot)]
        return None

    def invalidate(self) -> None:
        """Ask for a refit whatever the growth (after a bulk load)."""
        self._dirty = True

    def needs_refit(self) -> bool:
        n = self.example_count
        return self._dirty or n >= self._fitted_count * _REFIT_GROWTH + _REFIT_MIN_NEW

    def fit_snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The data a refit needs, copied so the refit may run on another thread.

        Past ``MAX_REFIT_ROWS`` examples a fixed random sample is fitted: the head only has to
        separate keys, and the neighbours still see every example.
        """
        n = self.example_count
        rows = np.arange(n)
        if n > MAX_REFIT_ROWS:
            rows = np.sort(np.random.default_rng(0).choice(n, MAX_REFIT_ROWS, replace=False))
        return self._vectors[rows], self._labels[rows], self._weights.copy(), len(self._keys)

    def install(self, weights: np.ndarray, fitted_count: int) -> None:
        """Swap in refitted weights, keeping columns for keys added since the snapshot."""
        if weights.shape[1] < len(self._keys):
            extra = self._weights[:, weights.shape[1] :]
            weights = np.hstack([weights, extra])
        self._capacity = np.zeros((self._dimension + 1, max(64, 2 * weights.shape[1])))
        self._capacity[:, : weights.shape[1]] = weights
        self._fitted_count = fitted_count
        self._dirty = False

    def held_out(self, item_ids: Iterable[str]) -> ResolutionHead:
        """A copy fitted from scratch without these examples, as if they had never been seen:
        what a rehearsal ranks them with, so that their own labels do not lend them confidence."""
        copy = deepcopy(self)
        copy.remove(item_ids)
        copy._capacity[:] = 0.0
        copy.refit()
        return copy

    def refit(self) -> None:
        """Refit in the calling thread."""
        vectors, labels, weights, classes = self.fit_snapshot()
        self.install(fit_softmax(vectors, labels, weights, classes), self.example_count)

    def _learn_at_once(self, vector: np.ndarray, label: int, new_key: bool) -> None:
        """Make a new example count before the next refit, without unlearning the others.

        A new key, or any example before the first fit, takes a few gradient steps, so it can win
        at once. An example of a known key on a fitted head waits for the refit (its neighbours
        vote for it meanwhile): steps for every example pushed all other keys away along it, which
        cost 2-3 points of accuracy between refits (issue 20).
        """
        if new_key or self._fitted_count == 0:
            self._online_step(vector, label)

    def _online_step(self, vector: np.ndarray, label: int) -> None:
        x = np.append(vector, 1.0)
        for _ in range(_ONLINE_STEPS):
            logits = x @ self._weights
            if int(np.argmax(logits)) == label and logits.size > 1:
                ordered = np.sort(logits)
                if ordered[-1] - ordered[-2] > 2.0:
                    break
            logits -= logits.max()
            probs = np.exp(logits)
            probs /= probs.sum()
            probs[label] -= 1.0
            self._capacity[:, : len(self._keys)] -= _ONLINE_RATE * np.outer(x, probs)


def fit_softmax(vectors: np.ndarray, labels: np.ndarray, start: np.ndarray, classes: int) -> np.ndarray:
    """L2-regularised multinomial logistic regression, warm-started from ``start``."""
    n, dimension = vectors.shape
    if n == 0 or classes == 0:
        return np.zeros((dimension + 1, classes))
    design = np.hstack([vectors.astype(np.float32), np.ones((n, 1), dtype=np.float32)])
    targets = np.zeros((n, classes))
    targets[np.arange(n), labels] = 1.0
    initial = np.zeros((dimension + 1, classes))
    initial[:, : start.shape[1]] = start[:, :classes]

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat.reshape(dimension + 1, classes)
        logits = (design @ weights.astype(np.float32)).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), labels] + 1e-12).mean()
        loss += _REGULARISATION * float((weights[:-1] ** 2).sum())
        gradient = (design.T @ (probs - targets).astype(np.float32)).astype(np.float64) / n
        gradient[:-1] += 2 * _REGULARISATION * weights[:-1]
        return float(loss), gradient.ravel()

    warm = start.shape[1] > 0 and bool(np.any(start))
    iterations = _WARM_REFIT_ITERATIONS if warm else _REFIT_ITERATIONS
    result = minimize(
        loss_and_gradient, initial.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": iterations}
    )
    return np.asarray(result.x).reshape(dimension + 1, classes)
