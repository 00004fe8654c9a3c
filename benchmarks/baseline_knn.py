"""The naive baseline the issue compares against: MiniLM 1-nearest-neighbour, learn everything,
fixed threshold. Same embeddings, same stream, same scoring as `assistant replay`, so the
product's figures in results/replay.json can be read against these.

Learn everything: after each question the agent's tagged answer is added as an example, whether
the bot answered it or not (the baseline gets more feedback than the product's simulated agent,
which approves only 30% of right answers).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder

THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)
SETS = ("clinc150", "hwu64", "stackfaq")


def run(stream_vectors: np.ndarray, golds: list[str | None], threshold: float) -> dict[str, float]:
    memory = np.zeros_like(stream_vectors)
    labels: list[str] = []
    answered = correct = 0
    for i, (vector, gold) in enumerate(zip(stream_vectors, golds, strict=True)):
        if labels:
            similarities = memory[: len(labels)] @ vector
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                answered += 1
                correct += int(labels[best] == gold)
        if gold is not None:
            memory[len(labels)] = vector
            labels.append(gold)
        del i
    n = len(golds)
    return {
        "threshold": threshold,
        "auto_resolution_rate": round(correct / n, 4),
        "precision": round(correct / answered, 4) if answered else float("nan"),
        "handoff_rate": round(1 - answered / n, 4),
    }


def main() -> None:
    embedder = SentenceTransformerEmbedder()
    figures = {}
    for dataset in SETS:
        path = SHARED_EVAL / dataset / "stream.jsonl"
        if not path.exists():
            continue
        rows = [json.loads(line) for line in path.open()]
        vectors = embedder.embed_sync([row["text"] for row in rows])
        figures[dataset] = [run(vectors, [row["gold"] for row in rows], t) for t in THRESHOLDS]
        for line in figures[dataset]:
            print(dataset, line)
    print("recorded", record("baseline_knn", {"sets": figures}))


if __name__ == "__main__":
    main()
