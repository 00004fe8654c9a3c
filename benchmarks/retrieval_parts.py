"""Where the embedded index's search time goes at 100k and 1M items: BM25 alone vs the whole search.

``scale.py`` measures retrieval as a whole; this splits ``EmbeddedVectorStore.search`` into its
lexical half (``Bm25Index.scores`` and picking the best, as the search does) and the rest (the
exact dense product over every vector, the visibility mask, the top-k), to tell whether an
approximate dense index (HNSW) would help at 1M: it can only remove the dense part. Texts are the
real clinc150 questions (BM25's cost depends on them); vectors are random unit vectors (the dense
product costs the same whatever the values). Queries are clinc150 test questions.

Run: ``.venv/bin/python benchmarks/retrieval_parts.py [--sizes 100000,1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import clinc150_questions, load_average, p50_p95_ms, record

from adapters.vectorstore.embedded import EmbeddedVectorStore
from assistant.models import ItemKind
from assistant.ports import IndexEntry

DIMENSION = 384
QUERIES = 100
LIMIT = 20


async def _measure(size: int, texts: list[str], queries: list[str]) -> dict[str, Any]:
    rng = np.random.default_rng(size)
    store = EmbeddedVectorStore(dimension=DIMENSION, initial_capacity=size)
    began = time.perf_counter()
    for start in range(0, size, 10_000):
        vectors = rng.normal(size=(min(10_000, size - start), DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.upsert(
            [
                IndexEntry(
                    item_id=f"kn-{start + i}",
                    vector=vector,
                    text=texts[(start + i) % len(texts)],
                    resolution_key=f"key-{(start + i) % 1000}",
                    kind=ItemKind.RESOLUTION,
                    account=None if (start + i) % 3 else f"acct-{(start + i) % 7}",
                )
                for i, vector in enumerate(vectors)
            ]
        )
    build = time.perf_counter() - began
    lexical_index = store._lexical  # the store's own BM25 index, timed alone
    search, lexical = [], []
    for n, text in enumerate(queries):
        vector = rng.normal(size=DIMENSION).astype(np.float32)
        vector /= np.linalg.norm(vector)
        began = time.perf_counter()
        await store.search(vector, text, account=f"acct-{n % 7}", limit=LIMIT)
        search.append(time.perf_counter() - began)
        began = time.perf_counter()
        scores = lexical_index.scores(text)
        sorted(scores, key=scores.__getitem__, reverse=True)[: LIMIT // 2]
        lexical.append(time.perf_counter() - began)
    return {
        "items": size,
        "build_seconds": round(build, 1),
        "search": p50_p95_ms(search),
        "bm25_alone": p50_p95_ms(lexical),
        "dense_and_rest_p50_ms": round((statistics.median(search) - statistics.median(lexical)) * 1000, 1),
        "queries": len(queries),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    load_at_start = load_average()
    stream, test = clinc150_questions()
    texts = list(dict.fromkeys(stream))
    results: dict[str, Any] = {"sizes": []}
    for size in [int(s) for s in args.sizes.split(",")]:
        figures = await _measure(size, texts, test[:QUERIES])
        print(figures, flush=True)
        results["sizes"].append(figures)
    results["load_average_1m_at_end"] = load_average()
    results["notes"] = ["The 2-core machine is shared with other jobs running at the same time."]
    print("recorded", record("retrieval_parts", results, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
