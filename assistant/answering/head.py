"""A softmax head over resolution keys, trained on every example's embedding (and words, where they help).

Nearest neighbours alone are immediate but noisy at the boundaries between similar answers; a
linear head over the same embeddings separates them better, and the example's words beside the
embedding (``assistant.answering.lexicon``) better still where one word tells two intents apart.
A new resolution nudges the head at once (a few online gradient steps), and a full warm-started
refit runs in the background when the examples have grown, so no one ever retrains anything by
hand.

The weights have one column per key and one row per feature: the embedding's, then the bias, then
one per term of the vocabulary (none while the head weighs no words).

A vector may end in a second view of the question (``judged_tail`` numbers: an encoder's inner layer
beside its last); whether the head looks at it is judged as the words are, and while it does not,
the head sees the vector's leading part alone, at unit length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from assistant.answering.lexicon import LEXICAL_WEIGHT, Lexicon, fit_lexicon

_REGULARISATION = 1e-5
_REFIT_GROWTH = 1.25
_REFIT_MIN_NEW = 20
_ONLINE_RATE = 0.5
_ONLINE_STEPS = 5
_REFIT_ITERATIONS = 150
_WARM_REFIT_ITERATIONS = 60
MAX_REFIT_ROWS = 20_000
#: Whether words (and a judged tail) help is judged when the examples first reach this many, and
#: again each time they have doubled since (``choose_features``).
_FIRST_FEATURE_CHOICE = 100
_FEATURE_CHOICE_GROWTH = 2.0
#: The newest share of a snapshot's examples that the features are judged on.
_FEATURES_JUDGED_ON = 1 / 3


@dataclass(frozen=True, slots=True)
class HeadSnapshot:
    """What a refit needs, copied so that it may run on another thread."""

    vectors: np.ndarray
    texts: list[str]
    labels: np.ndarray
    weights: np.ndarray
    lexicon: Lexicon | None
    classes: int
    lexical_weight: float  # the words' weight now
    candidate_weight: float  # the weight words get when they help
    judge_features: bool  # judge again whether they (and the tail) do
    tail: int = 0  # the vectors' trailing numbers whose use is judged
    tail_used: bool = False  # whether the head looks at them now


@dataclass(frozen=True, slots=True)
class FittedHead:
    """A refit's result: the weights, the vocabulary their term rows belong to and the words'
    weight (chosen anew when the snapshot asked)."""

    weights: np.ndarray
    lexicon: Lexicon | None
    lexical_weight: float
    features_judged: bool = False
    tail_used: bool = False


class ResolutionHead:
    """Examples (item id, vector, text, key, account) and a weight matrix over the keys."""

    def __init__(
        self, dimension: int, *, lexical_weight: float = LEXICAL_WEIGHT, judged_tail: int = 0
    ) -> None:
        if not 0 <= judged_tail < dimension:
            raise ValueError(f"judged_tail must be under the dimension ({dimension}), not {judged_tail}")
        self._dimension = dimension
        self._tail = judged_tail
        self._tail_used = False  # the leading part alone until the examples show the tail helps
        self._candidate_weight = lexical_weight
        self._lexical_weight = 0.0  # no words until the examples show they help
        self._features_judged_at = 0  # examples when words and tail were last judged
        self._lexicon: Lexicon | None = None
        self._texts: list[str] = []
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

    @property
    def judged_tail(self) -> int:
        """How many numbers at the end of each vector are the second view the head judges."""
        return self._tail

    def add(
        self,
        item_id: str,
        vector: np.ndarray,
        key: str,
        account: str | None,
        *,
        text: str = "",
        online: bool = True,
    ) -> None:
        """Learn one example (``text``: what its vector embeds); with ``online`` the head moves
        towards it immediately."""
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
        self._texts.append(text)
        self._accounts.append(account)
        self._slot_of[item_id] = slot
        scope = self._scopes.setdefault(key, {})
        scope[account] = scope.get(account, 0) + 1
        self._masks.clear()
        if online:
            self._learn_at_once(vector, text, label, new_key)

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
        self._texts = [self._texts[s] for s in keep]
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

    def _words(self, text: str) -> sparse.csr_matrix | None:
        """``text``'s row of term features (None before a vocabulary, or without a text)."""
        if self._lexicon is None or not text:
            return None
        return self._lexicon.row(text)

    def _logits(self, vector: np.ndarray, words: sparse.csr_matrix | None) -> np.ndarray:
        seen = head_view(vector[np.newaxis, :], self._tail, self._tail_used)[0]
        return scores(np.append(seen, 1.0), words, self._weights)

    def probabilities(self, vector: np.ndarray, account: str | None, text: str = "") -> dict[str, float]:
        """P(key | question) over the keys visible to ``account``; ``text`` is the question's."""
        if not self._keys:
            return {}
        logits = self._logits(vector, self._words(text))
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

    def fit_snapshot(self) -> HeadSnapshot:
        """The data a refit needs, copied so the refit may run on another thread.

        Past ``MAX_REFIT_ROWS`` examples a fixed random sample is fitted: the head only has to
        separate keys, and the neighbours still see every example.
        """
        n = self.example_count
        rows = np.arange(n)
        if n > MAX_REFIT_ROWS:
            rows = np.sort(np.random.default_rng(0).choice(n, MAX_REFIT_ROWS, replace=False))
        return HeadSnapshot(
            vectors=self._vectors[rows],
            texts=[self._texts[r] for r in rows],
            labels=self._labels[rows],
            weights=self._weights.copy(),
            lexicon=self._lexicon,
            classes=len(self._keys),
            lexical_weight=self._lexical_weight,
            candidate_weight=self._candidate_weight,
            judge_features=(self._candidate_weight > 0 or self._tail > 0)
            and len(rows) >= max(_FIRST_FEATURE_CHOICE, _FEATURE_CHOICE_GROWTH * self._features_judged_at),
            tail=self._tail,
            tail_used=self._tail_used,
        )

    def install(self, fitted: FittedHead, fitted_count: int) -> None:
        """Swap in refitted weights and their vocabulary, keeping columns for keys added since
        the snapshot (their term rows start afresh in the new vocabulary)."""
        weights = fitted.weights
        if weights.shape[1] < len(self._keys):
            extra = self._weights[:, weights.shape[1] :]
            extra = carried_over(extra, self._dimension, self._lexicon, fitted.lexicon)
            weights = np.hstack([weights, extra])
        self._capacity = np.zeros((weights.shape[0], max(64, 2 * weights.shape[1])))
        self._capacity[:, : weights.shape[1]] = weights
        self._lexicon = fitted.lexicon
        self._lexical_weight = fitted.lexical_weight
        self._tail_used = fitted.tail_used
        if fitted.features_judged:
            self._features_judged_at = fitted_count
        self._fitted_count = fitted_count
        self._dirty = False

    def held_out(self, item_ids: Iterable[str]) -> ResolutionHead:
        """A copy fitted from scratch without these examples, as if they had never been seen:
        what a rehearsal ranks them with, so that their own labels do not lend them confidence.
        It keeps this head's features (words, tail) rather than judging them again: it stands
        for this head, and judging costs four fits."""
        copy = deepcopy(self)
        copy.remove(item_ids)
        copy._capacity[:] = 0.0
        snapshot = replace(copy.fit_snapshot(), judge_features=False)
        copy.install(fit_head(snapshot), copy.example_count)
        return copy

    def refit(self) -> None:
        """Refit in the calling thread."""
        self.install(fit_head(self.fit_snapshot()), self.example_count)

    def _learn_at_once(self, vector: np.ndarray, text: str, label: int, new_key: bool) -> None:
        """Make a new example count before the next refit, without unlearning the others.

        A new key, or any example before the first fit, takes a few gradient steps, so it can win
        at once. An example of a known key on a fitted head waits for the refit (its neighbours
        vote for it meanwhile): steps for every example pushed all other keys away along it, which
        cost 2-3 points of accuracy between refits (issue 20).
        """
        if new_key or self._fitted_count == 0:
            self._online_step(vector, self._words(text), label)

    def _online_step(self, vector: np.ndarray, words: sparse.csr_matrix | None, label: int) -> None:
        x = np.append(head_view(vector[np.newaxis, :], self._tail, self._tail_used)[0], 1.0)
        keys = len(self._keys)
        for _ in range(_ONLINE_STEPS):
            logits = self._logits(vector, words)
            if int(np.argmax(logits)) == label and logits.size > 1:
                ordered = np.sort(logits)
                if ordered[-1] - ordered[-2] > 2.0:
                    break
            logits -= logits.max()
            probs = np.exp(logits)
            probs /= probs.sum()
            probs[label] -= 1.0
            self._capacity[: self._dimension + 1, :keys] -= _ONLINE_RATE * np.outer(x, probs)
            if words is not None and words.nnz:
                rows = self._dimension + 1 + words.indices
                self._capacity[rows, :keys] -= _ONLINE_RATE * np.outer(words.data, probs)


