"""What the novelty floor trades (issue 20): in-scope answers against out-of-scope hand-offs.

A question less familiar than the least familiar ``quantile`` of rightly answered ones is handed
off whatever its confidence. Plays the learning arm once (the product as it is), recording for
every stream and held-out question its confidence features, confidence and threshold, then
re-decides the held-out questions with floors of several kinds and quantiles, each set on the
stream's last ``CALIBRATION_HISTORY`` right answers as the product sets its own:
- ``one_floor``: the neighbourhood's similarity against one floor for every resolution (before);
- ``per_resolution``: the same against the top resolution's own floor (``calibration.floors_by_key``);
- ``top_similarity``: the nearest example of the top resolution, one floor;
- ``centroid``: cosine to the nearest resolution's mean vector, one floor;
- ``mahalanobis``: distance to the top resolution's mean under the shared within-resolution
  covariance (shrunk by half towards a multiple of the identity), one floor;
- ``head_energy``: the live head's energy for the question (log-sum-exp of its logits over the
  keys the asker may get), against the top resolution's own floor;
- ``neighbourhood_and_energy``: the neighbourhood and the energy in equal parts (each in standard
  deviations over the right answers the floors are set on), against the top resolution's own floor;
- ``neighbourhood_and_margin``: the neighbourhood and the top resolution's lead over the runner-up
  (the ``margin`` feature) in equal parts, likewise: what the product judges since 2026-12-07,
  computed by the product's own ``calibration.FamiliarityScale``.
Reports the held-out in-scope coverage, out-of-scope hand-off and precision of each.

Run: ``.venv/bin/python benchmarks/novelty_floors.py [--set clinc150]``; writes
``benchmarks/results/novelty_floors-SET.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import logsumexp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, record, trace_learning_arm

sys.path.insert(0, str(ROOT))

QUANTILES = (0.02, 0.05, 0.07, 0.1, 0.15)
#: Each floor: the familiarity it judges, and whether against the top resolution's own floor.
KINDS = {
    "one_floor": ("neighbourhood", False),
    "per_resolution": ("neighbourhood", True),
    "top_similarity": ("top_similarity", False),
    "centroid": ("centroid", False),
    "mahalanobis": ("mahalanobis", False),
    "head_energy": ("head_energy", True),
    "neighbourhood_and_energy": ("neighbourhood_and_energy", True),
    "neighbourhood_and_margin": ("neighbourhood_and_margin", True),
}
Rows = list[dict[str, Any]]


def _describe(service: Any, assessment: Any, asked: Any) -> dict[str, Any]:
    """What the floors need of one assessment: its top, its features, whether it was confident
    enough to answer, novelty aside, and the live head's energy for the question."""
    best = assessment.ranking.best
    return {
        "top": best.resolution_key if best else None,
        "features": list(map(float, assessment.ranking.features)),
        "confident": bool(best) and assessment.confidence >= service.calibrator.state.threshold,
        "energy": _energy(service.engine.head, asked),
    }


def _energy(head: Any, asked: Any) -> float:
    """The log of the sum of the head's exponentiated logits over the keys the asker may get:
    high where some key claims the question, low where none does (a common out-of-distribution
    score for classifiers)."""
    if not head.example_count:
        return -np.inf
    logits = head._logits(asked.vector, head._words(asked.text))[head.visible_mask(asked.account)]
    if not logits.size:
        return -np.inf
    return float(logsumexp(logits))


