"""What switching the inner layer on costs a store filled before it: the first start re-embeds
every item's text and writes the vectors back (``RetrievalEngine`` with ``reembed``).

A SQLite store gets ``--items`` clinc150 stream questions as learned resolutions, embedded
without the layer (as every store was before 2026-12-07). Then an assistant with the product's
settings starts on it twice: the first start brings the vectors up to the layer, the second
finds nothing to do. The difference is the upgrade's cost; items per second is what the README's
configuration table quotes.

Run: ``.venv/bin/python benchmarks/inner_layer_upgrade.py [--items 10000]``; writes
``benchmarks/results/inner_layer_upgrade.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, clinc150_questions, load_average, record

sys.path.insert(0, str(ROOT))

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant, build_embedder
from assistant.config import default_database_url_for, load_settings
from assistant.models import ItemKind, KnowledgeItem, new_id

KEYS = 150


async def _fill(url: str, texts: list[str]) -> None:
    embedder = SentenceTransformerEmbedder(inner_layer=0)
    settings = load_settings(database_url=url, anthropic_api_key=None, embedding_inner_layer=0)
    service = build_assistant(settings, embedder=embedder, background_refit=False)
    await service.store.initialize()
    vectors = await embedder.embed(texts)
    items = [
        (
            KnowledgeItem(
                id=new_id("kn"),
                kind=ItemKind.RESOLUTION,
                text=f"Answer {i % KEYS}",
                resolution_key=f"key-{i % KEYS}",
                source="benchmark",
                question=text,
            ),
            vector,
        )
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
    ]
    await service.store.add_items(items)
    await service.store.close()


async def _start(url: str) -> tuple[float, int]:
    settings = load_settings(database_url=url, anthropic_api_key=None)
    service = build_assistant(settings, embedder=build_embedder(settings), background_refit=True)
    started = time.perf_counter()
    await service.start()
    seconds = time.perf_counter() - started
    entries = await service.store.load_active_entries()
    await service.close()
    return seconds, int(entries[0][1].size)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    load_at_start = load_average()
    stream, _ = clinc150_questions()
    texts = list(dict.fromkeys(stream))[: args.items]
    figures: dict[str, Any] = {"items": len(texts), "store": "sqlite"}
    with tempfile.TemporaryDirectory() as scratch:
        url = default_database_url_for(Path(scratch) / "store.db")
        await _fill(url, texts)
        figures["first_start_seconds"], figures["vector_size_after"] = await _start(url)
        figures["next_start_seconds"], _ = await _start(url)
    upgrade = figures["first_start_seconds"] - figures["next_start_seconds"]
    figures["upgrade_seconds"] = round(upgrade, 1)
    figures["items_per_second"] = round(len(texts) / upgrade, 1)
    print(figures, flush=True)
    print("recorded", record("inner_layer_upgrade", figures, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