def scores(dense: np.ndarray, words: sparse.csr_matrix | None, weights: np.ndarray) -> np.ndarray:
    """Logits over the keys of one row (``dense``: the embedding then 1, for the bias) or of many
    (one such row each), with their term features ``words`` if any."""
    fixed = dense.shape[-1]
    logits = np.asarray(dense @ weights[:fixed])
    if words is not None and words.nnz:
        logits = logits + np.asarray(words @ weights[fixed:]).reshape(logits.shape)
    return logits


def carried_over(
    weights: np.ndarray, dimension: int, old: Lexicon | None, new: Lexicon | None
) -> np.ndarray:
    """``weights`` laid out for the vocabulary ``new`` instead of ``old``: a term both know keeps
    its row, a new term starts at zero (so a refit starts warm after its vocabulary changed)."""
    fixed = dimension + 1
    moved = np.zeros((fixed + (new.size if new else 0), weights.shape[1]))
    moved[:fixed] = weights[:fixed]
    if old is not None and new is not None:
        before = old.terms
        pairs = [(row, before[term]) for term, row in new.terms.items() if term in before]
        if pairs:
            to, source = np.array(pairs).T
            moved[fixed + to] = weights[fixed + source]
    return moved


def head_view(vectors: np.ndarray, tail: int, tail_used: bool) -> np.ndarray:
    """The rows as the head sees them: whole while it uses their ``tail`` (or there is none),
    else their leading part made unit length again and the tail zeroed, so the weights keep their
    shape whichever is chosen."""
    if tail == 0 or tail_used:
        return vectors
    lead = vectors[:, :-tail]
    norms = np.linalg.norm(lead, axis=1, keepdims=True)
    seen = np.zeros_like(vectors)
    seen[:, :-tail] = lead / np.where(norms > 0, norms, 1.0)
    return seen


