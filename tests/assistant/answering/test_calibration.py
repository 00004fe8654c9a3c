"""Calibration: a cautious prior at first, then probabilities that track outcomes."""

import numpy as np
import pytest

from assistant.answering.calibration import (
    DEFAULT_PULL,
    FEATURE_NAMES,
    KEY_SHRINKS,
    MIN_JUDGED_OUTCOMES,
    MIN_SPOT_CHECKS,
    PULLS,
    Calibrator,
    SilenceReading,
    choose_threshold,
    first_judged_outcome,
    prior_probability,
    read_silence,
)
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


def _with_neighbourhood(neighbourhood: float) -> list[float]:
    row = _features(0.9, 0.3)
    row[-1] = neighbourhood
    return row


def test_novelty_is_judged_against_the_resolutions_own_right_answers() -> None:
    """A neighbourhood ordinary for a widely worded resolution is novel for a tightly worded one;
    a resolution with few right answers leans on the floor of all."""
    rng = np.random.default_rng(0)
    outcomes = [
        LabelledOutcome(_with_neighbourhood(float(v)), True, 1.0, resolution_key="wide")
        for v in rng.uniform(0.4, 0.8, 200)
    ]
    outcomes += [
        LabelledOutcome(_with_neighbourhood(float(v)), True, 1.0, resolution_key="tight")
        for v in rng.uniform(0.85, 0.95, 200)
    ]
    outcomes += [LabelledOutcome(_with_neighbourhood(0.95), True, 1.0, resolution_key="rare")] * 2
    outcomes += [LabelledOutcome(_features(0.5, 0.01), False, 1.0, resolution_key="wide")] * 40
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(outcomes)
    floors = calibrator.state.key_floors
    assert floors["wide"] < calibrator.state.novelty_floor < floors["rare"] < floors["tight"]
    assert floors["rare"] - calibrator.state.novelty_floor < 0.1
    question = _with_neighbourhood(0.6)
    assert calibrator.should_answer(0.999, question, "wide")
    assert calibrator.should_answer(0.999, question, "rare")
    assert calibrator.should_answer(0.999, question, "unseen")
    assert not calibrator.should_answer(0.999, question, "tight")
    assert calibrator.should_answer(0.999, _with_neighbourhood(0.9), "tight")


def test_a_question_between_two_resolutions_is_novel_however_close_its_neighbours() -> None:
    """Familiarity is the neighbourhood and the top resolution's lead over the runner-up
    together: a question as near its neighbours as the right answers were, but that barely
    leads the runner-up, is handed off, as one far from every example is."""
    rng = np.random.default_rng(1)
    outcomes = []
    for neighbourhood, margin in zip(rng.uniform(0.6, 0.9, 300), rng.uniform(0.2, 0.6, 300), strict=True):
        row = _features(0.9, float(margin))
        row[-1] = float(neighbourhood)
        outcomes.append(LabelledOutcome(row, True, 1.0, resolution_key="billing"))
    outcomes += [LabelledOutcome(_features(0.5, 0.01), False, 1.0, resolution_key="billing")] * 40
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(outcomes)

    def question(neighbourhood: float, margin: float) -> list[float]:
        row = _features(0.9, margin)
        row[-1] = neighbourhood
        return row

    assert calibrator.should_answer(0.999, question(0.75, 0.4), "billing")
    assert not calibrator.should_answer(0.999, question(0.75, 0.02), "billing")
    assert not calibrator.should_answer(0.999, question(0.5, 0.4), "billing")
    assert calibrator.should_answer(0.999, question(0.65, 0.55), "billing")


