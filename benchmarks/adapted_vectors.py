"""Would adapting the embedding space to what was learned separate close intents? (issue 20)

Offline, on a replay set's stream with every earlier question's gold label known (the most a
learning arm could have), per 600-question window after the first:
- linear adapters fitted on the earlier questions (within-class whitening, shrunk LDA) and a
  one-hidden-layer MLP, against the frozen vectors: top-1 accuracy of the nearest labelled question
  and of a softmax head (the product's head is one), and the share an oracle threshold on the
  head's top probability would answer at the precision target;
- contrastive fine-tuning of the encoder itself (supervised contrastive loss, SetFit-style) on the
  first ``--train`` questions, then the head on frozen against fine-tuned vectors over the next four
  windows. Needs torch (``make .venv/.torch``); without it that part is skipped and says so.

Run: ``.venv/bin/python benchmarks/adapted_vectors.py [--set hwu64] [--precision 0.96]
[--train 2400] [--steps 150]``; writes ``benchmarks/results/adapted_vectors-SET.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, STREAM_WINDOW, load_average, oracle_coverage, record

sys.path.insert(0, str(ROOT))

SHRINKAGE = 0.1
HEAD_C = 10.0
EVAL_WINDOWS = 4
TEMPERATURE = 0.05


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _whitening(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Within-class covariance whitening (shrunk towards a sphere): spreads the directions that
    tell intents apart relative to those that vary inside one."""
    means = {label: x[y == label].mean(0) for label in np.unique(y)}
    residual = x - np.array([means[label] for label in y])
    within = residual.T @ residual / len(residual)
    within = (1 - SHRINKAGE) * within + SHRINKAGE * np.trace(within) / len(within) * np.eye(len(within))
    values, vectors = np.linalg.eigh(within)
    projection = vectors @ np.diag(values**-0.5) @ vectors.T
    return lambda rows: rows @ projection


