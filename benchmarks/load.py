"""Load on one instance: bursts of questions, reactions and corrections from many accounts at once.

The real Slack app on 127.0.0.1 (port 0) against the fake Slack Web API of ``tests/fakes``, a
SQLite file, the real embedder, no LLM; the burst itself is the load test's
(``tests/adapters/slack/load.py``): every question its own task, all at once, each answer
followed at once by a reaction or an agent's reply. Reported per burst: the invariants the test
asserts (answered or handed off once, learning events = reactions + replies sent), the latency
from posting a question to the assistant's reply appearing on the fake Slack (p50/p95/max), the
questions per second over the whole burst, and the process's resident memory after it (the
second and third bursts show whether memory keeps growing).

Run: ``.venv/bin/python benchmarks/load.py [--accounts 20] [--per-account 10] [--bursts 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import load_average, p50_p95_ms, record, rss_mb

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from tests.adapters.slack.harness import database_url, running_harness
from tests.adapters.slack.load import UNLIMITED, BurstReport, add_accounts, burst


class _Problems(logging.Handler):
    """Counts the warnings and errors the app logs during the run (a question delayed or lost
    shows up here first)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.getMessage()[:120]}"] += 1


def _figures(report: BurstReport, seconds: float, rss: float) -> dict[str, Any]:
    return {
        "questions": report.questions,
        "answered": report.answered,
        "handed_off": report.handed_off,
        "refused": report.refused,
        "retried_after_http_status": {str(k): v for k, v in report.retried.items()},
        "unanswered": len(report.unanswered),
        "threads_with_more_than_one_reply": sum(1 for n in report.posts_per_thread.values() if n > 1),
        "handoffs_posted_twice": sum(1 for n in report.handoff_posts.values() if n > 1),
        "reactions_sent": report.reactions_sent,
        "replies_sent": report.replies_sent,
        "learning_events_stored": report.learning_events,
        "learning_events_lost": report.learning_sent - report.learning_events,
        "latency": p50_p95_ms(report.latencies) | {"max_ms": round(max(report.latencies) * 1000, 1)},
        "questions_per_second": round(report.questions / seconds, 1),
        "burst_seconds": round(seconds, 1),
        "rss_mb_after": rss,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--per-account", type=int, default=10)
    parser.add_argument("--bursts", type=int, default=3)
    args = parser.parse_args()
    load_at_start = load_average()
    embedder = SentenceTransformerEmbedder()
    problems = _Problems()
    logging.getLogger().addHandler(problems)
    bursts = []
    with tempfile.TemporaryDirectory() as scratch:
        async with running_harness(
            database_url(Path(scratch)), embedder, background_refit=True, settings_overrides=UNLIMITED
        ) as harness:
            accounts = await add_accounts(harness, args.accounts)
            rss_before = rss_mb()
            for _ in range(args.bursts):
                began = time.perf_counter()
                report = await burst(harness, accounts, per_account=args.per_account)
                figures = _figures(report, time.perf_counter() - began, rss_mb())
                print(figures, flush=True)
                bursts.append(figures)
    results = {
        "setup": {
            "accounts": args.accounts,
            "questions_per_account_per_burst": args.per_account,
            "store": "sqlite",
            "answerer": "offline (no LLM)",
            "slack": "fake Slack Web API on loopback; events signed and posted over HTTP",
        },
        "rss_mb_before_first_burst": rss_before,
        "bursts": bursts,
        "warnings_and_errors_logged": dict(problems.counts.most_common(20)),
        "load_average_1m_at_end": load_average(),
        "notes": [
            "The 2-core machine is shared with other jobs running at the same time: see the load averages.",
            "Latency: question posted -> the assistant's reply seen on the fake Slack (polled every 10 ms).",
        ],
    }
    print("recorded", record("load", results, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
