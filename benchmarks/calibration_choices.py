"""How the confidence model's choices answer the next questions (issue 20), judged offline.

Plays the learning arm once with the product's defaults, recording each stream question's top
resolution and confidence features, then, per window of the stream after the first: fits the
confidence model on the earlier questions (up to the 5,000 the product keeps; labels the gold, so
what is compared is the choice, not how silence was read) and answers the window's questions at the
threshold that fit chose. Each choice is reported as the window's auto-resolution and precision
(means over windows), the worst window's precision, and what an oracle threshold would answer at
the target on the same confidence:

- ``one model``: one confidence model for every resolution (before 2026-12-06);
- ``shifts chosen`` (the product): each resolution's own log-odds shift, shrunk by a strength chosen
  by held-out outcomes (``calibration.choose_key_shrink``); ``shifts shrunk by 3``: always 3;
- ``cross-fitted threshold``: the product's model, but the threshold chosen on probabilities each
  earlier outcome got from a fit without it (three interleaved folds) instead of in-sample.

Run: ``.venv/bin/python benchmarks/calibration_choices.py [--sets hwu64,clinc150,stackfaq]
[--precision 0.95]``; writes ``benchmarks/results/calibration_choices.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, STREAM_WINDOW, load_average, oracle_coverage, record, trace_learning_arm

sys.path.insert(0, str(ROOT))

#: stackfaq's 624 questions make one 600-question window: it is judged per 50.
SMALL_SET_WINDOW = 50
_FOLDS = 3


def _describe(service: Any, assessment: Any, asked: Any) -> dict[str, Any]:
    best = assessment.ranking.best
    return {
        "top": best.resolution_key if best else None,
        "features": list(map(float, assessment.ranking.features)) if best else None,
    }


def _fitted(
    x: np.ndarray, right: np.ndarray, keys: np.ndarray, target: float, shrinks: tuple[float, ...]
) -> Any:
    """A calibrator fitted on these outcomes with resolutions' shifts shrunk by one of ``shrinks``."""
    from assistant.answering import calibration
    from assistant.ports import LabelledOutcome

    chosen_among, calibration.KEY_SHRINKS = calibration.KEY_SHRINKS, shrinks
    try:
        calibrator = calibration.Calibrator(target_precision=target)
        calibrator.fit(
            [
                LabelledOutcome(features=list(f), correct=bool(c), weight=1.0, resolution_key=k)
                for f, c, k in zip(x, right, keys, strict=True)
            ]
        )
    finally:
        calibration.KEY_SHRINKS = chosen_among
    return calibrator


def _probabilities(calibrator: Any, x: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return np.array([calibrator.probability(list(f), k) for f, k in zip(x, keys, strict=True)])


def analyse(rows: list[dict[str, Any]], target: float, window: int) -> dict[str, Any]:
    from assistant.answering.calibration import FEATURE_NAMES, KEY_SHRINKS, choose_threshold
    from assistant.service import CALIBRATION_HISTORY

    width = len(FEATURE_NAMES)
    x = np.array([r["features"] or [0.0] * width for r in rows])
    right = np.array([r["top"] is not None and r["top"] == r["gold"] for r in rows])
    keys = np.array([r["top"] for r in rows], dtype=object)
    choices: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]] = {}

    def shifted(shrinks: tuple[float, ...]) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]:
        def choose(past: np.ndarray, here: np.ndarray) -> tuple[np.ndarray, float]:
            calibrator = _fitted(x[past], right[past], keys[past], target, shrinks)
            return _probabilities(calibrator, x[here], keys[here]), calibrator.state.threshold

        return choose

    def cross_fitted(past: np.ndarray, here: np.ndarray) -> tuple[np.ndarray, float]:
        calibrator = _fitted(x[past], right[past], keys[past], target, KEY_SHRINKS)
        folds = np.arange(len(past)) % _FOLDS
        held_out = np.zeros(len(past))
        for fold in range(_FOLDS):
            rest, held = past[folds != fold], past[folds == fold]
            without = _fitted(x[rest], right[rest], keys[rest], target, KEY_SHRINKS)
            held_out[folds == fold] = _probabilities(without, x[held], keys[held])
        threshold = choose_threshold(held_out, right[past].astype(float), np.ones(len(past)), target)
        return _probabilities(calibrator, x[here], keys[here]), threshold

    choices["one model"] = shifted((float("inf"),))
    choices["shifts chosen"] = shifted(KEY_SHRINKS)
    choices["shifts shrunk by 3"] = shifted((3.0,))
    choices["cross-fitted threshold"] = cross_fitted
    per_window: dict[str, list[tuple[float, float, float]]] = {name: [] for name in choices}
    for start in range(window, len(rows), window):
        here = np.arange(start, min(start + window, len(rows)))
        past = np.arange(max(0, start - CALIBRATION_HISTORY), start)
        for name, choose in choices.items():
            probabilities, threshold = choose(past, here)
            answered = probabilities >= threshold
            precision = float(right[here][answered].mean()) if answered.any() else 1.0
            per_window[name].append(
                (
                    float((answered & right[here]).mean()),
                    precision,
                    oracle_coverage(probabilities, right[here], target),
                )
            )
    figures = {}
    for name, values in per_window.items():
        table = np.array(values)
        figures[name] = {
            "auto_resolution": round(float(table[:, 0].mean()), 4),
            "precision": round(float(table[:, 1].mean()), 4),
            "worst_window_precision": round(float(table[:, 1].min()), 4),
            "oracle_auto_resolution": round(float(table[:, 2].mean()), 4),
        }
    return {"window": window, "windows": len(per_window["one model"]), "choices": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="hwu64,clinc150,stackfaq")
    parser.add_argument("--precision", type=float, default=0.95, help="the product's default target")
    args = parser.parse_args()
    load_start = load_average()
    results = {}
    for dataset in args.sets.split(","):
        arm = asyncio.run(trace_learning_arm(dataset, _describe))
        window = STREAM_WINDOW if len(arm.stream) > 2 * STREAM_WINDOW else SMALL_SET_WINDOW
        results[dataset] = analyse(arm.stream, args.precision, window)
        print(dataset, results[dataset], flush=True)
    figures = {"precision_target": args.precision, "sets": results}
    print(record("calibration_choices", figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
