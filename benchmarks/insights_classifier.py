"""The message classifier on NLBSE'24 issues: per-class and macro F1 on the test split.

Trained on ``nlbse24_issues_train.csv`` (1,500 issues), scored on ``nlbse24_issues_test.csv``
(1,500), both read from ../shared/eval/issues. Three configurations:

* ``tfidf``: word + character TF-IDF and logistic regression, issues only;
* ``tfidf+minilm``: the same with the bundled MiniLM sentence embedding appended (what the app
  trains when it has its embedder), issues only;
* ``deployed``: ``tfidf+minilm`` plus the built-in chat seed examples, as ``assistant insights
  train-classifier --issues`` trains it (it can also answer ``other``, which the test never is).

The published baseline on the same split is SetFit's 0.827 average (macro) F1.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from assistant.insights.classifier import Example, MessageClassifier, clean_text
from assistant.insights.service import EMBEDDING_CHARS
from assistant.insights.training import SEED_EXAMPLES, load_issue_examples

BASELINE = 0.827
LABELS = ["bug", "feature", "question"]


def embed(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder().embed_sync([clean_text(t)[:EMBEDDING_CHARS] for t in texts])


def score(name: str, model: MessageClassifier, test: list[Example], embeddings: np.ndarray | None) -> dict:
    truth = [e.label.value for e in test]
    predicted = [label.value for label in model.predict([e.text for e in test], embeddings)]
    report = classification_report(truth, predicted, labels=LABELS, output_dict=True, zero_division=0)
    macro = f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0)
    figures = {
        "macro_f1": round(float(macro), 4),
        "vs_baseline": round(float(macro) - BASELINE, 4),
        "per_class": {
            label: {
                k: round(float(report[label][k]), 4) for k in ("precision", "recall", "f1-score", "support")
            }
            for label in LABELS
        },
        "predicted_other": predicted.count("other"),
    }
    print(
        f"{name:>14}: macro F1 {macro:.4f} (baseline {BASELINE})  "
        + "  ".join(f"{label} {figures['per_class'][label]['f1-score']:.3f}" for label in LABELS)
    )
    return figures


def main() -> None:
    folder = SHARED_EVAL / "issues"
    train, test = load_issue_examples(folder, "train"), load_issue_examples(folder, "test")
    results: dict[str, dict] = {}

    started = time.perf_counter()
    results["tfidf"] = score("tfidf", MessageClassifier.train(train), test, None)
    results["tfidf"]["train_seconds"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    seeds = list(SEED_EXAMPLES)
    vectors = embed([e.text for e in train + seeds + test])
    train_vectors, seed_vectors = vectors[: len(train)], vectors[len(train) : len(train) + len(seeds)]
    test_vectors = vectors[len(train) + len(seeds) :]
    embed_seconds = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    with_embeddings = MessageClassifier.train(train, embeddings=train_vectors)
    results["tfidf+minilm"] = score("tfidf+minilm", with_embeddings, test, test_vectors)
    results["tfidf+minilm"]["train_seconds"] = round(time.perf_counter() - started, 1)

    deployed = MessageClassifier.train(train + seeds, embeddings=np.vstack([train_vectors, seed_vectors]))
    results["deployed"] = score("deployed", deployed, test, test_vectors)
    results["deployed"]["model_bytes"] = len(deployed.to_bytes())

    path = record(
        "insights_classifier",
        {
            "data": "NLBSE'24 issues: train 1,500 / test 1,500 (bug, feature, question)",
            "baseline_macro_f1": BASELINE,
            "embedding_seconds": embed_seconds,
            "results": results,
        },
    )
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
