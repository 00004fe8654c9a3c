"""Calibrated confidence: the probability that an answer is right, learned from outcomes.

Every answer stores its features; outcomes arrive as people approve, correct, take over a
hand-off (whose reply says whether the draft was right) or stay silent past the acceptance window.
A logistic model over those features is refitted as outcomes accumulate. Before there are enough,
a conservative prior built on similarity and margin speaks, and its weight fades as data arrives.
The answer/hand-off threshold is then chosen so that the expected precision of what is answered
meets the target.

Outcomes only teach about questions like those already seen. A question unlike anything resolved
before (its neighbourhood less similar than that of all but the ``novelty_quantile`` least
familiar of the questions answered rightly) is handed off whatever the model says: the assistant
cannot know what it has never seen, so it asks a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.ports import LabelledOutcome

FEATURE_NAMES = (
    "bias",
    "top_similarity",
    "margin",
    "combined_score",
    "head_probability",
    "vote_share",
    "head_agrees",
    "log_examples",
    "lexical_share",
    "feedback",
    "is_passage",
    "similarity_margin",
    "neighbourhood_similarity",
)
NEIGHBOURHOOD_FEATURE = FEATURE_NAMES.index("neighbourhood_similarity")
PRIOR_MARGIN_FEATURE = FEATURE_NAMES.index("similarity_margin")

_PRIOR_WEIGHT = 40.0
_MIN_OUTCOMES = 30
_L2 = 1.0
_MIN_ANSWERED_SUPPORT = 40
_THRESHOLD_FLOOR = 0.5
_THRESHOLD_CEILING = 0.995


def prior_probability(features: Sequence[float]) -> float:
    """A cautious guess from similarity and margin alone: only near-certain matches pass 0.95."""
    return float(Calibrator.prior(np.asarray([features], dtype=np.float64))[0])


@dataclass(slots=True)
class CalibrationState:
    """The fitted model and the threshold it implies."""

    weights: np.ndarray | None
    outcomes: int
    threshold: float
    novelty_floor: float = 0.0


class Calibrator:
    """Maps answer features to P(correct) and picks the threshold for the target precision."""

    def __init__(self, *, target_precision: float, novelty_quantile: float = 0.1) -> None:
        self._target = target_precision
        self._novelty_quantile = novelty_quantile
        self.state = CalibrationState(weights=None, outcomes=0, threshold=target_precision)

    @property
    def target_precision(self) -> float:
        return self._target

    def probability(self, features: Sequence[float]) -> float:
        """Blend of the fitted model and the prior, weighted by how many outcomes we have."""
        return float(self.probabilities(np.asarray([features], dtype=np.float64))[0])

    @staticmethod
    def prior(features: np.ndarray) -> np.ndarray:
        """The cold-start guess for many rows: similarity and its margin over the runner-up."""
        similarity, margin = features[:, 1], features[:, PRIOR_MARGIN_FEATURE]
        logit = 1.0 + 20.0 * (similarity - 0.7) + 15.0 * (margin - 0.1)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """``probability`` for many rows at once: the prior fades as outcomes accumulate."""
        prior = self.prior(features)
        weights = self.state.weights
        if weights is None:
            return prior
        fitted = 1.0 / (1.0 + np.exp(-np.clip(features @ weights, -30, 30)))
        n = self.state.outcomes
        return (n * fitted + _PRIOR_WEIGHT * prior) / (n + _PRIOR_WEIGHT)

    def should_answer(self, probability: float, features: Sequence[float]) -> bool:
        """Answer when confident enough and the question is not novel."""
        return (
            probability >= self.state.threshold
            and features[NEIGHBOURHOOD_FEATURE] >= self.state.novelty_floor
        )

    def fit(self, outcomes: Sequence[LabelledOutcome]) -> None:
        """Refit on past outcomes and recompute the threshold."""
        outcomes = [o for o in outcomes if len(o.features) == len(FEATURE_NAMES)]
        if len(outcomes) < _MIN_OUTCOMES:
            return
        x = np.array([o.features for o in outcomes], dtype=np.float64)
        y = np.array([1.0 if o.correct else 0.0 for o in outcomes])
        w = np.array([o.weight for o in outcomes])
        if y.min() == y.max():
            return
        weights = _fit_logistic(x, y, w, start=self.state.weights)
        self.state = CalibrationState(weights=weights, outcomes=len(outcomes), threshold=self._target)
        probabilities = self.probabilities(x)
        self.state.threshold = choose_threshold(probabilities, y, w, self._target)
        familiar = x[y == 1.0, NEIGHBOURHOOD_FEATURE]
        if self._novelty_quantile > 0 and familiar.size >= _MIN_OUTCOMES:
            self.state.novelty_floor = float(np.quantile(familiar, self._novelty_quantile))


def choose_threshold(
    probabilities: np.ndarray, correct: np.ndarray, weights: np.ndarray, target: float
) -> float:
    """The lowest cut whose answered set, judged by past outcomes, still meets the target.

    Precision is estimated with one pseudo-failure added (a Laplace-style margin), and a cut needs
    enough past outcomes above it to be trusted; otherwise the target itself is the cut.
    """
    order = np.argsort(-probabilities)
    p_sorted = probabilities[order]
    good = np.cumsum(correct[order] * weights[order])
    total = np.cumsum(weights[order])
    precision = good / (total + 1.0)
    best = None
    for i in range(len(order)):
        if total[i] < _MIN_ANSWERED_SUPPORT:
            continue
        if precision[i] >= target:
            best = float(p_sorted[i])
    if best is None:
        return target
    return float(min(max(best, _THRESHOLD_FLOOR), _THRESHOLD_CEILING))


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, *, start: np.ndarray | None, iterations: int = 25
) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method (few features, so it is exact and fast)."""
    beta = np.zeros(x.shape[1]) if start is None or start.shape[0] != x.shape[1] else start.copy()
    penalty = np.full(x.shape[1], _L2)
    penalty[0] = 1e-6
    for _ in range(iterations):
        z = np.clip(x @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = x.T @ (w * (p - y)) + penalty * beta
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta
