"""Calibration: a cautious prior at first, then probabilities that track outcomes."""

import numpy as np

from assistant.answering.calibration import FEATURE_NAMES, Calibrator, choose_threshold, prior_probability
from assistant.ports import LabelledOutcome


def _features(similarity: float, margin: float) -> list[float]:
    row = [0.0] * len(FEATURE_NAMES)
    row[0], row[1], row[11], row[12] = 1.0, similarity, margin, similarity
    row[2] = row[3] = row[5] = margin
    return row


def test_prior_answers_only_near_certain_matches() -> None:
    assert prior_probability(_features(0.95, 0.3)) > 0.95
    assert prior_probability(_features(0.6, 0.02)) < 0.5


def test_fitted_probabilities_follow_observed_outcomes() -> None:
    rng = np.random.default_rng(0)
    outcomes = []
    for _ in range(600):
        similarity = float(rng.uniform(0.3, 1.0))
        correct = rng.random() < similarity**3
        outcomes.append(LabelledOutcome(_features(similarity, similarity / 3), bool(correct), 1.0))
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(outcomes)
    high, low = calibrator.probability(_features(0.98, 0.33)), calibrator.probability(_features(0.4, 0.13))
    assert high > 0.8 > 0.3 > low
    answered = [
        o for o in outcomes if calibrator.should_answer(calibrator.probability(o.features), o.features)
    ]
    precision = sum(o.correct for o in answered) / len(answered)
    assert precision >= 0.88


def test_threshold_is_the_lowest_cut_meeting_the_target() -> None:
    probabilities = np.linspace(1.0, 0.0, 200)
    correct = (probabilities > 0.5).astype(float)
    weights = np.ones(200)
    cut = choose_threshold(probabilities, correct, weights, 0.95)
    assert 0.45 <= cut <= 0.55


def test_too_few_outcomes_keep_the_prior() -> None:
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit([LabelledOutcome(_features(0.9, 0.2), True, 1.0)] * 5)
    assert calibrator.state.weights is None
    assert calibrator.state.threshold == 0.95


def test_outcomes_agreeing_with_the_prior_never_lower_a_sure_match() -> None:
    """A few outcomes (sure repeats right, loose matches wrong) must not drag a near-certain
    match below the target: the fit shrinks towards the prior, not towards 'know nothing'."""
    sure = _features(1.0, 0.5)
    calibrator = Calibrator(target_precision=0.95)
    before = calibrator.probability(sure)
    outcomes = [LabelledOutcome(_features(0.55, 0.05), False, 1.0)] * 34
    outcomes += [LabelledOutcome(sure, True, 0.5)] * 18
    calibrator.fit(outcomes)
    assert calibrator.state.weights is not None
    assert calibrator.probability(sure) >= min(before, 0.99)
    assert calibrator.should_answer(calibrator.probability(sure), sure)
    assert calibrator.probability(_features(0.55, 0.05)) < 0.05


def test_a_repeat_is_never_novel() -> None:
    calibrator = Calibrator(target_precision=0.95)
    calibrator.state.novelty_floor = 0.6
    repeat, novel = _features(0.99, 0.4), _features(0.9, 0.4)
    repeat[-1] = novel[-1] = 0.45
    assert calibrator.should_answer(0.99, repeat)
    assert not calibrator.should_answer(0.99, novel)
