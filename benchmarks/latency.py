"""Answer latency without an LLM at 10k and 100k knowledge items, and the ingestion rate.

Knowledge items are real questions from the shared clinc150 stream (embedded by the real model),
spread over 1,000 resolution keys; past the pool's size, vectors are reused with a little noise.
Each ask goes through the whole live path (embedding of a new question included, database write
included) on a SQLite file, the embedded vector index and the offline answerer.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor
from assistant.models import ItemKind, KnowledgeItem, Question, new_id

SIZES = (10_000, 100_000)
KEYS = 1_000
QUERIES = 300


def _pool() -> tuple[list[str], list[str]]:
    stream = [json.loads(line)["text"] for line in (SHARED_EVAL / "clinc150" / "stream.jsonl").open()]
    test = [json.loads(line)["text"] for line in (SHARED_EVAL / "clinc150" / "test.jsonl").open()]
    return stream, test


async def _latency(
    size: int,
    embedder: SentenceTransformerEmbedder,
    texts: list[str],
    vectors: np.ndarray,
    queries: list[str],
) -> dict[str, float]:
    rng = np.random.default_rng(size)
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(database_url=default_database_url_for(Path(scratch) / "bench.db"))
        service = build_assistant(settings, embedder=embedder, background_refit=True)
        await service.start()
        batch: list[tuple[KnowledgeItem, np.ndarray]] = []
        for i in range(size):
            vector = vectors[i % len(texts)]
            if i >= len(texts):
                vector = vector + rng.normal(scale=0.02, size=vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
            item = KnowledgeItem(
                id=new_id("kn"),
                kind=ItemKind.RESOLUTION,
                text=f"Answer {i % KEYS}",
                resolution_key=f"key-{i % KEYS}",
                source="benchmark",
                question=texts[i % len(texts)],
            )
            batch.append((item, vector))
            if len(batch) == 5_000:
                await service.store.add_items(batch)
                batch = []
        if batch:
            await service.store.add_items(batch)
        await service.close()

        started = time.perf_counter()
        service = build_assistant(settings, embedder=embedder, background_refit=True)
        await service.start()
        startup = time.perf_counter() - started
        await service.engine.settled()
        settle = time.perf_counter() - started - startup
        timings = []
        for i, text in enumerate(queries):
            began = time.perf_counter()
            await service.ask(Question(text=f"{text} ({i})", account=f"acct-{i % 7}"))
            timings.append((time.perf_counter() - began) * 1000)
        await service.close()
    timings.sort()
    return {
        "items": size,
        "startup_seconds": round(startup, 2),
        "head_fit_seconds_after_start": round(settle, 2),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "queries": len(timings),
    }


async def _ingestion(embedder: SentenceTransformerEmbedder) -> dict[str, float]:
    articles = [json.loads(line) for line in (SHARED_EVAL / "stackfaq" / "kb.jsonl").open()]
    with tempfile.TemporaryDirectory() as scratch:
        docs = Path(scratch) / "docs"
        docs.mkdir()
        for article in articles:
            (docs / f"{article['id']}.md").write_text(
                f"# {article['title']}\n\n{article['body']}\n", encoding="utf-8"
            )
        settings = load_settings(database_url=default_database_url_for(Path(scratch) / "ingest.db"))
        service = build_assistant(settings, embedder=embedder)
        await service.start()
        started = time.perf_counter()
        report = await Ingestor(service).ingest_paths([docs])
        seconds = time.perf_counter() - started
        await service.close()
    return {
        "documents": report.added,
        "passages": report.chunks,
        "seconds": round(seconds, 2),
        "documents_per_second": round(report.added / seconds, 1),
        "passages_per_second": round(report.chunks / seconds, 1),
    }


async def main() -> None:
    embedder = SentenceTransformerEmbedder()
    stream, test = _pool()
    texts = list(dict.fromkeys(stream))
    vectors = embedder.embed_sync(texts)
    queries = test[:QUERIES]
    results = {"latency": [], "ingestion": await _ingestion(embedder)}
    print("ingestion", results["ingestion"])
    for size in SIZES:
        figures = await _latency(size, embedder, texts, vectors, queries)
        print(figures)
        results["latency"].append(figures)
    print("recorded", record("latency", results))


if __name__ == "__main__":
    asyncio.run(main())