def _answered_stream(
    correct_rate: float, seed: int = 0, spot_check_share: float = 0.0
) -> tuple[list[LabelledOutcome], float]:
    """Answers of varying confidence as a channel leaves them: people approve 30% of the right
    ones, correct ``correct_rate`` of the wrong ones, and the rest stay silent, but for the
    ``spot_check_share`` of them a person was asked to judge; with the share of the silent ones
    that were in truth right."""
    rng = np.random.default_rng(seed)
    outcomes, silent_truth = [], []
    for _ in range(4000):
        similarity = float(rng.uniform(0.4, 1.0))
        features = _features(similarity, similarity / 3)
        right = rng.random() < 1.0 / (1.0 + np.exp(-12.0 * (similarity - 0.65)))
        if right and rng.random() < 0.3:
            outcomes.append(LabelledOutcome(features, True, 1.0, answered=True))
        elif not right and rng.random() < correct_rate:
            outcomes.append(LabelledOutcome(features, False, 1.0, answered=True))
        elif rng.random() < spot_check_share:
            outcomes.append(LabelledOutcome(features, bool(right), 1.0, answered=True, spot_checked=True))
            silent_truth.append(right)
        else:
            outcomes.append(LabelledOutcome(features, True, 1.0, answered=True, silent=True))
            silent_truth.append(right)
    return outcomes, float(np.mean(silent_truth))


def _read(outcomes: list[LabelledOutcome]) -> SilenceReading:
    reading = read_silence(
        np.array([o.features for o in outcomes]),
        np.array([1.0 if o.correct else 0.0 for o in outcomes]),
        np.array([o.weight for o in outcomes]),
        silent=np.array([o.silent for o in outcomes]),
        answered=np.array([o.answered for o in outcomes]),
        start=None,
    )[1]
    assert reading is not None
    return reading


def test_silence_is_read_from_how_often_people_approve_and_correct() -> None:
    """Where people correct every mistake, silence reads as right; where they correct half, a
    third of the silent answers here were wrong, and the reading comes close to each truth."""
    for correct_rate in (1.0, 0.5):
        outcomes, silent_right = _answered_stream(correct_rate)
        reading = _read(outcomes)
        assert abs(reading.approve_rate - 0.3) < 0.03
        assert abs(reading.correct_rate - correct_rate) < 0.1
        assert abs(reading.silent_right - silent_right) < 0.06


def _truly_right_share(calibrator: Calibrator) -> tuple[float, float]:
    """Share answered and precision on fresh questions whose truth is known."""
    rng = np.random.default_rng(1)
    questions = rng.uniform(0.4, 1.0, 4000)
    truly_right = rng.random(4000) < 1.0 / (1.0 + np.exp(-12.0 * (questions - 0.65)))
    rows = [_features(float(s), float(s) / 3) for s in questions]
    answered = np.array([calibrator.should_answer(calibrator.probability(r), r) for r in rows])
    return float(answered.mean()), float(truly_right[answered].mean())


def test_a_busy_channel_is_answered_at_the_target_where_trusting_silence_is_not() -> None:
    """With half the mistakes left silent, taking silence as "right" loses about ten points of
    precision. Where mistakes are common, as here, the estimate reads silence well enough to answer
    as precisely as with an agent who corrects every mistake; the default discount wins back most
    of the loss."""
    busy = _answered_stream(0.5)[0]
    diligent = Calibrator(target_precision=0.9, estimate_silence=True)
    diligent.fit(_answered_stream(1.0)[0])
    discounted, estimated, trusting = (
        Calibrator(target_precision=0.9, estimate_silence=estimate) for estimate in (False, True, False)
    )
    discounted.fit(busy)
    estimated.fit(busy)
    trusting.fit([LabelledOutcome(o.features, o.correct, o.weight) for o in busy])
    reference = _truly_right_share(diligent)[1]
    trusted = _truly_right_share(trusting)[1]
    assert trusted < reference - 0.05
    assert _truly_right_share(estimated)[1] >= reference - 0.015
    assert _truly_right_share(discounted)[1] > trusted + 0.05


def test_with_diligent_agents_estimating_silence_answers_more() -> None:
    """Where every mistake is corrected, the half-yes discount is needlessly cautious."""
    diligent = _answered_stream(1.0)[0]
    discounted, estimated = (Calibrator(target_precision=0.9, estimate_silence=e) for e in (False, True))
    discounted.fit(diligent)
    estimated.fit(diligent)
    assert discounted.state.silence is None
    assert estimated.state.silence is not None and estimated.state.silence.correct_rate > 0.9
    assert _truly_right_share(estimated)[0] > _truly_right_share(discounted)[0]