def _familiarity(
    stream: Rows, test: Rows, stream_vectors: np.ndarray, test_vectors: np.ndarray, right: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each kind of familiarity for the stream's and the held-out questions (higher: more familiar);
    ``right``: which of the stream's recent questions were answered rightly."""
    from assistant.answering.calibration import NEIGHBOURHOOD_FEATURE, SIMILARITY_FEATURE, FamiliarityScale
    from assistant.service import CALIBRATION_HISTORY

    def feature(rows: Rows, index: int) -> np.ndarray:
        return np.array([r["features"][index] for r in rows])

    keys = sorted({r["gold"] for r in stream if r["gold"] is not None})
    label = np.array([keys.index(r["gold"]) if r["gold"] is not None else -1 for r in stream])
    known = label >= 0
    means = np.stack([stream_vectors[label == k].mean(axis=0) for k in range(len(keys))])
    residuals = stream_vectors[known] - means[label[known]]
    covariance = np.cov(residuals.T)
    covariance = 0.5 * covariance + 0.5 * np.trace(covariance) / len(covariance) * np.eye(len(covariance))
    whiten = np.linalg.cholesky(np.linalg.inv(covariance))
    white_means = means @ whiten
    unit_means = means / np.linalg.norm(means, axis=1, keepdims=True)

    def mahalanobis(rows: Rows, vectors: np.ndarray) -> np.ndarray:
        white = vectors @ whiten
        tops = [keys.index(r["top"]) if r["top"] in keys else -1 for r in rows]
        return np.array(
            [
                -float(((w - white_means[t]) ** 2).sum()) if t >= 0 else -np.inf
                for w, t in zip(white, tops, strict=True)
            ]
        )

    neighbourhood = (feature(stream, NEIGHBOURHOOD_FEATURE), feature(test, NEIGHBOURHOOD_FEATURE))
    energy = (np.array([r["energy"] for r in stream]), np.array([r["energy"] for r in test]))
    stream_features = np.array([r["features"] for r in stream])
    test_features = np.array([r["features"] for r in test])
    scale = FamiliarityScale.of_right_answers(stream_features[-CALIBRATION_HISTORY:][right])
    return {
        "neighbourhood": neighbourhood,
        "head_energy": energy,
        "neighbourhood_and_energy": _mean_of_standardised(right, neighbourhood, energy),
        "neighbourhood_and_margin": (scale.familiarity(stream_features), scale.familiarity(test_features)),
        "top_similarity": (feature(stream, SIMILARITY_FEATURE), feature(test, SIMILARITY_FEATURE)),
        "centroid": ((stream_vectors @ unit_means.T).max(axis=1), (test_vectors @ unit_means.T).max(axis=1)),
        "mahalanobis": (mahalanobis(stream, stream_vectors), mahalanobis(test, test_vectors)),
    }


def _mean_of_standardised(
    right: np.ndarray, *measures: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Measures in equal parts, each in standard deviations from its mean over the stream's
    recent right answers (``right``; the ones the floors are set on)."""
    from assistant.service import CALIBRATION_HISTORY

    parts = []
    for stream_values, test_values in measures:
        reference = stream_values[-CALIBRATION_HISTORY:][right]
        centre, spread = float(reference.mean()), float(reference.std())
        parts.append(((stream_values - centre) / spread, (test_values - centre) / spread))
    return (
        np.mean([s for s, _ in parts], axis=0),
        np.mean([t for _, t in parts], axis=0),
    )


def analyse(
    stream: Rows, test: Rows, stream_vectors: np.ndarray, test_vectors: np.ndarray
) -> dict[str, Any]:
    from assistant.answering.calibration import NEAR_DUPLICATE_SIMILARITY, SIMILARITY_FEATURE, floors_by_key
    from assistant.service import CALIBRATION_HISTORY

    recent = stream[-CALIBRATION_HISTORY:]
    right = np.array([r["top"] is not None and r["top"] == r["gold"] for r in recent])
    right_tops = [r["top"] for r in recent if r["top"] is not None and r["top"] == r["gold"]]
    test_right = np.array([r["top"] is not None and r["top"] == r["gold"] for r in test])
    out_of_scope = np.array([r["gold"] is None for r in test])
    confident = np.array([r["confident"] for r in test])
    repeat = np.array([r["features"][SIMILARITY_FEATURE] >= NEAR_DUPLICATE_SIMILARITY for r in test])
    familiarity = _familiarity(stream, test, stream_vectors, test_vectors, right)
    figures: dict[str, Any] = {
        "test_questions": len(test),
        "test_out_of_scope": int(out_of_scope.sum()),
        "confident_in_scope": round(float(confident[~out_of_scope].mean()), 3),
        "confident_out_of_scope": (
            round(float(confident[out_of_scope].mean()), 3) if out_of_scope.any() else None
        ),
    }
    for name, (kind, per_resolution) in KINDS.items():
        stream_values, test_values = familiarity[kind]
        reference = stream_values[-CALIBRATION_HISTORY:][right]
        by_quantile = {}
        for quantile in QUANTILES:
            overall = float(np.quantile(reference, quantile))
            floors = np.full(len(test), overall)
            if per_resolution:
                own = floors_by_key(reference, right_tops, quantile, overall)
                floors = np.array([own.get(r["top"], overall) for r in test])
            answered = confident & ((test_values >= floors) | repeat)
            by_quantile[str(quantile)] = {
                "in_scope_coverage": round(float(answered[~out_of_scope].mean()), 3),
                "out_of_scope_handed_off": round(float(1 - answered[out_of_scope].mean()), 3)
                if out_of_scope.any()
                else None,
                "precision": round(float(test_right[answered].mean()), 3) if answered.any() else None,
            }
        figures[name] = by_quantile
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="clinc150")
    args = parser.parse_args()
    load_start = load_average()
    arm = asyncio.run(trace_learning_arm(args.set, _describe))
    figures = {"set": args.set, **analyse(arm.stream, arm.test, arm.stream_vectors, arm.test_vectors)}
    for name in KINDS:
        print(name, figures[name])
    print(record(f"novelty_floors-{args.set}", figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