def fit_head(snapshot: HeadSnapshot) -> FittedHead:
    """Refit on a snapshot, warm-started from its weights. When the snapshot asks, it first
    judges whether words and the vectors' tail help (``choose_features``) and makes a new
    vocabulary of the examples' texts, carrying each known term's weights over; between those
    times the vocabulary stays, so that a warm refit starts where the last one ended."""
    weight, lexicon, start = snapshot.lexical_weight, snapshot.lexicon, snapshot.weights
    tail_used = snapshot.tail_used
    if snapshot.judge_features:
        weight, tail_used = choose_features(
            snapshot.vectors,
            snapshot.texts,
            snapshot.labels,
            snapshot.classes,
            snapshot.candidate_weight,
            current=(snapshot.lexical_weight, snapshot.tail_used),
            tail=snapshot.tail,
        )
        lexicon = fit_lexicon(snapshot.texts, weight=weight)
        start = carried_over(snapshot.weights, snapshot.vectors.shape[1], snapshot.lexicon, lexicon)
        if tail_used != snapshot.tail_used:
            start = np.zeros((0, 0))  # the vectors' part now seen differently: a cold fit, in full
    words = lexicon.rows(snapshot.texts) if lexicon is not None else None
    vectors = head_view(snapshot.vectors, snapshot.tail, tail_used)
    weights = fit_softmax(vectors, snapshot.labels, start, snapshot.classes, words)
    return FittedHead(weights, lexicon, weight, features_judged=snapshot.judge_features, tail_used=tail_used)