def test_without_verdicts_on_answers_silence_is_not_read() -> None:
    """Silence is read against people's verdicts on answers; with none yet (a fresh channel, only
    hand-offs), the model is fitted as before and nothing is claimed about silence."""
    outcomes = [o for o in _answered_stream(1.0)[0] if o.silent or o.correct]
    calibrator = Calibrator(target_precision=0.9, estimate_silence=True)
    calibrator.fit(outcomes + [LabelledOutcome(_features(0.45, 0.1), False, 1.0)] * 40)
    assert calibrator.state.silence is None
    assert calibrator.state.weights is not None


def _outcomes_hinging_on_lexical_share(count: int) -> list[LabelledOutcome]:
    """Right exactly when the words overlap, whatever the similarity: what the prior cannot see."""
    rng = np.random.default_rng(3)
    outcomes = []
    lexical = FEATURE_NAMES.index("lexical_share")
    for _ in range(count):
        row = _features(float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.0, 0.3)))
        row[lexical] = float(rng.random())
        outcomes.append(LabelledOutcome(row, bool(row[lexical] > 0.5), 1.0))
    return outcomes


def test_outcomes_the_prior_cannot_explain_choose_a_light_pull() -> None:
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(_outcomes_hinging_on_lexical_share(400))
    assert calibrator.state.pull == min(PULLS)


def test_outcomes_that_follow_the_prior_keep_a_firm_pull() -> None:
    rng = np.random.default_rng(4)
    outcomes = []
    for _ in range(400):
        row = _features(float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.0, 0.3)))
        outcomes.append(LabelledOutcome(row, bool(rng.random() < prior_probability(row)), 1.0))
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(outcomes)
    assert calibrator.state.pull >= DEFAULT_PULL


def test_rehearsed_outcomes_keep_the_default_pull() -> None:
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(_outcomes_hinging_on_lexical_share(400), rehearsed=True)
    assert calibrator.state.pull == DEFAULT_PULL


def test_spot_checks_say_what_silence_means_in_a_busy_channel() -> None:
    """With half the mistakes left silent, the verdicts on 5% of the silent answers read silence
    (without the estimate being switched on) and answer as precisely as with a diligent agent."""
    busy, silent_right = _answered_stream(0.5, spot_check_share=0.05)
    diligent = Calibrator(target_precision=0.9, estimate_silence=True)
    diligent.fit(_answered_stream(1.0)[0])
    checked = Calibrator(target_precision=0.9)
    checked.fit(busy)
    reading = checked.state.silence
    assert reading is not None
    assert abs(reading.silent_right - silent_right) < 0.06
    assert abs(reading.correct_rate - 0.5) < 0.1
    assert abs(reading.approve_rate - 0.3) < 0.03
    assert _truly_right_share(checked)[1] >= _truly_right_share(diligent)[1] - 0.015


def test_with_diligent_agents_spot_checks_answer_more_than_the_discount() -> None:
    """Spot checks that find silence right lift the half-yes discount's caution, answering as
    much and as precisely as the estimate does where it reads a diligent agent right."""
    discounted, checked = Calibrator(target_precision=0.9), Calibrator(target_precision=0.9)
    estimated = Calibrator(target_precision=0.9, estimate_silence=True)
    discounted.fit(_answered_stream(1.0)[0])
    estimated.fit(_answered_stream(1.0)[0])
    checked.fit(_answered_stream(1.0, spot_check_share=0.05)[0])
    assert checked.state.silence is not None and checked.state.silence.correct_rate > 0.9
    answered, precision = _truly_right_share(checked)
    assert answered > _truly_right_share(discounted)[0] + 0.05
    assert abs(answered - _truly_right_share(estimated)[0]) < 0.02
    assert precision >= _truly_right_share(estimated)[1] - 0.01


