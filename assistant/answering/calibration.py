"""Calibrated confidence: the probability that an answer is right, learned from outcomes.

Every answer stores its features; outcomes arrive as people approve, correct, take over a
hand-off (whose reply says whether the draft was right) or stay silent past the acceptance window.
A logistic model over those features is refitted as outcomes accumulate. Before there are enough,
a conservative prior built on similarity and margin speaks; the fit is shrunk towards that prior
(not towards "know nothing"), so a few outcomes that agree with it never make the model less sure
than it was before they came: with experience the assistant may only grow bolder where the
outcomes say it was right. How strongly the fit is pulled is chosen at each fit by how well each
strength predicts outcomes held out from it (``choose_pull``). The answer/hand-off threshold is
then chosen so that the expected precision of what is answered meets the target, judged on the
outcomes the novelty gate below would let through: those it hands off anyway are not answered at
any cut, so they do not hold the cut up.

Outcomes only teach about questions like those already seen. A question unlike anything resolved
before (less familiar than all but the ``novelty_quantile`` least familiar of the questions its
resolution answered rightly) is handed off whatever the model says: the assistant cannot know what
it has never seen, so it asks a person. Familiarity is how near the nearest examples are and how
far the top resolution leads the runner-up, in equal parts (``FamiliarityScale``): a question
torn between two resolutions is as unlike what was answered as one far from every example.
Familiarity is judged per resolution because resolutions differ in how variously they are asked
for (one floor for all handed off the widely worded ones' ordinary questions and let through novel
ones near the tightly worded); a resolution with few right answers leans on the floor of all. A
near-duplicate of a question already resolved is not novel, however sparse its neighbourhood (one
example of a rare answer).

Silence is ambiguous: a silent answer was right, or wrong and nobody corrected it. Approvals and
corrections alone cannot tell a diligent team from a busy one, so a small random share of silent
answers is put to an agent (``learning.spot_checks``). Once enough of those verdicts are in, they
say how often a silent answer was right, which fixes the rates people approve right answers and
correct wrong ones; silence is then read from those rates instead of discounted or estimated.

Resolutions differ in how often the same features mean a right answer (two close intents are
confused at a similarity that is safe elsewhere). Each resolution gets its own shift of the
model's log-odds, fitted on its own outcomes and shrunk towards none; how strongly is chosen, as
the pull is, by how well each strength predicts outcomes held out from it (``choose_key_shrink``).
A resolution with few outcomes keeps the model's word.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

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
MARGIN_FEATURE = FEATURE_NAMES.index("margin")
#: What familiarity is judged on: how close the nearest examples are, and how far the top
#: resolution leads the runner-up (a question between two resolutions is as unlike what was
#: answered as one far from all; together they tell out-of-scope questions from in-scope ones
#: better than either, benchmarks/results/novelty_floors-*.json).
FAMILIARITY_FEATURES = (NEIGHBOURHOOD_FEATURE, MARGIN_FEATURE)
#: The share of right answers less familiar than which a question is handed off (the default of
#: ``ASSISTANT_NOVELTY_QUANTILE``). 0.07, not the 0.1 the neighbourhood alone was judged at: with
#: the margin beside it, this hands off as many of clinc150's out-of-scope questions as 0.1 did
#: (0.953, traced on one machine) and answers more in-scope ones, at a higher precision
#: (benchmarks/results/learning_variants-familiarity*.json).
NOVELTY_QUANTILE = 0.07
#: The least spread a familiarity feature is scaled by (right answers that all share one value
#: would otherwise make any other value infinitely unusual).
_SPREAD_FLOOR = 1e-3
PRIOR_MARGIN_FEATURE = FEATURE_NAMES.index("similarity_margin")
SIMILARITY_FEATURE = FEATURE_NAMES.index("top_similarity")
#: A question this similar to a resolved one is a repeat of it, never novel.
NEAR_DUPLICATE_SIMILARITY = 0.97

#: The prior as logistic weights: logit = 1 + 20 (similarity - 0.7) + 15 (similarity margin - 0.1).
PRIOR_WEIGHTS = np.zeros(len(FEATURE_NAMES))
PRIOR_WEIGHTS[0] = 1.0 - 20.0 * 0.7 - 15.0 * 0.1
PRIOR_WEIGHTS[SIMILARITY_FEATURE] = 20.0
PRIOR_WEIGHTS[PRIOR_MARGIN_FEATURE] = 15.0
_MIN_OUTCOMES = 30
#: The strengths of the pull towards the prior that a fit chooses among, by how well each predicts
#: outcomes it was not fitted on: no one strength suits both a few hundred outcomes rehearsed from
#: imported tickets and thousands of live ones (benchmarks/results/learning_variants-l2*.json).
PULLS = (0.1, 0.3, 1.0, 3.0, 10.0)
#: The pull before a choice is possible (too few outcomes of either kind to hold some out), and
#: while the outcomes are rehearsed from imported tickets: those are ranked with the ticket hidden,
#: not as a live question is, so how well they predict each other says little about live questions
#: (a lighter pull fitted to them answered hwu64's day-one test 0.045 instead of 0.117).
DEFAULT_PULL = 1.0
_PULL_FOLDS = 3
#: A resolution's own novelty floor is shrunk towards the floor of all as if it had this many more
#: right answers at that floor (10-100 measured alike on clinc150's traced replay).
_KEY_FLOOR_SHRINK = 30
#: How strongly a resolution's own log-odds shift is pulled to none (in outcomes' worth of
#: information), chosen among these per fit; the last is "no shifts" and wins ties.
KEY_SHRINKS: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, float("inf"))
_KEY_SHIFT_ROUNDS = 25
_MIN_ANSWERED_SUPPORT = 40
_THRESHOLD_FLOOR = 0.5
_THRESHOLD_CEILING = 0.995
#: The share of the oldest outcomes the cut is not judged on: they were answered from a sparser
#: memory and are wrong more often, at the same confidence, than questions asked now (hwu64's first
#: 500 outcomes were right 0.78-0.94 of the time at p >= 0.95, the answers given then 0.95), so they
#: held the cut up while the memory grew (benchmarks/results/learning_variants-newer-outcomes*.json).
#: The model is still fitted on them all.
OLDEST_NOT_JUDGED = 1 / 3
#: ... but never on fewer than this many outcomes: on a young deployment the margin a cut needs on
#: a few dozen outcomes costs more than the oldest ones' bias (stackfaq's cut stayed at 0.82-0.90
#: for its first 150 outcomes, where judged on them all it fell to 0.58-0.75).
MIN_JUDGED_OUTCOMES = 200
#: What a silent answer counts for as a yes, unless silence is estimated.
SILENCE_DISCOUNT = 0.5
#: Where reading silence starts: people approve half the right answers and correct half the wrong.
_START_RATE = 0.5
_SILENCE_ROUNDS = 30
_SILENCE_TOLERANCE = 1e-3
#: Spot-checked silent answers needed before their verdicts, not the discount, say what silence is.
MIN_SPOT_CHECKS = 20


def prior_probability(features: Sequence[float]) -> float:
    """A cautious guess from similarity and margin alone: only near-certain matches pass 0.95."""
    return float(Calibrator.prior(np.asarray([features], dtype=np.float64))[0])


@dataclass(frozen=True, slots=True)
class FamiliarityScale:
    """How familiar a question is, as one number: the familiarity features, each in standard
    deviations from its mean over the right answers the floors were set on, averaged."""

    centre: np.ndarray
    spread: np.ndarray

    @classmethod
    def of_right_answers(cls, rows: np.ndarray) -> FamiliarityScale:
        values = rows[:, FAMILIARITY_FEATURES]
        return cls(centre=values.mean(axis=0), spread=np.maximum(values.std(axis=0), _SPREAD_FLOOR))

    def familiarity(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(((rows[..., FAMILIARITY_FEATURES] - self.centre) / self.spread).mean(axis=-1))


@dataclass(slots=True)
class CalibrationState:
    """The fitted model and the threshold it implies."""

    weights: np.ndarray | None
    outcomes: int
    threshold: float
    novelty_floor: float = 0.0
    #: Each resolution's own novelty floor (``novelty_floor`` for a resolution not in it).
    key_floors: dict[str, float] = field(default_factory=dict)
    #: What the floors are judged on (None: the neighbourhood's similarity, until floors are set).
    familiarity: FamiliarityScale | None = None
    #: What silence was read as (None until silent answers and verdicts on answers exist).
    silence: SilenceReading | None = None
    #: How strongly the fit was pulled towards the prior (one of ``PULLS``).
    pull: float = DEFAULT_PULL
    #: Each resolution's shift of the model's log-odds (0 for a resolution not in it).
    key_shifts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SilenceReading:
    """How often people approved a right answer and corrected a wrong one, as estimated from the
    answers they reacted to, and the share of silent answers that were then probably right."""

    approve_rate: float
    correct_rate: float
    silent_right: float


class Calibrator:
    """Maps answer features to P(correct) and picks the threshold for the target precision."""

    def __init__(
        self,
        *,
        target_precision: float,
        novelty_quantile: float = NOVELTY_QUANTILE,
        estimate_silence: bool = False,
    ) -> None:
        self._target = target_precision
        self._novelty_quantile = novelty_quantile
        self._estimate_silence = estimate_silence
        self.state = CalibrationState(weights=None, outcomes=0, threshold=target_precision)

    @property
    def target_precision(self) -> float:
        return self._target

    def probability(self, features: Sequence[float], resolution_key: str | None = None) -> float:
        """P(right) of answering with ``resolution_key``: the prior until a model is fitted, then
        the model (which the prior regularises) shifted by what that resolution's outcomes say."""
        row = np.asarray([features], dtype=np.float64)
        weights = self.state.weights
        if weights is None:
            return float(self.prior(row)[0])
        shift = shifts_of(np.array([resolution_key], dtype=object), self.state.key_shifts)
        return float(_sigmoid(row @ weights + shift)[0])

    @staticmethod
    def prior(features: np.ndarray) -> np.ndarray:
        """The cold-start guess for many rows: similarity and its margin over the runner-up."""
        return _sigmoid(features @ PRIOR_WEIGHTS)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """The prior until a model is fitted, then the model (which the prior regularises), for
        many rows at once and before any resolution's own shift (``probability`` adds it)."""
        weights = self.state.weights
        return self.prior(features) if weights is None else _sigmoid(features @ weights)

    def should_answer(
        self, probability: float, features: Sequence[float], resolution_key: str | None = None
    ) -> bool:
        """Answer with ``resolution_key`` when confident enough and the question is not novel for
        that resolution (a repeat never is)."""
        state = self.state
        row = np.asarray([features], dtype=np.float64)
        familiar = bool(
            is_familiar(
                row,
                [resolution_key],
                scale=state.familiarity,
                floor=state.novelty_floor,
                key_floors=state.key_floors,
            )[0]
        )
        return probability >= state.threshold and familiar

    def fit(self, outcomes: Sequence[LabelledOutcome], *, rehearsed: bool = False) -> None:
        """Refit on past outcomes and recompute the threshold; ``rehearsed`` when they are mostly
        rehearsed from imported tickets rather than the deployment's own."""
        outcomes = [o for o in outcomes if len(o.features) == len(FEATURE_NAMES)]
        if len(outcomes) < _MIN_OUTCOMES:
            return
        x = np.array([o.features for o in outcomes], dtype=np.float64)
        y = np.array([1.0 if o.correct else 0.0 for o in outcomes])
        w = np.array([o.weight for o in outcomes])
        if y.min() == y.max():
            return
        silent = np.array([o.silent for o in outcomes], dtype=bool)
        checked = np.array([o.spot_checked for o in outcomes], dtype=bool)
        # Spot-check verdicts were asked for, so they say nothing of how often people react.
        answered = np.array([o.answered for o in outcomes], dtype=bool) & ~checked
        discounted = np.where(silent, w * SILENCE_DISCOUNT, w)
        # The pull is chosen with silence discounted in every mode: read silence is not known yet.
        pull = DEFAULT_PULL if rehearsed else choose_pull(x, y, discounted, start=self.state.weights)
        silence = read_spot_checks(y, silent=silent, answered=answered, checked=checked)
        if silence is not None:
            weights = fit_reading(x, y, w, silent, silence, start=self.state.weights, pull=pull)
        elif self._estimate_silence:
            state = self.state
            weights, silence = read_silence(
                x,
                y,
                w,
                silent=silent,
                answered=answered,
                start=state.weights,
                reading=state.silence,
                pull=pull,
            )
        else:
            w = discounted
            weights = _fit_logistic(x, y, w, start=self.state.weights, centre=PRIOR_WEIGHTS, pull=pull)
            silence = None
        rows, labels, row_weights = x, y, w
        keys = np.array([o.resolution_key for o in outcomes], dtype=object)
        # Which outcome each row is (a silent answer split in two is two rows of one outcome).
        row_outcome = np.arange(len(outcomes))
        if silence is not None:
            right = _silent_right(_sigmoid(x[silent] @ weights), silence)
            rows, labels, row_weights = _split_silent(x, y, w, silent, right)
            row_outcome = np.concatenate([row_outcome, row_outcome[silent]])
        row_keys = keys[row_outcome]
        logits = rows @ weights
        shrink = choose_key_shrink(logits, labels, row_weights, row_keys)
        key_shifts = fit_key_shifts(logits, labels, row_weights, row_keys, shrink)
        logits = logits + shifts_of(row_keys, key_shifts)
        right = y == 1.0
        novelty_floor, key_floors = self.state.novelty_floor, self.state.key_floors
        scale = self.state.familiarity
        if self._novelty_quantile > 0 and right.sum() >= _MIN_OUTCOMES:
            scale = FamiliarityScale.of_right_answers(x[right])
            familiar = scale.familiarity(x[right])
            novelty_floor = float(np.quantile(familiar, self._novelty_quantile))
            key_floors = floors_by_key(familiar, list(keys[right]), self._novelty_quantile, novelty_floor)
        # The cut is judged on what it would answer: outcomes the novelty gate hands off anyway
        # (often wrong at a confidence that is safe for familiar questions) do not raise it; nor do
        # the oldest live ones (rehearsed outcomes are all ranked against the knowledge of now).
        answerable = is_familiar(
            rows, list(row_keys), scale=scale, floor=novelty_floor, key_floors=key_floors
        )
        if not rehearsed:
            answerable &= row_outcome >= first_judged_outcome(len(outcomes))
        # One assignment: a fit running on a worker thread never shows a half-made state.
        self.state = CalibrationState(
            weights=weights,
            outcomes=len(outcomes),
            threshold=choose_threshold(
                _sigmoid(logits[answerable]), labels[answerable], row_weights[answerable], self._target
            ),
            novelty_floor=novelty_floor,
            key_floors=key_floors,
            familiarity=scale,
            silence=silence,
            pull=pull,
            key_shifts=key_shifts,
        )


