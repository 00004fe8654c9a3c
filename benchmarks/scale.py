"""Scale figures: retrieval and answers at 10k and 100k items on SQLite and PostgreSQL, and the
Slack events one instance handles per second on loopback.

The corpus is built as ``latency.py`` builds it (real clinc150 questions embedded by the real
model, 1,000 resolution keys, reused vectors with a little noise past the pool's size); queries
are clinc150 test questions. Per store and size it records the start time (loading the in-memory
engine from the store), retrieval alone (``RetrievalEngine.rank`` on a pre-computed question
vector: the vector index, BM25 and the resolution head), a whole ask (embedding, ranking,
calibration, the database write) and the cost of ``sync`` when nothing changed, which every ask
pays at most once per ``ASSISTANT_SYNC_SECONDS``.

The Slack figure posts signed message events to ``/slack/events`` of the real app served on
127.0.0.1 (port 0), with the fake Slack Web API of ``tests/fakes`` answering its calls, no LLM:
a bounded number of events, a bounded concurrency, a time limit.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 10000,100000] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import record
from latency import KEYS, QUERIES, _pool

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.models import ItemKind, KnowledgeItem, Question, Role, new_id

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SLACK_EVENTS = 200
SLACK_CONCURRENCY = 16
SLACK_TIME_LIMIT = 120.0
NOTES = [
    "1M items not measured on the 2-core machine: see the README's 'Running several instances'.",
    "Retrieval is measured right after start-up, while the head's background refit shares the CPU.",
    "Asks run with ASSISTANT_SYNC_SECONDS=0 (a change-feed read before every ask), the worst case.",
]


def _ms(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
    }


@asynccontextmanager
async def _database(kind: str, scratch: Path, postgres: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield default_database_url_for(scratch / f"{uuid.uuid4().hex}.db")
        return
    from sqlalchemy import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    admin = create_async_engine(postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"bench_{uuid.uuid4().hex}"
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


async def _fill(url: str, size: int, embedder: Any, texts: list[str], vectors: np.ndarray) -> float:
    rng = np.random.default_rng(size)
    settings = load_settings(database_url=url, anthropic_api_key=None)
    service = build_assistant(settings, embedder=embedder, background_refit=True)
    await service.store.initialize()
    started = time.perf_counter()
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
    seconds = time.perf_counter() - started
    await service.store.close()
    return seconds


async def _measure(kind: str, url: str, size: int, embedder: Any, queries: list[str]) -> dict[str, Any]:
    settings = load_settings(database_url=url, anthropic_api_key=None, sync_seconds=0.0)
    started = time.perf_counter()
    service = build_assistant(settings, embedder=embedder, background_refit=True)
    await service.start()
    startup = time.perf_counter() - started
    try:
        query_vectors = await embedder.embed(queries)
        rank_ms = []
        for i, (text, vector) in enumerate(zip(queries, query_vectors, strict=True)):
            began = time.perf_counter()
            await service.engine.rank(vector, text, f"acct-{i % 7}")
            rank_ms.append((time.perf_counter() - began) * 1000)
        sync_ms = []
        for _ in range(100):
            began = time.perf_counter()
            await service.engine.sync()
            sync_ms.append((time.perf_counter() - began) * 1000)
        ask_ms = []
        began_all = time.perf_counter()
        for i, text in enumerate(queries):
            began = time.perf_counter()
            await service.ask(Question(text=f"{text} ({i})", account=f"acct-{i % 7}"))
            ask_ms.append((time.perf_counter() - began) * 1000)
        seconds = time.perf_counter() - began_all
        # One change arriving from "another instance": what a sync costs when there is one.
        await service.store.add_items(
            [
                (
                    KnowledgeItem(
                        id=new_id("kn"),
                        kind=ItemKind.RESOLUTION,
                        text="New answer",
                        resolution_key="key-new",
                        source="benchmark",
                        question="new",
                    ),
                    query_vectors[0],
                )
            ]
        )
        began = time.perf_counter()
        changed = await service.engine.sync()
        one_change_ms = (time.perf_counter() - began) * 1000
    finally:
        await service.close()
    return {
        "store": kind,
        "items": size,
        "startup_seconds": round(startup, 2),
        "retrieval": _ms(rank_ms),
        "ask": _ms(ask_ms) | {"answers_per_second": round(len(queries) / seconds, 1)},
        "sync_nothing_changed": _ms(sync_ms),
        "sync_one_change_ms": round(one_change_ms, 2) if changed else None,
        "queries": len(queries),
    }


async def _slack_events(embedder: Any, scratch: Path) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from adapters.slack import SlackApp, web_app
    from adapters.storage.sql.conversations import SqlConversationStore
    from tests.adapters.slack.conftest import CUSTOMER, SEED, SIGNING_SECRET, bind_channels, populate
    from tests.adapters.slack.conftest import slack_settings as make_slack_settings
    from tests.fakes import FakeSlack, SlackSender
    from tests.fakes.slack_requests import message_event

    stream, test = _pool()
    async with FakeSlack() as fake:
        populate(fake)
        settings = load_settings(database_url=default_database_url_for(scratch / "slack.db"))
        assistant = build_assistant(settings, embedder=embedder, background_refit=True)
        await assistant.start()
        conversations = SqlConversationStore(settings.database_url)
        await conversations.initialize()
        await bind_channels(conversations)
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        slack = SlackApp(assistant=assistant, conversations=conversations, settings=make_slack_settings(fake))
        await slack.start()
        runner = web.AppRunner(web_app(slack, conversations), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        team = fake.users[CUSTOMER]["team_id"]
        limit = asyncio.Semaphore(SLACK_CONCURRENCY)
        statuses: list[int] = []
        try:
            async with aiohttp.ClientSession() as session:
                sender = SlackSender(session, f"http://{host}:{port}/slack/events", SIGNING_SECRET)

                async def send(n: int) -> None:
                    async with limit:
                        event = message_event(
                            "C_ACME", CUSTOMER, test[n % len(test)], ts=f"1710000000.{n:06d}", user_team=team
                        )
                        status, _, _ = await sender.event(event)
                        statuses.append(status)

                began = time.perf_counter()
                await asyncio.wait_for(
                    asyncio.gather(*(send(n) for n in range(SLACK_EVENTS))), SLACK_TIME_LIMIT
                )
                acked = time.perf_counter() - began
                await slack.drain(timeout=SLACK_TIME_LIMIT)
                processed = time.perf_counter() - began
        finally:
            await runner.cleanup()
            await slack.close()
            await conversations.close()
            await assistant.close()
        replies = len(fake.calls_to("chat.postMessage"))
    del stream
    return {
        "events": SLACK_EVENTS,
        "concurrency": SLACK_CONCURRENCY,
        "acknowledged_200": statuses.count(200),
        "acknowledged_per_second": round(SLACK_EVENTS / acked, 1),
        "processed_per_second": round(SLACK_EVENTS / processed, 1),
        "web_api_posts": replies,
        "store": "sqlite",
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--skip-slack", action="store_true")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    stream, test = _pool()
    texts = list(dict.fromkeys(stream))
    vectors = await embedder.embed(texts)
    queries = test[:QUERIES]
    results: dict[str, Any] = {"corpus": [], "notes": NOTES}
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_slack:
            results["slack_events"] = await _slack_events(embedder, Path(scratch))
            print("slack", results["slack_events"], flush=True)
        for size in [int(s) for s in args.sizes.split(",")]:
            for kind in args.stores.split(","):
                async with _database(kind, Path(scratch), args.postgres) as url:
                    fill = await _fill(url, size, embedder, texts, vectors)
                    figures = await _measure(kind, url, size, embedder, queries)
                    figures["fill_items_per_second"] = round(size / fill)
                print(figures, flush=True)
                results["corpus"].append(figures)
    print("recorded", record("scale", results))


if __name__ == "__main__":
    asyncio.run(main())
