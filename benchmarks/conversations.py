"""Multi-turn conversations: does every customer message in a thread get a visible outcome?

Realistic two- and three-turn Slack threads over the sample knowledge base (``samples/kb`` and
the sample accounts file) are replayed through the real Slack app on loopback
against the fake Slack Web API (``tests/adapters/slack``), on a cold start: the sample articles
ingested, three taught answers, no outcomes learned yet (the calibration is at its conservative
prior, so some questions the articles answer are still handed off). Each customer turn says what it
deserves while the assistant is in charge (``answer``, with a fact the reply must hold, or
``handoff``); while a person owns the conversation (handed off, or an agent wrote in the thread)
every customer turn deserves a ``relay``. Agent turns are a person writing in the thread. For every
customer turn the outcome is read from what the app posted:

* ``answered``: a new answer in the customer's thread (``answered_rightly`` when it holds the fact);
* ``handed_off``: the customer told a person will follow up, and a hand-off post for the agents;
* ``relayed``: the message posted in the conversation's hand-off thread (a person owns it);
* ``silently_dropped``: nothing at all (must be 0).

Run: ``.venv/bin/python benchmarks/conversations.py`` (writes ``results/conversations.json``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import ROOT, load_average, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.integrations.account_file import FileAccountContext
from adapters.slack import constants as ids
from adapters.slack import texts
from assistant.knowledge.ingestion import Ingestor
from assistant.threads import route
from tests.adapters.slack.harness import (
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    Harness,
    database_url,
    running_harness,
)
from tests.adapters.slack.helpers import block_text, has_button

Expect = Literal["answer", "handoff"]
Outcome = Literal["answered", "handed_off", "relayed", "silently_dropped"]
SAMPLES = ROOT / "samples"


@dataclass(frozen=True, slots=True)
class Turn:
    """One message in the thread: a customer's (with what it should get) or an agent's."""

    text: str
    user: str = CUSTOMER
    expect: Expect | None = None
    fact: str | None = None  # what a right answer holds


@dataclass(frozen=True, slots=True)
class Thread:
    name: str
    turns: tuple[Turn, ...]


THREADS: tuple[Thread, ...] = (
    Thread(
        "recurring tab missing",
        (
            Turn("How do I set up a recurring invoice?", expect="answer", fact="Recurring"),
            Turn("I followed that but there is no Recurring tab for me, what now?", expect="handoff"),
            Turn("We're on the Growth plan if that matters.", expect="handoff"),
        ),
    ),
    Thread(
        "recurring time of day",
        (
            Turn("How do I set up a recurring invoice?", expect="answer", fact="Recurring"),
            Turn("What time do recurring invoices actually go out?", expect="answer", fact="06:00"),
        ),
    ),
    Thread(
        "scheduled exports and the plan",
        (
            Turn("Can we schedule a weekly export to Amazon S3?", expect="answer", fact="Scheduled exports"),
            Turn("Is that available on our plan?", expect="answer", fact="Growth"),
        ),
    ),
    Thread(
        "api keys then sandbox",
        (
            Turn("How do I rotate an API key?", expect="answer", fact="Revoke"),
            Turn(
                "And how can we test the API without making real payments?", expect="answer", fact="sandbox"
            ),
        ),
    ),
    Thread(
        "sso after an agent stepped in",
        (
            Turn("How do we turn on SAML single sign-on?", expect="answer", fact="Single sign-on"),
            Turn("Checking this with our identity team, one moment.", user=AGENT),
            Turn("Thanks. Does it also work with Okta?", expect="answer", fact="Okta"),
        ),
    ),
    Thread(
        "a second customer joins",
        (
            Turn("How do I invite a new user to our workspace?", expect="answer", fact="Invite"),
            Turn(
                "How do I reset two-factor authentication for a colleague?",
                user=OTHER_CUSTOMER,
                expect="answer",
                fact="two-factor",
            ),
        ),
    ),
    Thread(
        "handed off, then more details",
        (
            Turn("Our invoices to one customer keep bouncing and nobody gets them", expect="handoff"),
            Turn("The customer's address is correct, I checked twice.", expect="handoff"),
            Turn("Same problem for us with another client.", user=OTHER_CUSTOMER, expect="handoff"),
        ),
    ),
    Thread(
        "custom fields limit",
        (
            Turn("How do I add a PO number field to invoices?", expect="answer", fact="Custom fields"),
            Turn("How many of those fields can we have?", expect="answer", fact="25"),
        ),
    ),
    Thread(
        "full export before leaving",
        (
            Turn("How do I get a complete copy of all our data?", expect="answer", fact="Full export"),
            Turn("How long does that usually take?", expect="answer", fact="few hours"),
            Turn("It has been two days and the file never arrived.", expect="handoff"),
        ),
    ),
)


def _snapshot(harness: Harness, root: str | None) -> tuple[int, int, int]:
    """(replies in the customer's thread, hand-off posts, relays) so far."""
    posts = harness.fake.messages(HANDOFF_CHANNEL)
    relays = sum(":speech_balloon:" in m["text"] for m in posts)
    handoffs = sum(not m.get("thread_ts") and ":speech_balloon:" not in m["text"] for m in posts)
    return (len(harness.replies(root)) if root else 0), handoffs, relays


def _outcome(
    harness: Harness, root: str, before: tuple[int, int, int]
) -> tuple[Outcome, dict[str, Any] | None]:
    _, handoffs, relays = _snapshot(harness, root)
    if relays > before[2]:
        return "relayed", None
    new = harness.replies(root)[before[0] :]
    for message in new:
        if has_button(message, ids.HELPED):
            return "answered", message
    if new and handoffs > before[1] and new[-1]["text"] in (texts.HANDOFF_NOTICE, texts.FOLLOW_UP_HANDOFF):
        return "handed_off", None
    return "silently_dropped", None


async def replay(harness: Harness) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for thread in THREADS:
        root: str | None = None
        for number, turn in enumerate(thread.turns, start=1):
            before = _snapshot(harness, root)
            conversation = await harness.conversations.get_conversation("slack", CUSTOMER_CHANNEL, root or "")
            owned = conversation is not None and route(conversation) == "relay"
            ts = await harness.say(turn.text, user=turn.user, thread_ts=root)
            root = root or ts
            if turn.expect is None:
                continue
            outcome, answer = _outcome(harness, root, before)
            shown = block_text(answer or {}).lower()
            right = outcome == "answered" and turn.fact is not None and turn.fact.lower() in shown
            expected = "relay" if owned else turn.expect
            met = {"answer": right, "handoff": outcome == "handed_off", "relay": outcome == "relayed"}[
                expected
            ]
            rows.append(
                {
                    "thread": thread.name,
                    "turn": number,
                    "follow_up": number > 1,
                    "expected": expected,
                    "outcome": outcome,
                    "answered_rightly": right,
                    "as_expected": met,
                }
            )
    return rows


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    load_at_start = load_average()
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    accounts = FileAccountContext(SAMPLES / "accounts.yaml")
    with tempfile.TemporaryDirectory() as folder:
        async with running_harness(database_url(Path(folder)), embedder, accounts=accounts) as harness:
            await Ingestor(harness.assistant).ingest_paths([SAMPLES / "kb"])
            rows = await replay(harness)
    follow_ups = [r for r in rows if r["follow_up"]]
    outcomes = Counter(r["outcome"] for r in follow_ups)
    figures = {
        "threads": len(THREADS),
        "customer_messages": len(rows),
        "follow_ups": len(follow_ups),
        "follow_ups_answered": outcomes["answered"],
        "follow_ups_answered_rightly": sum(r["answered_rightly"] for r in follow_ups),
        "follow_ups_handed_off": outcomes["handed_off"],
        "follow_ups_relayed": outcomes["relayed"],
        "silently_dropped": sum(r["outcome"] == "silently_dropped" for r in rows),
        "as_expected": sum(r["as_expected"] for r in rows),
        "follow_ups_as_expected": sum(r["as_expected"] for r in follow_ups),
        "expected_outcomes": dict(Counter(r["expected"] for r in rows)),
        "first_questions_answered_rightly": sum(r["answered_rightly"] for r in rows if not r["follow_up"]),
        "seconds": round(time.perf_counter() - started, 1),
        "turns": rows,
    }
    path = record("conversations", figures, load_at_start=load_at_start)
    summary = {k: v for k, v in figures.items() if k != "turns"}
    print(summary)
    for row in rows:
        print(
            f"{row['thread']:<32} turn {row['turn']}  expected {row['expected']:<8} got {row['outcome']:<17} "
            f"{'ok' if row['as_expected'] else 'MISS'}"
        )
    print(f"written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