def first_judged_outcome(count: int) -> int:
    """The oldest of ``count`` live outcomes (oldest first) the cut is judged on: the oldest
    ``OLDEST_NOT_JUDGED`` are set aside while at least ``MIN_JUDGED_OUTCOMES`` remain."""
    return max(0, min(int(count * OLDEST_NOT_JUDGED), count - MIN_JUDGED_OUTCOMES))


def is_familiar(
    rows: np.ndarray,
    keys: Sequence[str | None],
    *,
    scale: FamiliarityScale | None,
    floor: float,
    key_floors: dict[str, float],
) -> np.ndarray:
    """Which rows the novelty gate lets through for their resolution: familiar enough for it (its
    own floor, or ``floor`` for a resolution without one), or a repeat of a resolved question.
    Until floors are set (``scale`` None) the neighbourhood's similarity is judged instead."""
    values = rows[:, NEIGHBOURHOOD_FEATURE] if scale is None else scale.familiarity(rows)
    floors = np.array([floor if key is None else key_floors.get(key, floor) for key in keys])
    return np.asarray((values >= floors) | (rows[:, SIMILARITY_FEATURE] >= NEAR_DUPLICATE_SIMILARITY))


def floors_by_key(
    familiarity: np.ndarray, keys: Sequence[str | None], quantile: float, overall: float
) -> dict[str, float]:
    """Each resolution's novelty floor: the ``quantile`` of its own right answers' familiarity,
    shrunk towards ``overall`` (the floor of all) by ``_KEY_FLOOR_SHRINK`` answers' worth."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for value, key in zip(familiarity, keys, strict=True):
        if key is not None:
            by_key[key].append(float(value))
    return {
        key: float(
            (len(values) * np.quantile(values, quantile) + _KEY_FLOOR_SHRINK * overall)
            / (len(values) + _KEY_FLOOR_SHRINK)
        )
        for key, values in by_key.items()
    }


def choose_pull(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, start: np.ndarray | None) -> float:
    """The pull towards the prior that the data ask for: the firmest whose fits predict held-out
    outcomes (interleaved folds, weighted log-loss) no worse, by a standard error of the paired
    difference, than the best one's. A lighter pull has to earn its place; ties go to the prior."""
    folds = np.arange(len(y)) % _PULL_FOLDS
    if any(np.unique(y[folds != fold]).size < 2 for fold in range(_PULL_FOLDS)):
        return DEFAULT_PULL
    losses = np.zeros((len(PULLS), len(y)))
    for index, pull in enumerate(PULLS):
        for fold in range(_PULL_FOLDS):
            train, held = folds != fold, folds == fold
            weights = _fit_logistic(
                x[train], y[train], w[train], start=start, centre=PRIOR_WEIGHTS, pull=pull, iterations=20
            )
            z = x[held] @ weights
            losses[index, held] = w[held] * (np.logaddexp(0.0, z) - y[held] * z)
    return _firmest_within_error(PULLS, losses)


