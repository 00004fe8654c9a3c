"""`make demo`: the console on http://127.0.0.1:8080 with the Lumen Ledger sample loaded.

A fresh store (``.demo/assistant.db``) gets the sample docs and past tickets; the console then
serves until Ctrl-C, with no sign-in: it listens on the loopback interface only. Ask as a
customer, act as an agent, and watch the assistant learn. The scripted terminal demo is
``make demo-script``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

from adapters.console.server import serve_console
from adapters.console.settings import load_console_settings
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import parse_ticket_file
from assistant.service import Assistant

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEMO_DIR = Path(".demo")
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8080


async def load_samples(assistant: Assistant) -> None:
    report = await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
    tickets = await Ingestor(assistant).import_tickets(
        parse_ticket_file(SAMPLES / "tickets.csv"), source="tickets.csv"
    )
    print(
        f"Loaded the Lumen Ledger sample: {report.added} documents ({report.chunks} passages), "
        f"{tickets} past tickets.",
        flush=True,
    )


def _replay_root() -> Path | None:
    for candidate in (SAMPLES / "replay", SAMPLES.parents[1] / "shared" / "eval"):
        if candidate.is_dir():
            return candidate
    return None


async def main(port: int) -> None:
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir()
    settings = load_settings(database_url=default_database_url_for((DEMO_DIR / "assistant.db").resolve()))
    console = load_console_settings(open=True)
    if console.replay_dir is None:
        console = console.model_copy(update={"replay_dir": _replay_root()})

    def ready(url: str) -> None:
        print(
            f"\n  The console is ready: {url}\n  (the sandbox is the first page; Ctrl-C stops the demo)\n",
            flush=True,
        )

    await serve_console(
        settings=settings,
        console_settings=console,
        host=LOOPBACK,
        port=port,
        ready=ready,
        prepare=load_samples,
    )


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.port))
    print("demo stopped; the store is kept in .demo/assistant.db")


if __name__ == "__main__":
    run()
