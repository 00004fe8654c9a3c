"""Where the learning arm's auto-resolution is lost (issue 20): ranking or confidence.

Plays the learning arm once, recording for every stream question the top resolution and the
confidence features the product judged it by, then asks, per window of the stream:
- ranking: how often the product's top resolution was right, against a logistic regression on
  the frozen encoder's vectors trained on the gold of every earlier question (``ceiling_all``)
  or only of those the product learned from: hand-offs, corrections, approvals (``ceiling_had``);
- confidence: the auto-resolution an oracle threshold would reach at the precision target, on
  the product's calibrated confidence (``calibrator``), a gradient-boosted model and a quadratic
  logistic model over the same features, each fitted on the earlier questions' outcomes.

Run: ``.venv/bin/python benchmarks/learning_ceiling.py [--set hwu64] [--precision 0.96]``; writes
``benchmarks/results/learning_ceiling-SET.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, STREAM_WINDOW, load_average, oracle_coverage, record, trace_learning_arm

sys.path.insert(0, str(ROOT))



def _describe(service: Any, assessment: Any, asked: Any) -> dict[str, Any]:
    """What the ceiling needs of one assessment: its top, its features and whether it answered."""
    from assistant.models import Decision

    best = assessment.ranking.best
    return {
        "top": best.resolution_key if best else None,
        "features": list(map(float, assessment.ranking.features)) if best else None,
        "answered": assessment.decision is Decision.ANSWER,
    }


def analyse(rows: list[dict[str, Any]], vectors: np.ndarray, target: float) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from assistant.answering.calibration import FEATURE_NAMES, Calibrator
    from assistant.ports import LabelledOutcome
    from assistant.replay.harness import ReplayOptions
    from assistant.service import CALIBRATION_HISTORY

    width = len(FEATURE_NAMES)
    x = np.array([r["features"] or [0.0] * width for r in rows])
    gold = np.array([r["gold"] or "(none)" for r in rows])
    right = np.array([r["top"] is not None and r["top"] == r["gold"] for r in rows])
    answered = np.array([r["answered"] for r in rows])
    # The harness's own draws are not replayed: approvals at its rate stand in for them.
    approved = np.random.default_rng(0).random(len(rows)) < ReplayOptions().approve_rate
    learned_from = ~answered | (answered & ~right) | (answered & right & approved)
    windows = []
    for start in range(STREAM_WINDOW, len(rows), STREAM_WINDOW):
        here = slice(start, start + STREAM_WINDOW)
        past = slice(max(0, start - CALIBRATION_HISTORY), start)
        figures: dict[str, float] = {
            "end": min(start + STREAM_WINDOW, len(rows)),
            "product_auto": float((answered[here] & right[here]).mean()),
            "product_top_right": float(right[here].mean()),
        }
        for name, mask in (("ceiling_all", np.ones(start, bool)), ("ceiling_had", learned_from[:start])):
            classifier = LogisticRegression(C=10, max_iter=300).fit(vectors[:start][mask], gold[:start][mask])
            figures[name] = float((classifier.predict(vectors[here]) == gold[here]).mean())
        calibrator = Calibrator(target_precision=target)
        calibrator.fit(
            [
                LabelledOutcome(features=list(f), correct=bool(c), weight=1.0)
                for f, c in zip(x[past], right[past], strict=True)
            ]
        )
        models = {
            "calibrator": calibrator.probabilities(x[here]),
            "boosted": HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05)
            .fit(x[past], right[past])
            .predict_proba(x[here])[:, 1],
            "quadratic": make_pipeline(
                StandardScaler(), PolynomialFeatures(2), LogisticRegression(max_iter=2000)
            )
            .fit(x[past], right[past])
            .predict_proba(x[here])[:, 1],
        }
        for name, probabilities in models.items():
            figures[f"oracle_{name}"] = oracle_coverage(probabilities, right[here], target)
        windows.append({k: round(v, 3) for k, v in figures.items()})
    means = {k: round(float(np.mean([w[k] for w in windows])), 3) for k in windows[0] if k != "end"}
    return {"windows_after_first": means, "windows": windows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="hwu64")
    parser.add_argument("--precision", type=float, default=0.96)
    args = parser.parse_args()
    load_start = load_average()
    arm = asyncio.run(trace_learning_arm(args.set, _describe))
    figures = {
        "set": args.set,
        "precision_target": args.precision,
        "window": STREAM_WINDOW,
        "replay": arm.report.to_dict()["cumulative"],
        **analyse(arm.stream, arm.stream_vectors, args.precision),
    }
    print(figures["windows_after_first"])
    print(record(f"learning_ceiling-{args.set}", figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
