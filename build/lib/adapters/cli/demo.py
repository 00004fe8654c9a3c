"""`make demo`: the assistant learning in front of you, on the bundled sample knowledge base.

A fresh store is filled with the fictional Lumen Ledger docs and past tickets, then a scripted
conversation plays through the same service Slack and Teams use: an answer from the docs, a
hand-off, the agent's reply, and the learned answer the next time (and privacy between accounts).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

from adapters.cli.render import answer_text, event_line
from adapters.cli.session import open_assistant
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import parse_ticket_file
from assistant.models import Answer, Question, Role, Signal
from assistant.service import Assistant

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEMO_DIR = Path(".demo")
AGENT = "dana"


async def play(script: list[dict[str, Any]], assistant: Assistant) -> None:
    """Play each step of the demo script, printing what a person would see."""
    last: Answer | None = None
    for number, step in enumerate(script, start=1):
        print(f"\n── step {number} " + "─" * 60)
        if say := step.get("say"):
            print(textwrap.fill(say, width=78))
        if ask := step.get("ask"):
            print(f"\n  [{ask['account']}] customer: {ask['text']}")
            last = await assistant.ask(
                Question(text=ask["text"], account=ask["account"], user=f"{ask['account']}-user")
            )
            print("  assistant:")
            print(textwrap.indent(answer_text(last), "    "))
        elif step.get("approve") and last is not None:
            event = await assistant.feedback(last.id, Signal.APPROVE, actor=AGENT, role=Role.AGENT)
            print("  ✅ " + event.effect)
        elif (correct := step.get("correct")) and last is not None:
            signal = Signal.RESOLVE if last.handed_off else Signal.CORRECT
            event = await assistant.feedback(
                last.id,
                signal,
                actor=AGENT,
                role=Role.AGENT,
                text=correct["text"],
                make_global=correct.get("scope") == "everyone",
            )
            print(textwrap.fill(f"  agent: {correct['text']}", width=78, subsequent_indent="         "))
            print("  📚 " + event.effect)
        elif teach := step.get("teach"):
            event = await assistant.teach(
                teach["question"],
                teach["answer"],
                actor=AGENT,
                role=Role.AGENT,
                account=teach.get("account"),
                private=bool(teach.get("private")),
            )
            print(f"  agent teaches: {teach['question']} → {teach['answer']}")
            print("  📚 " + event.effect)


async def main() -> None:
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir()
    settings = load_settings(database_url=default_database_url_for((DEMO_DIR / "assistant.db").resolve()))
    async with open_assistant(settings) as assistant:
        report = await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
        tickets = await Ingestor(assistant).import_tickets(
            parse_ticket_file(SAMPLES / "tickets.csv"), source="tickets.csv"
        )
        print(
            f"Loaded the Lumen Ledger sample: {report.added} documents "
            f"({report.chunks} passages), {tickets} past tickets."
        )
        script = json.loads((SAMPLES / "demo_script.json").read_text(encoding="utf-8"))
        await play(script, assistant)
        print("\n── what it learned " + "─" * 58)
        for event in await assistant.learned(limit=10):
            print("  " + event_line(event))
    print(f"\nThe demo store is kept in {DEMO_DIR}/assistant.db; try:")
    print(f"  .venv/bin/assistant ask 'How do refunds work?' --account acme --db {DEMO_DIR}/assistant.db")


if __name__ == "__main__":
    asyncio.run(main())
