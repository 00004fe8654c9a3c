"""Ingestion rate: the 125 StackFAQ articles written as Markdown files, ingested through
`Ingestor.ingest_paths` (read, chunk, embed, store, index) into a fresh SQLite store.

Answer latency at 10k and 100k items is measured by scale.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor


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
    results = await _ingestion(SentenceTransformerEmbedder())
    print(results)
    print("recorded", record("ingestion", results))


if __name__ == "__main__":
    asyncio.run(main())
