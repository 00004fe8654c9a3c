"""Spike detection on the clinc150 stream with injected spikes: precision, recall and delay.

The stream (15,100 questions over 253 days, 60 a day, 150 intents + out-of-scope, so about 0.4
questions per intent per day) is replayed with spikes injected: an intent's daily volume made
3×–5× its mean for 1–3 days, with paraphrases of that intent taken from test.jsonl. Topics are
found by the app's online clustering (not the gold intents), and every day with 14 days of
history is checked, as the daily anomaly job would.

* an injected spike is found when, on one of its days, a flagged topic's questions that day are
  mostly of the injected intent; its delay is the days from its start to that day;
* a flagged topic-day is a true positive when it is such a match; precision is over every
  flagged topic-day (the total series is reported apart).

Scenarios: ``native`` (the stream's own pace) and ``busy`` (the same stream four times faster:
≈1.6 questions per intent per day, ≈240 a day), each with the default thresholds and variants:
``p_0.01`` (anomaly_p_value 0.01), ``sensitive`` (also anomaly_min_count 3) and ``finer_topics``
(topic_similarity 0.6, the default before this benchmark chose 0.5).
Set ``INSIGHTS_BENCH_CACHE`` to an .npz path outside the repository to keep the embeddings.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from assistant.insights.anomalies import TOTAL, detect_anomalies
from assistant.insights.records import ConversationRecord
from assistant.insights.settings import InsightSettings
from assistant.insights.text import local_day
from assistant.insights.topics import build_topics
from assistant.models import Decision

EVENTS = 30
SEED = 0
SPEED = {"native": 1, "busy": 4}
VARIANTS = {
    "default": {},
    "p_0.01": {"anomaly_p_value": 0.01},
    "sensitive": {"anomaly_min_count": 3, "anomaly_p_value": 0.01},
    "finer_topics": {"topic_similarity": 0.6},
}


@dataclass(frozen=True)
class Spike:
    intent: str
    start: date
    days: int
    multiplier: float


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def embed(texts: list[str]) -> dict[str, np.ndarray]:
    """MiniLM vectors; kept in $INSIGHTS_BENCH_CACHE (an .npz outside the repo) when it is set."""
    unique = list(dict.fromkeys(texts))
    cache = os.environ.get("INSIGHTS_BENCH_CACHE")
    if cache and Path(cache).exists():
        with np.load(cache, allow_pickle=False) as data:
            if list(data["texts"]) == unique:
                return dict(zip(unique, data["vectors"], strict=True))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder

    vectors = SentenceTransformerEmbedder().embed_sync(unique)
    if cache:
        np.savez(cache, texts=np.array(unique), vectors=vectors)
    return dict(zip(unique, vectors, strict=True))


def scenario(stream: list[dict], paraphrases: dict[str, list[str]], speed: int, rng: random.Random):
    """The stream at ``speed``, with spikes injected: (records with gold intents, spikes)."""
    t0 = datetime.fromisoformat(stream[0]["ts"].replace("Z", "+00:00"))
    rows = []
    for item in stream:
        ts = datetime.fromisoformat(item["ts"].replace("Z", "+00:00"))
        rows.append((t0 + (ts - t0) / speed, item["text"], item["account"], item["gold"] or "oos"))
    first, last = rows[0][0].date(), rows[-1][0].date()
    span = (last - first).days + 1
    per_day = Counter(gold for _, _, _, gold in rows)
    intents = [i for i in sorted(per_day) if i != "oos" and len(paraphrases.get(i, [])) >= 10]
    spikes = []
    for intent in rng.sample(intents, EVENTS):
        start = first + timedelta(days=rng.randrange(21, span - 3))
        spikes.append(Spike(intent, start, rng.choice([1, 2, 3]), round(rng.uniform(3, 5), 2)))
    injected = []
    for spike in spikes:
        mean = per_day[spike.intent] / span
        extra = max(1, round((spike.multiplier - 1) * mean))
        for offset in range(spike.days):
            day = spike.start + timedelta(days=offset)
            for n in range(extra):
                at = datetime(day.year, day.month, day.day, 9, tzinfo=t0.tzinfo) + timedelta(
                    minutes=37 * n + 5
                )
                account = f"acct-{rng.randrange(40):02d}"
                injected.append((at, rng.choice(paraphrases[spike.intent]), account, spike.intent))
    return sorted(rows + injected, key=lambda r: r[0]), spikes, per_day, span


def evaluate(rows, spikes: list[Spike], vectors: dict[str, np.ndarray], settings: InsightSettings) -> dict:  # type: ignore[no-untyped-def]
    records = [
        ConversationRecord(
            question_id=f"q{i}",
            text=text,
            account=account,
            asked_at=at,
            decision=Decision.ANSWER,
            resolution_key=gold,
            embedding=vectors[text],
        )
        for i, (at, text, account, gold) in enumerate(rows)
    ]
    started = time.perf_counter()
    model = build_topics(records, threshold=settings.topic_similarity)
    zone = settings.zone
    days = sorted({local_day(r.asked_at, zone) for r in model.records})
    anomalies = detect_anomalies(model, days, settings)
    seconds = time.perf_counter() - started

    gold_by_topic_day: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
    for index, question in enumerate(model.records):
        topic = model.topics[model.assignment[index]]
        gold_by_topic_day[(topic.id, local_day(question.asked_at, zone))][question.resolution_key or ""] += 1
    windows = {(s.intent, s.start + timedelta(days=d)): s for s in spikes for d in range(s.days)}
    topic_flags = [a for a in anomalies if a.series != TOTAL]
    hits = 0
    found: dict[Spike, int] = {}
    for anomaly in topic_flags:
        counts = gold_by_topic_day[(anomaly.series, anomaly.day)]
        intent, top = counts.most_common(1)[0]
        spike = windows.get((intent, anomaly.day))
        if spike is not None and top * 2 > sum(counts.values()):
            hits += 1
            delay = (anomaly.day - spike.start).days
            found[spike] = min(delay, found.get(spike, delay))
    flagged = len(topic_flags)
    return {
        "topics": len(model.topics),
        "days_checked": max(0, len(days) - settings.anomaly_min_history_days),
        "flagged_topic_days": flagged,
        "flagged_total_days": sum(1 for a in anomalies if a.series == TOTAL),
        "true_positive_topic_days": hits,
        "precision": round(hits / flagged, 3) if flagged else None,
        "recall": round(len(found) / len(spikes), 3),
        "false_positives_per_100_days": round(100 * (flagged - hits) / max(1, len(days)), 2),
        "mean_delay_days": round(float(np.mean(list(found.values()))), 2) if found else None,
        "found_by_length": {
            str(n): f"{sum(1 for s in found if s.days == n)}/{sum(1 for s in spikes if s.days == n)}"
            for n in (1, 2, 3)
        },
        "analysis_seconds": round(seconds, 1),
    }


def main() -> None:
    folder = SHARED_EVAL / "clinc150"
    stream, test = read(folder / "stream.jsonl"), read(folder / "test.jsonl")
    paraphrases: dict[str, list[str]] = defaultdict(list)
    for item in test:
        if item["gold"]:
            paraphrases[item["gold"]].append(item["text"])
    started = time.perf_counter()
    cached = (
        bool(os.environ.get("INSIGHTS_BENCH_CACHE")) and Path(os.environ["INSIGHTS_BENCH_CACHE"]).exists()
    )
    vectors = embed([r["text"] for r in stream] + [t for texts in paraphrases.values() for t in texts])
    embed_seconds = round(time.perf_counter() - started, 1)
    results: dict[str, dict] = {}
    for name, speed in SPEED.items():
        rows, spikes, per_day, span = scenario(stream, paraphrases, speed, random.Random(SEED))
        mean_volume = round(sum(v for k, v in per_day.items() if k != "oos") / (len(per_day) - 1) / span, 2)
        results[name] = {
            "speed": speed,
            "days": span,
            "mean_questions_per_intent_per_day": mean_volume,
            "spikes": len(spikes),
            "mean_injected_per_spike_day": round(
                float(
                    np.mean([max(1, round((s.multiplier - 1) * per_day[s.intent] / span)) for s in spikes])
                ),
                2,
            ),
        }
        for variant, overrides in VARIANTS.items():
            settings = InsightSettings(_env_file=None, **overrides)  # type: ignore[arg-type]
            figures = evaluate(rows, spikes, vectors, settings)
            results[name][variant] = figures
            print(
                f"{name:>7} {variant:>12}: precision {figures['precision']}  recall {figures['recall']}  "
                f"delay {figures['mean_delay_days']} d  false positives/100 days "
                f"{figures['false_positives_per_100_days']}  ({figures['topics']} topics)"
            )
    path = record(
        "insights_spikes",
        {
            "data": "clinc150 stream.jsonl with spikes injected from test.jsonl paraphrases",
            "events": EVENTS,
            "seed": SEED,
            "embedding_seconds": embed_seconds,
            "embeddings_from_cache": cached,
            "scenarios": results,
        },
    )
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
