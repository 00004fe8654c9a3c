"""The whole digest scored on planted streams: precision and recall per detector, effect sizes.

Each stream (``assistant.insights.planted``) is four weeks of traffic from 21 accounts of uneven
size (one onboarding mid-stream, weekday/weekend rhythm, 33 fine problems in four families whose
problems are close in embedding space) with planted, in the last week: spikes (4× on one day,
6× on two days, 12× on one day), a bug reported in 15 wordings by 7 accounts, a how-to that
reads like a bug, routine problems that read like malfunctions, three feature-request themes, a
knowledge gap, three souring accounts (hand-offs and anger, "still need help", silence) among
healthy ones (a heavy healthy account, a new one), a quiet control problem, and a learning
trend (auto-resolution rising). The digest of that week is scored by
``assistant.insights.scoring`` (items matched to truths by their evidence).

Modes: ``templated`` (routine questions from templates) and ``clinc150`` (routine questions
worded as real clinc150 questions of the same intents, read from the shared eval folder:
``$ASSISTANT_EVAL_DIR`` or ../shared/eval). Embeddings are synthetic in both (no model).
A sweep plants one-day spikes of 2×, 3×, 4×, 6× and 12× to show which sizes are detected.

    nice -n 10 .venv/bin/python benchmarks/insights_planted.py [SEEDS]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from assistant.insights.planted import StreamShape, load_intent_texts, planted_stream
from assistant.insights.scoring import score_digest
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.insights.testing import InMemoryInsightSource

DETECTORS = ("anomalies", "bugs", "churn_risk", "feature_requests", "knowledge_gaps")
#: One-day spikes of each size, on problems of different popularity and days of the last week.
SWEEP = (
    ("transfer", 21, 1, 2.0),
    ("pto_request", 22, 1, 3.0),
    ("credit_limit", 23, 1, 4.0),
    ("bill_due", 24, 1, 6.0),
    ("new_card", 25, 1, 12.0),
)


async def run(shape: StreamShape, texts: dict[str, list[str]] | None) -> tuple[dict[str, Any], float]:
    records, truth = planted_stream(shape, intent_texts=texts)
    settings = InsightSettings(_env_file=None)  # type: ignore[call-arg]
    service = InsightService(
        source=InMemoryInsightSource(records), settings=settings, clock=lambda: truth.period_end
    )
    started = time.perf_counter()
    digest = await service.digest(truth.period_start, truth.period_end)
    return score_digest(digest, truth), time.perf_counter() - started


def summarise(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean precision and recall per detector over the seeds (a section with no item: precision 0)."""
    out: dict[str, Any] = {}
    for detector in DETECTORS:
        precision = [s[detector]["precision"] or 0.0 for s in scores]
        recall = [s[detector]["recall"] or 0.0 for s in scores]
        out[detector] = {
            "precision": round(sum(precision) / len(scores), 3),
            "recall": round(sum(recall) / len(scores), 3),
            "min_precision": min(precision),
            "min_recall": min(recall),
        }
    out["anomalies"]["quiet_control_flagged"] = sum(s["anomalies"]["quiet_control_flagged"] for s in scores)
    out["bugs"]["duplicates"] = sum(s["bugs"]["duplicates"] for s in scores)
    out["bugs"]["howto_reported"] = sum(bool(s["bugs"]["howto_reported"]) for s in scores)
    out["bugs"]["ranked_first"] = sum(s["bugs"]["rank"] == 1 for s in scores)
    out["churn_risk"]["heavy_healthy_named"] = sum(s["churn_risk"]["heavy_healthy_named"] for s in scores)
    out["churn_risk"]["new_account_named"] = sum(s["churn_risk"]["new_account_named"] for s in scores)
    out["knowledge_gaps"]["ranked_first"] = sum(s["knowledge_gaps"]["rank"] == 1 for s in scores)
    out["learning"] = {"correct": sum(s["learning"]["correct"] for s in scores), "of": len(scores)}
    return out


def main() -> None:
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    folder = Path(os.environ.get("ASSISTANT_EVAL_DIR", str(SHARED_EVAL))) / "clinc150"
    modes: dict[str, dict[str, list[str]] | None] = {"templated": None}
    if folder.exists():
        modes["clinc150"] = load_intent_texts(folder)
    else:
        print(f"{folder} is absent: the clinc150 mode is skipped")
    results: dict[str, Any] = {}
    for mode, texts in modes.items():
        scores, seconds = [], []
        for seed in seeds:
            score, took = asyncio.run(run(StreamShape(seed=seed), texts))
            scores.append(score)
            seconds.append(took)
        summary = summarise(scores)
        summary["spike_days"] = {
            "missed": sorted({m for s in scores for m in s["anomalies"]["missed"]}),
            "false_alarms_per_digest": round(
                sum(len(s["anomalies"]["false_alarms"]) for s in scores) / len(scores), 2
            ),
        }
        summary["mean_digest_seconds"] = round(sum(seconds) / len(seconds), 2)
        results[mode] = summary
        for detector in DETECTORS:
            figures = summary[detector]
            print(
                f"{mode:>9} {detector:>16}: "
                f"precision {figures['precision']:.3f}  recall {figures['recall']:.3f}"
            )
        print(
            f"{mode:>9} {'learning':>16}: {summary['learning']['correct']}/{summary['learning']['of']} right"
        )
    # effect sizes: which one-day spike sizes are detected
    found: dict[str, list[int]] = defaultdict(list)
    extra: dict[str, list[int]] = defaultdict(list)
    for seed in seeds:
        score, _ = asyncio.run(run(StreamShape(seed=seed, spikes=SWEEP), modes.get("clinc150")))
        hits = set(score["anomalies"]["found"])
        for problem, size in score["anomalies"]["sizes"].items():
            key = f"{size['multiplier']:g}x"
            found[key].append(any(h.startswith(f"{problem} ") for h in hits))
            extra[key].append(size["extra_a_day"])
    sweep = {
        key: {
            "recall": round(sum(values) / len(values), 3),
            "mean_extra_questions": round(sum(extra[key]) / len(extra[key]), 1),
        }
        for key, values in sorted(found.items(), key=lambda kv: float(kv[0][:-1]))
    }
    for key, figures in sweep.items():
        print(
            f"one-day spike {key:>4}: recall {figures['recall']:.2f} "
            f"({figures['mean_extra_questions']} extra questions)"
        )
    path = record(
        "insights_planted",
        {
            "data": "planted streams (assistant/insights/planted.py), synthetic embeddings; "
            "clinc150 mode words routine questions as real clinc150 test/stream questions",
            "seeds": len(seeds),
            "stream": {
                "days": 28,
                "accounts": 21,
                "weekday_questions": 110,
                "weekend_share": 0.15,
                "spikes": "4x one day, 6x two days, 12x one day",
                "bug": "20 messages, 15 wordings, 7 accounts",
                "souring": ["hand-offs and anger", "still need help", "silence"],
            },
            "modes": results,
            "spike_size_sweep": {"mode": "clinc150" if "clinc150" in modes else "templated", "sizes": sweep},
        },
    )
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