def _lda(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    return LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto").fit(x, y).transform


def _head(train: np.ndarray, labels: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A softmax head's prediction and top probability."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=HEAD_C, max_iter=300).fit(train, labels)
    probabilities = head.predict_proba(test)
    return head.classes_[probabilities.argmax(1)], probabilities.max(1)


def _mlp(train: np.ndarray, labels: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.neural_network import MLPClassifier

    # Unit vectors are scaled up so the default initialisation is not saturated nor flat.
    model = MLPClassifier(hidden_layer_sizes=(512,), alpha=1e-3, max_iter=200, random_state=0)
    probabilities = model.fit(train * 5, labels).predict_proba(test * 5)
    return model.classes_[probabilities.argmax(1)], probabilities.max(1)


def adapters(vectors: np.ndarray, gold: np.ndarray, target: float) -> dict[str, Any]:
    """Frozen vectors against linear adapters and an MLP head, per window after the first."""
    windows = []
    for start in range(STREAM_WINDOW, len(vectors), STREAM_WINDOW):
        here = slice(start, start + STREAM_WINDOW)
        train, labels, truth = vectors[:start], gold[:start], gold[here]
        figures: dict[str, float] = {"end": min(start + STREAM_WINDOW, len(vectors))}
        for name, fit in (("frozen", None), ("whitened", _whitening), ("lda", _lda)):
            transform = fit(train, labels) if fit else (lambda rows: rows)
            seen, asked = _unit(transform(train)), _unit(transform(vectors[here]))
            figures[f"{name}_nearest_top1"] = float((labels[(asked @ seen.T).argmax(1)] == truth).mean())
            predicted, confidence = _head(seen, labels, asked)
            right = predicted == truth
            figures[f"{name}_head_top1"] = float(right.mean())
            figures[f"{name}_head_oracle"] = oracle_coverage(confidence, right, target)
        predicted, confidence = _mlp(train, labels, vectors[here])
        figures["mlp_top1"] = float((predicted == truth).mean())
        figures["mlp_oracle"] = oracle_coverage(confidence, predicted == truth, target)
        windows.append({k: round(v, 3) for k, v in figures.items()})
        print({k: windows[-1][k] for k in ("end", "frozen_head_oracle", "lda_head_oracle", "mlp_oracle")})
    means = {k: round(float(np.mean([w[k] for w in windows])), 3) for k in windows[0] if k != "end"}
    return {"windows_after_first": means, "windows": windows}


def fine_tuned(texts: list[str], gold: np.ndarray, target: float, train: int, steps: int) -> dict[str, Any]:
    """The head on frozen against contrastively fine-tuned vectors, over the windows after
    ``train``."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return {"skipped": "torch and sentence-transformers are not installed (make .venv/.torch)"}
    from adapters.embedding.sentence_transformer import resolve_model_path
    from assistant.config import DEFAULT_EMBEDDING_MODEL

    torch.manual_seed(0)
    model = SentenceTransformer(resolve_model_path(DEFAULT_EMBEDDING_MODEL), device="cpu")

    def embed() -> np.ndarray:
        model.eval()
        with torch.no_grad():
            encoded = model.encode(texts, batch_size=128, normalize_embeddings=True)
        return np.asarray(encoded, dtype=np.float64)

    def evaluate(vectors: np.ndarray) -> list[dict[str, float]]:
        rows = []
        for start in range(train, min(len(texts), train + EVAL_WINDOWS * STREAM_WINDOW), STREAM_WINDOW):
            here = slice(start, start + STREAM_WINDOW)
            predicted, confidence = _head(vectors[:start], gold[:start], vectors[here])
            right = predicted == gold[here]
            coverage = oracle_coverage(confidence, right, target)
            rows.append({"top1": round(float(right.mean()), 3), "oracle": round(coverage, 3)})
        return rows

    frozen = evaluate(embed())
    started = time.perf_counter()
    _contrastive_steps(model, texts[:train], gold[:train], steps)
    training_seconds = time.perf_counter() - started
    started = time.perf_counter()
    tuned_vectors = embed()
    embedding_seconds = time.perf_counter() - started
    tuned = evaluate(tuned_vectors)

    def mean(rows: list[dict[str, float]]) -> dict[str, float]:
        return {k: round(float(np.mean([r[k] for r in rows])), 3) for k in rows[0]}

    return {
        "train_questions": train,
        "steps": steps,
        "training_seconds": round(training_seconds, 1),
        "re_embedding_seconds": round(embedding_seconds, 1),
        "frozen": mean(frozen),
        "fine_tuned": mean(tuned),
        "windows": {"frozen": frozen, "fine_tuned": tuned},
    }


def _contrastive_steps(model: Any, texts: list[str], gold: np.ndarray, steps: int) -> None:
    """Supervised contrastive loss over batches of 16 intents with 4 questions each."""
    import torch

    members: dict[str, list[int]] = {}
    for index, label in enumerate(gold):
        members.setdefault(str(label), []).append(index)
    labels = [label for label, rows in members.items() if len(rows) >= 2]
    rng = np.random.default_rng(0)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    model.train()
    for _ in range(steps):
        batch, classes = [], []
        for k in rng.choice(len(labels), size=min(16, len(labels)), replace=False):
            rows = members[labels[k]]
            for row in rng.choice(rows, size=min(4, len(rows)), replace=False):
                batch.append(texts[row])
                classes.append(int(k))
        output = model(model.tokenize(batch))["sentence_embedding"]
        unit = torch.nn.functional.normalize(output, dim=1)
        similarity = unit @ unit.T / TEMPERATURE
        same = torch.tensor(classes)
        eye = torch.eye(len(batch))
        positives = (same[:, None] == same[None, :]).float() - eye
        log_p = torch.log_softmax(similarity - 1e9 * eye, dim=1)
        loss = -((log_p * positives).sum(1) / positives.sum(1).clamp(min=1)).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()


async def _stream(dataset: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    from adapters.wiring import build_embedder
    from assistant.config import load_settings
    from assistant.knowledge.replay_format import read_replay_dir

    data = read_replay_dir(SHARED_EVAL / dataset)
    texts = [question.text for question in data.stream]
    gold = np.array([question.gold or "(none)" for question in data.stream])
    vectors = np.asarray(await build_embedder(load_settings()).embed(texts), dtype=np.float64)
    return texts, gold, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="hwu64")
    parser.add_argument("--precision", type=float, default=0.96)
    parser.add_argument("--train", type=int, default=2400)
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    load_start = load_average()
    texts, gold, vectors = asyncio.run(_stream(args.set))
    figures = {
        "set": args.set,
        "precision_target": args.precision,
        "window": STREAM_WINDOW,
        "adapters": adapters(vectors, gold, args.precision),
        "fine_tuning": fine_tuned(texts, gold, args.precision, args.train, args.steps),
    }
    print(figures["adapters"]["windows_after_first"])
    print({k: v for k, v in figures["fine_tuning"].items() if k != "windows"})
    print(record(f"adapted_vectors-{args.set}", figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
