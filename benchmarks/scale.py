"""Scale figures: retrieval and answers at 10k, 100k and 1M items on SQLite and PostgreSQL, and
the Slack events one instance handles per second on loopback.

The corpus: real clinc150 questions embedded by the real model, spread over 1,000 resolution keys;
past the pool's size (15k questions) the vectors are reused with a little noise, so at 1M almost
every item is synthetic. Queries are clinc150 test questions. Per store and size it records the
start time (loading the in-memory engine from the store), retrieval alone
(``RetrievalEngine.rank`` on a pre-computed question vector: the exact numpy search, BM25 and the
resolution head), a whole ask (embedding, ranking, calibration, the database write) and the cost
of ``sync`` when nothing changed, which every ask pays at most once per ``ASSISTANT_SYNC_SECONDS``.
Each measurement is recorded as soon as it is done, so a run cut short keeps what it measured;
``--stop-by`` skips (and says so) the measurements that would start after a given time.

The Slack figure posts signed message events to ``/slack/events`` of the real app served on
127.0.0.1 (port 0), set up by the Slack tests' harness, with the fake Slack Web API of
``tests/fakes`` answering its calls, no LLM: a bounded number of events, a bounded concurrency,
a time limit.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 10000,100000,1000000] [--postgres URL]``;
``--slack-only`` measures the Slack figure again into the recorded file (dated beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, clinc150_questions, load_average, p50_p95_ms, record, rss_mb

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.wiring import build_assistant
from assistant.config import DEFAULT_INNER_LAYER, default_database_url_for, load_settings
from assistant.models import ItemKind, KnowledgeItem, Question, new_id

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
KEYS = 1_000
QUERIES = 300
QUERIES_PAST_100K = 100
SLACK_EVENTS = 200
SLACK_CONCURRENCY = 16
SLACK_TIME_LIMIT = 120.0
NOTES = [
    "The 2-core machine is shared with other jobs running at the same time: see the load averages.",
    f"{QUERIES} queries per size up to 100k, {QUERIES_PAST_100K} past it (to fit the run's budget).",
    "Retrieval is measured right after start-up, while the head's background refit shares the CPU.",
    "Asks run with ASSISTANT_SYNC_SECONDS=0 (a change-feed read before every ask), the worst case.",
]


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


async def _measure(
    kind: str, url: str, size: int, embedder: Any, queries: list[str], *, settled: bool = False
) -> dict[str, Any]:
    settings = load_settings(database_url=url, anthropic_api_key=None, sync_seconds=0.0)
    started = time.perf_counter()
    service = build_assistant(settings, embedder=embedder, background_refit=True)
    await service.start()
    startup = time.perf_counter() - started
    if settled:  # the steady state: the start's background refit is done before anything is timed
        await service.engine.settled()
    rss = rss_mb()
    try:
        query_vectors = await embedder.embed(queries)
        rank_s = []
        for i, (text, vector) in enumerate(zip(queries, query_vectors, strict=True)):
            began = time.perf_counter()
            await service.engine.rank(vector, text, f"acct-{i % 7}")
            rank_s.append(time.perf_counter() - began)
        sync_s = []
        for _ in range(100):
            began = time.perf_counter()
            await service.engine.sync()
            sync_s.append(time.perf_counter() - began)
        ask_s = []
        began_all = time.perf_counter()
        for i, text in enumerate(queries):
            began = time.perf_counter()
            await service.ask(Question(text=f"{text} ({i})", account=f"acct-{i % 7}"))
            ask_s.append(time.perf_counter() - began)
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
        "rss_mb_after_start": rss,
        "retrieval": p50_p95_ms(rank_s, 2),
        "ask": p50_p95_ms(ask_s, 2) | {"answers_per_second": round(len(queries) / seconds, 1)},
        "sync_nothing_changed": p50_p95_ms(sync_s, 2),
        "sync_one_change_ms": round(one_change_ms, 2) if changed else None,
        "queries": len(queries),
    }


async def _slack_events(embedder: Any, scratch: Path) -> dict[str, Any]:
    from tests.adapters.slack.harness import CUSTOMER, CUSTOMER_CHANNEL, running_harness
    from tests.adapters.slack.load import UNLIMITED
    from tests.fakes.slack_requests import message_event

    _, test = clinc150_questions()
    url = default_database_url_for(scratch / "slack.db")
    # Rate limits raised: 200 questions from one person would otherwise measure the limiter.
    async with running_harness(url, embedder, background_refit=True, settings_overrides=UNLIMITED) as harness:
        team = harness.fake.users[CUSTOMER]["team_id"]
        limit = asyncio.Semaphore(SLACK_CONCURRENCY)
        statuses: list[int] = []

        async def send(n: int) -> None:
            async with limit:
                event = message_event(
                    CUSTOMER_CHANNEL, CUSTOMER, test[n % len(test)], ts=f"1710000000.{n:06d}", user_team=team
                )
                status, _, _ = await harness.sender.event(event)
                statuses.append(status)

        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(send(n) for n in range(SLACK_EVENTS))), SLACK_TIME_LIMIT)
        acked = time.perf_counter() - began
        await harness.slack.drain(timeout=SLACK_TIME_LIMIT)
        processed = time.perf_counter() - began
        replies = len(harness.fake.calls_to("chat.postMessage"))
    return {
        "events": SLACK_EVENTS,
        "concurrency": SLACK_CONCURRENCY,
        "acknowledged_200": statuses.count(200),
        "acknowledged_per_second": round(SLACK_EVENTS / acked, 1),
        "processed_per_second": round(SLACK_EVENTS / processed, 1),
        "web_api_posts": replies,
        "store": "sqlite",
    }


def _growth(corpus: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per store, how much each size's retrieval p50/p95, ask p50 and start-up grew over the
    previous size's (the ratio, beside the ratio of the item counts)."""
    growth: dict[str, dict[str, dict[str, float]]] = {}
    for store in dict.fromkeys(row["store"] for row in corpus):
        rows = sorted((row for row in corpus if row["store"] == store), key=lambda row: row["items"])
        for before, after in itertools.pairwise(rows):
            growth.setdefault(store, {})[f"{before['items']}_to_{after['items']}"] = {
                "items_x": round(after["items"] / before["items"], 1),
                "retrieval_p50_x": round(after["retrieval"]["p50_ms"] / before["retrieval"]["p50_ms"], 1),
                "retrieval_p95_x": round(after["retrieval"]["p95_ms"] / before["retrieval"]["p95_ms"], 1),
                "ask_p50_x": round(after["ask"]["p50_ms"] / before["ask"]["p50_ms"], 1),
                "startup_x": round(after["startup_seconds"] / before["startup_seconds"], 1),
                "rss_x": round(after["rss_mb_after_start"] / before["rss_mb_after_start"], 1),
            }
    return growth