def fit_key_shifts(
    logits: np.ndarray, y: np.ndarray, w: np.ndarray, keys: np.ndarray, shrink: float
) -> dict[str, float]:
    """Each resolution's shift of the model's log-odds that best fits its own outcomes, with an
    L2 penalty of ``shrink`` towards none. Outcomes with no resolution (rehearsed ones) shift
    nothing."""
    names, codes = _resolution_codes(keys)
    if not np.isfinite(shrink) or not names.size:
        return {}
    shifts = _coded_shifts(logits, y, w, codes, len(names), shrink)
    return {str(name): float(shift) for name, shift in zip(names, shifts, strict=True)}


def shifts_of(keys: np.ndarray, key_shifts: dict[str, float]) -> np.ndarray:
    """The log-odds shift of each row's resolution (0 for none or one with no shift)."""
    return np.array([key_shifts.get(key, 0.0) if key is not None else 0.0 for key in keys])


def choose_key_shrink(logits: np.ndarray, y: np.ndarray, w: np.ndarray, keys: np.ndarray) -> float:
    """How strongly resolutions' shifts are shrunk: the firmest of ``KEY_SHRINKS`` whose shifts
    predict held-out outcomes (interleaved folds, weighted log-loss) no worse, by a standard error
    of the paired difference, than the best one's. No shift at all has to be beaten."""
    names, codes = _resolution_codes(keys)
    if not names.size:  # every strength shifts nothing: the tie goes to the firmest
        return KEY_SHRINKS[-1]
    folds = np.arange(len(y)) % _PULL_FOLDS
    losses = np.zeros((len(KEY_SHRINKS), len(y)))
    for index, shrink in enumerate(KEY_SHRINKS):
        for fold in range(_PULL_FOLDS):
            train, held = folds != fold, folds == fold
            shifts = _coded_shifts(logits[train], y[train], w[train], codes[train], len(names), shrink)
            z = logits[held] + _shift_rows(shifts, codes[held])
            losses[index, held] = w[held] * (np.logaddexp(0.0, z) - y[held] * z)
    return _firmest_within_error(KEY_SHRINKS, losses)