def test_a_few_spot_checks_leave_the_discount() -> None:
    """Until MIN_SPOT_CHECKS verdicts are in, a handful would read silence too loosely."""
    outcomes = _answered_stream(1.0, spot_check_share=0.05)[0]
    checked = [index for index, o in enumerate(outcomes) if o.spot_checked]
    assert len(checked) > MIN_SPOT_CHECKS
    few = [o for index, o in enumerate(outcomes) if index not in checked[MIN_SPOT_CHECKS - 1 :]]
    calibrator = Calibrator(target_precision=0.9)
    calibrator.fit(few)
    assert calibrator.state.silence is None


def _two_resolutions(count: int, confused_right: float) -> list[LabelledOutcome]:
    """Answers with ``clean`` (right as often as the prior says) and ``confused`` (a close
    neighbour's questions often taken for it: right only ``confused_right`` of the time), over the
    same spread of features."""
    rng = np.random.default_rng(5)
    outcomes = []
    for index in range(count):
        row = _features(float(rng.uniform(0.75, 1.0)), float(rng.uniform(0.05, 0.3)))
        key = "clean" if index % 2 else "confused"
        chance = prior_probability(row) if key == "clean" else confused_right
        outcomes.append(LabelledOutcome(row, bool(rng.random() < chance), 1.0, resolution_key=key))
    return outcomes


def test_a_resolution_often_confused_is_less_trusted_at_the_same_features() -> None:
    outcomes = _two_resolutions(1200, confused_right=0.7)
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit(outcomes)
    row = _features(0.9, 0.2)
    assert calibrator.state.key_shifts["confused"] < 0 < calibrator.state.key_shifts["clean"]
    assert calibrator.probability(row, "confused") < calibrator.probability(row) < calibrator.probability(
        row, "clean"
    )
    assert calibrator.probability(row, "never answered") == calibrator.probability(row)
    answered = [
        o
        for o in outcomes
        if calibrator.should_answer(calibrator.probability(o.features, o.resolution_key), o.features)
    ]
    assert sum(o.correct for o in answered) / len(answered) >= 0.93
    by_key = {key: sum(o.resolution_key == key for o in answered) for key in ("clean", "confused")}
    assert by_key["confused"] < by_key["clean"] / 2
    # One model for both cannot tell them apart, so it answers far fewer of the clean one's.
    plain = Calibrator(target_precision=0.95)
    plain.fit([LabelledOutcome(o.features, o.correct, o.weight) for o in outcomes])
    assert not plain.state.key_shifts
    plain_answered = [o for o in outcomes if plain.should_answer(plain.probability(o.features), o.features)]
    assert len(plain_answered) < by_key["clean"] / 2


def test_resolutions_that_behave_alike_keep_one_model() -> None:
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit(_alike(1200))
    assert max(map(abs, calibrator.state.key_shifts.values()), default=0.0) < 0.3


def _alike(count: int) -> list[LabelledOutcome]:
    """Twenty resolutions all right as often as the prior says."""
    rng = np.random.default_rng(6)
    outcomes = []
    for index in range(count):
        row = _features(float(rng.uniform(0.75, 1.0)), float(rng.uniform(0.05, 0.3)))
        right = bool(rng.random() < prior_probability(row))
        outcomes.append(LabelledOutcome(row, right, 1.0, resolution_key=f"key {index % 20}"))
    return outcomes


def test_outcomes_without_a_resolution_shift_nothing() -> None:
    outcomes = [
        LabelledOutcome(o.features, o.correct, o.weight) for o in _two_resolutions(600, confused_right=0.7)
    ]
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit(outcomes, rehearsed=True)
    assert calibrator.state.key_shifts == {}
    assert KEY_SHRINKS[-1] == float("inf")  # "no shifts" is the firmest choice, and wins ties