async def _slack_only(embedder: Any, load_at_start: float | None) -> None:
    """Replace the recorded file's Slack figure by a new measurement, dated beside it."""
    path = RESULTS / "scale.json"
    recorded = json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        figures = await _slack_events(embedder, Path(scratch))
    recorded["slack_events"] = figures | {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_at_start": load_at_start,
        "load_average_1m_at_end": load_average(),
    }
    path.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    print("slack", figures, "recorded in", path)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--skip-slack", action="store_true")
    parser.add_argument("--stop-by", help="UTC time (ISO) after which no new measurement starts")
    parser.add_argument("--slack-only", action="store_true", help="re-measure only the Slack figure")
    parser.add_argument(
        "--inner-layer", type=int, default=DEFAULT_INNER_LAYER, help="ASSISTANT_EMBEDDING_INNER_LAYER"
    )
    parser.add_argument("--tag", default="", help="recorded as scale-TAG.json")
    parser.add_argument(
        "--settled", action="store_true", help="time asks after the start's background refit, not beside it"
    )
    args = parser.parse_args()
    load_at_start = load_average()
    stop_by = datetime.fromisoformat(args.stop_by).replace(tzinfo=UTC) if args.stop_by else None
    embedder = SentenceTransformerEmbedder(inner_layer=args.inner_layer)
    name = f"scale-{args.tag}" if args.tag else "scale"
    if args.slack_only:
        await _slack_only(embedder, load_at_start)
        return
    stream, test = clinc150_questions()
    texts = list(dict.fromkeys(stream))
    vectors = await embedder.embed(texts)
    results: dict[str, Any] = {"corpus": [], "skipped": [], "notes": NOTES, "inner_layer": args.inner_layer}
    results["settled"] = args.settled
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_slack:
            results["slack_events"] = await _slack_events(embedder, Path(scratch))
            print("slack", results["slack_events"], flush=True)
        for size in [int(s) for s in args.sizes.split(",")]:
            queries = test[: QUERIES if size <= 100_000 else QUERIES_PAST_100K]
            for kind in args.stores.split(","):
                if stop_by is not None and datetime.now(UTC) > stop_by:
                    results["skipped"].append(f"{kind} at {size} items: out of the run's time budget")
                    continue
                async with _database(kind, Path(scratch), args.postgres) as url:
                    fill = await _fill(url, size, embedder, texts, vectors)
                    figures = await _measure(kind, url, size, embedder, queries, settled=args.settled)
                    figures["fill_items_per_second"] = round(size / fill)
                print(figures, flush=True)
                results["corpus"].append(figures)
                results["growth"] = _growth(results["corpus"])
                results["load_average_1m_at_end"] = load_average()
                record(name, results, load_at_start=load_at_start)
    results["load_average_1m_at_end"] = load_average()
    print("recorded", record(name, results, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