def _resolution_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The resolutions named in ``keys``, and each row's index among them (-1 for none)."""
    known = np.array([key is not None for key in keys], dtype=bool)
    codes = np.full(len(keys), -1)
    if not known.any():
        return np.array([], dtype=str), codes
    names, codes[known] = np.unique(keys[known].astype(str), return_inverse=True)
    return names, codes


def _coded_shifts(
    logits: np.ndarray, y: np.ndarray, w: np.ndarray, codes: np.ndarray, count: int, shrink: float
) -> np.ndarray:
    """``fit_key_shifts`` over resolution indices (Newton's method, all resolutions at once); a
    resolution with no row here keeps no shift."""
    shifts = np.zeros(count)
    known = codes >= 0
    if not np.isfinite(shrink) or not known.any():
        return shifts
    index, z, labels, weights = codes[known], logits[known], y[known], w[known]
    for _ in range(_KEY_SHIFT_ROUNDS):
        p = _sigmoid(z + shifts[index])
        gradient = np.bincount(index, weights * (p - labels), minlength=count) + shrink * shifts
        curvature = np.bincount(index, weights * p * (1 - p), minlength=count) + shrink
        step = gradient / curvature
        shifts -= step
        if np.abs(step).max() < 1e-6:
            break
    return shifts


def _shift_rows(shifts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each row's shift by its resolution index (0 for none)."""
    return np.where(codes >= 0, shifts[np.maximum(codes, 0)], 0.0)


def _firmest_within_error(choices: Sequence[float], losses: np.ndarray) -> float:
    """The last (firmest) of ``choices`` whose held-out losses (one row per choice) exceed the
    best one's by no more than a standard error of the paired difference."""
    best = int(np.argmin(losses.sum(axis=1)))
    for index in range(len(choices) - 1, best, -1):
        excess = losses[index] - losses[best]
        if excess.sum() <= np.sqrt(len(excess)) * excess.std():
            return choices[index]
    return choices[best]


def read_spot_checks(
    y: np.ndarray, *, silent: np.ndarray, answered: np.ndarray, checked: np.ndarray
) -> SilenceReading | None:
    """What silence means, from spot checks: the share of checked silent answers that were right
    (with one right and one wrong pseudo-verdict) stands for all silent answers, which gives the
    rates people approve right answers and correct wrong ones unprompted. None before
    ``MIN_SPOT_CHECKS`` verdicts, or with no silent answer to read."""
    count = int(checked.sum())
    if count < MIN_SPOT_CHECKS or not silent.any():
        return None
    right_share = (float(y[checked].sum()) + 1.0) / (count + 2.0)
    went_silent = float(silent.sum()) + count
    approved_rows, corrected_rows = _unprompted_verdicts(y, silent=silent, answered=answered)
    approved, corrected = float(approved_rows.sum()), float(corrected_rows.sum())
    return SilenceReading(
        approve_rate=approved / (approved + went_silent * right_share),
        correct_rate=corrected / (corrected + went_silent * (1.0 - right_share)),
        silent_right=right_share,
    )


def read_silence(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    silent: np.ndarray,
    answered: np.ndarray,
    start: np.ndarray | None,
    reading: SilenceReading | None = None,
    pull: float = DEFAULT_PULL,
) -> tuple[np.ndarray, SilenceReading | None]:
    """The confidence model's weights, with silent answers counted as right or wrong by how likely
    each was right, and what silence was read as (None when there is nothing to read it from).

    EM: a silent answer with P(right) = p was right with probability p(1-a) / (p(1-a) + (1-p)(1-c)),
    where a is the rate people approve right answers and c the rate they correct wrong ones; a and
    c are re-estimated from the reacted-to answers against the silent ones' expected labels, and the
    model refitted, until the rates settle. ``start`` and ``reading`` (the last fit's) are where
    the rounds begin: outcomes change little between fits, so a few rounds then suffice.
    """
    approved, corrected = _unprompted_verdicts(y, silent=silent, answered=answered)
    if not silent.any() or not approved.any() or not corrected.any():
        return _fit_logistic(x, y, w, start=start, centre=PRIOR_WEIGHTS, pull=pull), None
    weights = start if start is not None else PRIOR_WEIGHTS
    if reading is None:
        reading = SilenceReading(approve_rate=_START_RATE, correct_rate=_START_RATE, silent_right=1.0)
    for _ in range(_SILENCE_ROUNDS):
        right = _silent_right(_sigmoid(x[silent] @ weights), reading)
        silent_weights = w[silent]
        approve_rate = w[approved].sum() / (w[approved].sum() + silent_weights @ right)
        correct_rate = w[corrected].sum() / (w[corrected].sum() + silent_weights @ (1.0 - right))
        settled = max(abs(approve_rate - reading.approve_rate), abs(correct_rate - reading.correct_rate))
        reading = SilenceReading(
            approve_rate=float(approve_rate),
            correct_rate=float(correct_rate),
            silent_right=float(right @ silent_weights / silent_weights.sum()),
        )
        rows, labels, row_weights = _split_silent(x, y, w, silent, right)
        weights = _fit_logistic(
            rows, labels, row_weights, start=weights, centre=PRIOR_WEIGHTS, pull=pull, iterations=10
        )
        if settled < _SILENCE_TOLERANCE:
            break
    return weights, reading


def fit_reading(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    silent: np.ndarray,
    reading: SilenceReading,
    *,
    start: np.ndarray | None,
    pull: float,
) -> np.ndarray:
    """The confidence model with silence read as ``reading`` says (each silent answer split into
    right and wrong by its probability), refitted until its weights settle."""
    weights = start if start is not None else PRIOR_WEIGHTS
    for _ in range(_SILENCE_ROUNDS):
        right = _silent_right(_sigmoid(x[silent] @ weights), reading)
        rows, labels, row_weights = _split_silent(x, y, w, silent, right)
        refitted = _fit_logistic(
            rows, labels, row_weights, start=weights, centre=PRIOR_WEIGHTS, pull=pull, iterations=10
        )
        settled = float(np.abs(refitted - weights).max()) < _SILENCE_TOLERANCE
        weights = refitted
        if settled:
            break
    return weights


def _unprompted_verdicts(
    y: np.ndarray, *, silent: np.ndarray, answered: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The answers people approved and the ones they corrected of their own accord (the rows of
    ``answered`` with a verdict; the caller leaves spot checks out of ``answered``)."""
    reacted = answered & ~silent
    return reacted & (y == 1.0), reacted & (y == 0.0)


def _silent_right(probabilities: np.ndarray, reading: SilenceReading) -> np.ndarray:
    """P(right | silent) for silent answers the model gives ``probabilities`` of being right."""
    right = probabilities * (1.0 - reading.approve_rate)
    wrong = (1.0 - probabilities) * (1.0 - reading.correct_rate)
    total = right + wrong
    return np.where(total > 0, right / np.where(total > 0, total, 1.0), probabilities)


def _split_silent(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, silent: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and weights with each silent answer as a right row weighted by how likely it
    was right and a wrong row weighted by the rest."""
    share = np.ones_like(w)
    share[silent] = right
    rows = np.vstack([x, x[silent]])
    labels = np.concatenate([np.where(silent, 1.0, y), np.zeros(int(silent.sum()))])
    weights = np.concatenate([w * share, w[silent] * (1.0 - right)])
    return rows, labels, weights


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


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30))))


def _fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    start: np.ndarray | None,
    centre: np.ndarray,
    pull: float,
    iterations: int = 50,
) -> np.ndarray:
    """Weighted logistic regression by Newton's method (few features, so it is exact and fast),
    with an L2 penalty pulling the weights towards ``centre`` (the prior): few outcomes move the
    model a little from the prior, many move it as far as they say."""
    beta = centre.copy() if start is None or start.shape[0] != x.shape[1] else start.copy()
    penalty = np.full(x.shape[1], pull)
    penalty[0] = 1e-6

    def objective(b: np.ndarray) -> float:
        z = x @ b
        return float(w @ (np.logaddexp(0.0, z) - y * z) + 0.5 * penalty @ (b - centre) ** 2)

    current = objective(beta)
    for _ in range(iterations):
        p = _sigmoid(x @ beta)
        gradient = x.T @ (w * (p - y)) + penalty * (beta - centre)
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        # Newton's step, halved until it lowers the objective (a saturated start overshoots).
        scale = 1.0
        while scale > 1e-4:
            candidate = beta - scale * step
            value = objective(candidate)
            if value <= current:
                break
            scale /= 2
        else:
            break
        beta, current = candidate, value
        if np.abs(scale * step).max() < 1e-6:
            break
    return beta
