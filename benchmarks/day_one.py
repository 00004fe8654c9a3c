"""Day one: what a fresh install answers from its documents and imported past tickets (issue 18).

For each replay set: a fresh store ingests the knowledge base, then imports the first
``--tickets`` questions of the stream as past resolved tickets, untagged (question and the agent's
answer only, as a help-desk export gives them). The held-out test is then judged without any live
outcome, twice: with the cautious prior alone, and with the calibration rehearsed from the
imported tickets (``assistant.learning.rehearsal``). An answer resting on an imported ticket is
scored by the gold of the stream question it came from.

Run: ``.venv/bin/python benchmarks/day_one.py [--sets lumen-ledger,stackfaq,clinc150,hwu64]
[--tickets 300] [--test 1500]``; writes ``benchmarks/results/day_one.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, load_average, record

sys.path.insert(0, str(ROOT))

from adapters.wiring import build_assistant, build_embedder
from assistant.answering.calibration import Calibrator
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.replay_format import StreamRecord, read_replay_dir
from assistant.knowledge.tickets import TicketRecord
from assistant.learning.signals import text_resolution_key
from assistant.models import Decision
from assistant.service import Assistant

VERBOSE = False
SETS = {
    "lumen-ledger": ROOT / "samples" / "replay" / "lumen-ledger",
    "stackfaq": SHARED_EVAL / "stackfaq",
    "clinc150": SHARED_EVAL / "clinc150",
    "hwu64": SHARED_EVAL / "hwu64",
}


async def judge(
    assistant: Assistant, test: list[StreamRecord], gold_of: dict[str, str | None]
) -> dict[str, Any]:
    """Coverage, precision and auto-resolution on the test split, learning nothing."""
    answered = correct = 0
    for item in test:
        assessment = await assistant.assess(item.text, item.account)
        best = assessment.ranking.best
        key = gold_of.get(best.resolution_key, best.resolution_key) if best else None
        right = item.gold is not None and key == item.gold
        if assessment.decision is Decision.ANSWER:
            if not right and VERBOSE:
                print("  wrong:", item.text, "->", key, "gold", item.gold, round(assessment.confidence, 3))
            answered += 1
            correct += right
    return {
        "answered": answered,
        "correct": correct,
        "coverage": round(answered / len(test), 3),
        "precision": round(correct / answered, 3) if answered else None,
        "auto_resolution": round(correct / len(test), 3),
    }


async def day_one(name: str, folder: Path, tickets: int, test_size: int) -> dict[str, Any]:
    data = read_replay_dir(folder)
    test = list(data.test)
    if len(test) > test_size:
        test = random.Random(0).sample(test, test_size)
    with tempfile.TemporaryDirectory() as directory:
        settings = load_settings(database_url=default_database_url_for(Path(directory) / "store.db"))
        assistant = build_assistant(settings, embedder=build_embedder(settings), background_refit=False)
        await assistant.start()
        try:
            ingestor = Ingestor(assistant)
            await ingestor.ingest_articles(data.kb)
            past = data.stream[:tickets]
            records = [
                TicketRecord(
                    line=n,
                    question=r.text,
                    answer=r.answer,
                    resolution_key=None,
                    account=r.account,
                    external_id=r.id,
                    asked_at=r.ts,
                    user=r.user,
                    channel=r.channel,
                )
                for n, r in enumerate(past, start=1)
            ]
            started = time.perf_counter()
            await ingestor.import_tickets(records, source=f"{name}-stream")
            import_seconds = time.perf_counter() - started
            gold_of = {text_resolution_key(assistant.private(r.answer)): r.gold for r in past}
            rehearsed = await assistant.store.rehearsed_outcomes()
            with_rehearsal = await judge(assistant, test, gold_of)
            threshold = assistant.calibrator.state.threshold
            assistant.calibrator = Calibrator(
                target_precision=settings.target_precision, novelty_quantile=settings.novelty_quantile
            )
            prior_only = await judge(assistant, test, gold_of)
        finally:
            await assistant.close()
    return {
        "kb_articles": len(data.kb),
        "tickets_imported": len(past),
        "test_questions": len(test),
        "rehearsed_outcomes": len(rehearsed),
        "rehearsed_right": sum(o.correct for o in rehearsed),
        "import_with_rehearsal_s": round(import_seconds, 1),
        "threshold": round(threshold, 3),
        "prior_only": prior_only,
        "rehearsed": with_rehearsal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--test", type=int, default=1500)
    args = parser.parse_args()
    load_start = load_average()
    figures: dict[str, Any] = {"tickets": args.tickets, "test_cap": args.test, "sets": {}}
    for name in args.sets.split(","):
        result = asyncio.run(day_one(name, SETS[name], args.tickets, args.test))
        figures["sets"][name] = result
        print(name, result, flush=True)
    print(record("day_one", figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