def choose_features(
    vectors: np.ndarray,
    texts: Sequence[str],
    labels: np.ndarray,
    classes: int,
    candidate: float,
    current: tuple[float, bool] = (0.0, False),
    tail: int = 0,
) -> tuple[float, bool]:
    """Whether the head should weigh words (``candidate``) or not (0), and look at the vectors'
    ``tail`` or not, judged on the newest examples by a head of each kind fitted on the older
    examples alone.

    Words separate intents asked for in many like wordings (hwu64, clinc150) and overfit where each
    resolution has a handful of varied examples (stackfaq): which one a deployment is, its own
    examples say; so for an inner layer beside the last. Held out by time, as the head is used: to
    rank what comes next. The ``current`` choice changes only when another ranks more of them
    right by more than a standard error of the difference (McNemar's), so noise does not flip the
    head's features back and forth.
    """
    n = len(texts)
    split = n - max(1, round(n * _FEATURES_JUDGED_ON))
    weights = [0.0] if candidate <= 0 else [0.0, candidate]
    tails = [False, True] if tail else [False]
    right: dict[tuple[float, bool], np.ndarray] = {}
    for weight in weights:
        lexicon = fit_lexicon(texts[:split], weight=weight)
        if weight > 0 and lexicon is None:
            continue  # no term is shared by enough examples to weigh
        trained_words = lexicon.rows(texts[:split]) if lexicon is not None else None
        newer_words = lexicon.rows(texts[split:]) if lexicon is not None else None
        for tail_used in tails:
            seen = head_view(vectors, tail, tail_used)
            fitted = fit_softmax(seen[:split], labels[:split], np.zeros((0, 0)), classes, trained_words)
            newer = np.hstack([seen[split:], np.ones((n - split, 1))])
            ranked = scores(newer, newer_words, fitted).argmax(axis=1)
            right[(weight, tail_used)] = ranked == labels[split:]
    best = max(right, key=lambda kind: (int(right[kind].sum()), kind == current))
    if current not in right:
        return best
    gain = int(right[best].sum()) - int(right[current].sum())
    noise = float(np.sqrt((right[best] != right[current]).sum()))
    return best if gain > noise else current


def fit_softmax(
    vectors: np.ndarray,
    labels: np.ndarray,
    start: np.ndarray,
    classes: int,
    words: sparse.csr_matrix | None = None,
) -> np.ndarray:
    """L2-regularised multinomial logistic regression over the vectors, a bias and the ``words``
    (sparse term features, if any), warm-started from ``start``."""
    n, dimension = vectors.shape
    terms = 0 if words is None else words.shape[1]
    rows = dimension + 1 + terms
    if n == 0 or classes == 0:
        return np.zeros((rows, classes))
    design = np.hstack([vectors.astype(np.float32), np.ones((n, 1), dtype=np.float32)])
    sparse_part = None if words is None or terms == 0 else words.astype(np.float32).tocsr()
    targets = np.zeros((n, classes))
    targets[np.arange(n), labels] = 1.0
    initial = np.zeros((rows, classes))
    if start.shape[1]:  # a cold fit starts at zero
        initial[:, : start.shape[1]] = start[:, :classes]

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat.reshape(rows, classes)
        single = weights.astype(np.float32)
        logits = (design @ single[: dimension + 1]).astype(np.float64)
        if sparse_part is not None:
            logits += sparse_part @ single[dimension + 1 :]
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), labels] + 1e-12).mean()
        # every weight but the bias's (row ``dimension``)
        loss += _REGULARISATION * float((weights[:dimension] ** 2).sum())
        loss += _REGULARISATION * float((weights[dimension + 1 :] ** 2).sum())
        residual = (probs - targets).astype(np.float32)
        gradient = np.empty((rows, classes))
        gradient[: dimension + 1] = design.T @ residual
        if sparse_part is not None:
            gradient[dimension + 1 :] = sparse_part.T @ residual
        gradient /= n
        gradient[:dimension] += 2 * _REGULARISATION * weights[:dimension]
        gradient[dimension + 1 :] += 2 * _REGULARISATION * weights[dimension + 1 :]
        return float(loss), gradient.ravel()

    warm = start.shape[1] > 0 and bool(np.any(start))
    iterations = _WARM_REFIT_ITERATIONS if warm else _REFIT_ITERATIONS
    result = minimize(
        loss_and_gradient, initial.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": iterations}
    )
    return np.asarray(result.x).reshape(rows, classes)