def _billing_stream(rng: np.random.Generator, count: int, *, sparser: float = 0.0) -> list[LabelledOutcome]:
    """``count`` familiar outcomes of one resolution, right more often the more similar; ``sparser``
    lowers the log-odds, as for questions answered from a sparser memory."""
    drawn = []
    for similarity in rng.uniform(0.6, 0.96, count):
        right = rng.random() < 1.0 / (1.0 + np.exp(-15.0 * (similarity - 0.6) + sparser))
        row = _features(float(similarity), 0.3)
        row[-1] = float(rng.uniform(0.6, 0.9))
        drawn.append(LabelledOutcome(row, bool(right), 1.0, resolution_key="billing"))
    return drawn


def test_outcomes_the_novelty_gate_hands_off_do_not_hold_the_threshold_up() -> None:
    """Novel questions are often wrong at a confidence that is safe for familiar ones; they are
    handed off at any cut, so the cut is judged on the familiar ones and what is answered of those
    it is judged on (the newer two-thirds) lands at the target, not above it."""
    rng = np.random.default_rng(0)
    outcomes = _billing_stream(rng, 600)
    familiar = list(outcomes)
    for similarity in rng.uniform(0.85, 0.96, 50):
        row = _features(float(similarity), 0.3)
        row[-1] = float(rng.uniform(0.2, 0.4))
        outcomes.append(LabelledOutcome(row, bool(rng.random() < 0.5), 1.0, resolution_key="billing"))
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit(outcomes)
    assert not any(
        calibrator.should_answer(0.999, o.features, "billing") for o in outcomes[len(familiar) :]
    )
    judged = familiar[first_judged_outcome(len(outcomes)) :]
    answered = [
        o
        for o in judged
        if calibrator.should_answer(calibrator.probability(o.features, "billing"), o.features, "billing")
    ]
    precision = sum(o.correct for o in answered) / len(answered)
    assert 0.95 <= precision < 0.96


def test_the_oldest_outcomes_do_not_hold_the_threshold_up() -> None:
    """Outcomes from when the memory was sparser are wrong more often at the same confidence than
    questions asked now; the cut is judged on the newer two-thirds, so what is answered now lands
    near the target, not far above it (0.983 when judged on all). Near: a cut chosen on the
    outcomes it is judged by lands a little under the target at a few hundred of them, drift or
    none (0.931-0.953 over six seeds of this stream with no older part)."""
    rng = np.random.default_rng(1)
    calibrator = Calibrator(target_precision=0.95)
    calibrator.fit(_billing_stream(rng, 300, sparser=2.0) + _billing_stream(rng, 600))
    now = _billing_stream(rng, 4000)
    answered = [
        o
        for o in now
        if calibrator.should_answer(calibrator.probability(o.features, "billing"), o.features, "billing")
    ]
    precision = sum(o.correct for o in answered) / len(answered)
    assert 0.93 <= precision < 0.96


def test_a_young_deployment_judges_its_cut_on_every_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the oldest third aside costs a young deployment more than their bias: on its first
    150 outcomes the cut needs a margin that a third fewer cannot give (stackfaq's first refits
    answered from 0.82-0.90 up instead of 0.58-0.75). So the cut is judged on every outcome until
    ``MIN_JUDGED_OUTCOMES`` remain once a third is set aside."""
    from assistant.answering import calibration

    counts = (150, MIN_JUDGED_OUTCOMES, 250, 300, 3000)
    assert [first_judged_outcome(n) for n in counts] == [0, 0, 50, 100, 1000]
    outcomes = _billing_stream(np.random.default_rng(3), 150)

    def cut() -> float:
        calibrator = Calibrator(target_precision=0.95)
        calibrator.fit(outcomes)
        return calibrator.state.threshold

    young = cut()
    monkeypatch.setattr(calibration, "OLDEST_NOT_JUDGED", 0.0)
    every = cut()
    monkeypatch.setattr(calibration, "OLDEST_NOT_JUDGED", 1 / 3)
    monkeypatch.setattr(calibration, "MIN_JUDGED_OUTCOMES", 0)
    set_aside = cut()
    assert young == every and set_aside > every  # 0.838, against 0.883 with a third set aside
