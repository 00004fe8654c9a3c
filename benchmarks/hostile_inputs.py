"""Bad inputs tried, counted: forged requests, junk bodies, hostile questions, malformed files.

A seeded generator (reproducible: ``--seed``) sends, per category, a bounded number of bad inputs
to the real Slack app (``tests/adapters/slack/harness.py``: Bolt on loopback, the fake Slack Web
API, SQLite, the real embedder) and the real Teams bot (``tests/adapters/teams/conftest.py``:
CloudAdapter on loopback, the fake Bot Connector), and feeds random files to the parsers of
``assistant.knowledge`` (documents, replay files, ticket imports). Counted per category: tried,
refused with a 4xx, handled (2xx), 5xx (must be 0), bot posts carrying the hostile markup or an
invisible character sent in (must be 0), and exceptions outside the typed error tree (must be 0:
logged by the app with a traceback, or raised by a parser as anything but ``AssistantError``).

The red-team attacks of issue 15 (a hostile model against the output check, console CSRF and
script links, personal data in every stored text, deeply nested JSON, Slack API error shapes,
concurrent feedback, sign-in guessing, ``learned --json``) are ``hostile_hardening.py``'s round,
run here too (``--hardening``); ``--only-hardening`` runs that round alone and records it as
``results/hostile_inputs_hardening.json``.

Run: ``.venv/bin/python benchmarks/hostile_inputs.py [--slack 2000] [--teams 500] [--files 700]
[--hardening 200] [--only-hardening]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hostile_generators as gen
import hostile_hardening
from common import load_average, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.inbox import RetryLater
from assistant.config import default_database_url_for, load_settings
from assistant.errors import AssistantError
from assistant.knowledge.loaders import load_document
from assistant.knowledge.replay_format import read_kb, read_stream
from assistant.knowledge.tickets import parse_ticket_file
from assistant.models import Role
from tests.adapters.slack import harness as slack_kit
from tests.adapters.slack.load import UNLIMITED
from tests.adapters.teams import conftest as teams_kit
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_requests import message_event


class Tally:
    """Counts per category of what was tried and how it ended."""

    def __init__(self) -> None:
        self.by_category: dict[str, Counter[str]] = {}
        self.samples: list[str] = []  # what the bot sent around an echoed marker

    def add(self, category: str, outcome: str, n: int = 1) -> None:
        self.by_category.setdefault(category, Counter())[outcome] += n

    def status(self, category: str, status: int) -> None:
        self.add(category, "tried")
        if status >= 500:
            self.add(category, f"http_{status}")
            self.add(category, "5xx" if status != 501 else "501_invoke_not_implemented")
        elif status >= 400:
            self.add(category, "refused_4xx")
        else:
            self.add(category, "handled_2xx")


class Tracebacks(logging.Handler):
    """Exceptions outside the typed error tree: logged by the app with a traceback (a request that
    failed), or raised by background work (``adapters.work`` logs those at DEBUG with the exception).
    ``RetryLater`` is the inbox's deliberate "run this event again later", not counted."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.untyped: Counter[str] = Counter()
        self.logged_errors: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if record.levelno >= logging.ERROR:
            self.logged_errors[f"{record.name}: {record.getMessage()[:100]}"] += 1
        elif not (record.name == "adapters.work" and exc is not None):
            return
        if exc is not None and not isinstance(exc, AssistantError | RetryLater):
            self.untyped[f"{type(exc).__module__}.{type(exc).__name__}"] += 1


def _strings(value: Any) -> list[str]:
    """Every string in a JSON-like value (what a post shows, wherever it sits)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _echoed(sent: str, markers: tuple[str, ...]) -> Counter[str]:
    """Each hostile marker or invisible character found in what the bot sent, and how often."""
    found: Counter[str] = Counter()
    for marker in (*markers, *gen.INVISIBLE):
        if n := sent.count(marker):
            found[marker] += n
    return found


async def _per_category(
    tally: Tally,
    tracebacks: Tracebacks,
    category: str,
    sent: Callable[[], str],
    run: Awaitable[None],
    markers: tuple[str, ...] = gen.ECHO_MARKERS,
) -> None:
    """Run one category; attribute to it the untyped exceptions logged and the markup echoed."""
    untyped, before = sum(tracebacks.untyped.values()), sent()
    await run
    tally.add(category, "untyped_exceptions", sum(tracebacks.untyped.values()) - untyped)
    new = sent()[len(before) :]
    echoed = _echoed(new, markers)
    tally.add(category, "markup_or_invisible_echoed_by_bot", sum(echoed.values()))
    for marker, n in echoed.items():
        tally.add(category, f"echoed:{marker!r}", n)
        at = new.find(marker)
        tally.samples.append(f"{category}: {new[max(0, at - 80) : at + 40]!r}")


async def _batches(
    count: int, make: Callable[[int], Awaitable[None]], settle: Callable[[], Awaitable[None]]
) -> None:
    for start in range(0, count, 20):
        await asyncio.gather(*(make(n) for n in range(start, min(count, start + 20))))
        await settle()


# --- Slack -------------------------------------------------------------------------------------

BOT_SENDS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "views.publish",
)


async def slack_round(
    embedder: Any, count: int, rng: random.Random, tally: Tally, tracebacks: Tracebacks
) -> None:
    per = max(1, count // 12)
    with tempfile.TemporaryDirectory() as scratch:
        url = slack_kit.database_url(Path(scratch))
        async with slack_kit.running_harness(url, embedder, settings_overrides=UNLIMITED) as harness:
            fake, sender = harness.fake, harness.sender

            def sent() -> str:
                return "\n".join(s for c in fake.calls if c.method in BOT_SENDS for s in _strings(c.args))

            def valid_event() -> str:
                event = message_event(
                    slack_kit.CUSTOMER_CHANNEL,
                    slack_kit.CUSTOMER,
                    gen.text(rng, 40),
                    ts=harness.ts(),
                    user_team=slack_kit.ACME_TEAM,
                )
                return json.dumps(
                    {
                        "type": "event_callback",
                        "team_id": "T_HOME",
                        "event": event,
                        "event_id": f"EvHostile{rng.getrandbits(40)}",
                    }
                )

            async def forged(category: str) -> None:
                body, now = valid_event(), int(time.time())
                signature = sender.verifier.generate_signature(timestamp=str(now), body=body) or ""
                timestamp, headers = now, None
                if category == "unsigned":
                    variant = rng.choice(list(gen.UNSIGNED))
                    tally.add(f"slack_{category}", f"variant:{variant}")
                    if variant == "no_signature_headers":
                        async with sender.session.post(
                            sender.url, data=body.encode(), headers=gen.JSON
                        ) as response:
                            tally.status(f"slack_{category}", response.status)
                        return
                    headers = gen.UNSIGNED[variant]
                elif category == "bad_signature":
                    signature = "v0=" + "".join(rng.choice("0123456789abcdef") for _ in range(64))
                elif category == "stale_or_future_timestamp":
                    timestamp = now + rng.choice([-1, 1]) * rng.randint(301, 10**6)
                    signature = sender.verifier.generate_signature(timestamp=str(timestamp), body=body) or ""
                elif category == "mutated_signature":
                    i = rng.randint(3, len(signature) - 1)
                    signature = signature[:i] + ("0" if signature[i] != "0" else "1") + signature[i + 1 :]
                else:  # mutated body: one character changed after signing
                    i = rng.randint(0, len(body) - 1)
                    body = body[:i] + ("x" if body[i] != "x" else "y") + body[i + 1 :]
                status, _, _ = await sender.post(
                    body, "application/json", timestamp=timestamp, signature=signature, headers=headers
                )
                tally.status(f"slack_{category}", status)
                if status < 400:
                    tally.add(f"slack_{category}", "forged_request_accepted")

            async def junk(_n: int) -> None:
                body, content_type = gen.slack_body(rng)
                status, _, _ = await sender.post(body, content_type)
                tally.status("slack_bodies_not_slack_payloads", status)

            async def command(_n: int) -> None:
                fields = {
                    "command": rng.choice(["/assistant", "/other", ""]),
                    "text": rng.choice([*gen.COMMAND_TEXTS, gen.text(rng, rng.randint(0, 300))]),
                    "user_id": rng.choice([slack_kit.CUSTOMER, slack_kit.AGENT, "U_NOBODY", ""]),
                    "channel_id": rng.choice([slack_kit.CUSTOMER_CHANNEL, slack_kit.HANDOFF_CHANNEL, "C_X"]),
                    "team_id": rng.choice(["T_HOME", "T_ACME", ""]),
                    "response_url": rng.choice(["", "not a url"]),
                    "trigger_id": gen.text(rng, 8),
                }
                status, _, _ = await sender.command(fields)
                tally.status("slack_slash_commands_random_fields", status)

            async def ask(category: str) -> None:
                event = message_event(
                    slack_kit.CUSTOMER_CHANNEL,
                    rng.choice([slack_kit.CUSTOMER, slack_kit.OTHER_CUSTOMER]),
                    gen.question(rng, category),
                    ts=harness.ts(),
                    user_team=slack_kit.ACME_TEAM,
                )
                status, _, _ = await sender.event(event)
                tally.status(f"slack_{category}", status)

            categories: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
                *(
                    (f"slack_{c}", lambda _, c=c: forged(c))
                    for c in (
                        "unsigned",
                        "bad_signature",
                        "stale_or_future_timestamp",
                        "mutated_signature",
                        "mutated_body",
                    )
                ),
                ("slack_bodies_not_slack_payloads", junk),
                ("slack_slash_commands_random_fields", command),
                *(
                    (f"slack_{c}", lambda _, c=c: ask(c))
                    for c in (
                        "oversized_questions",
                        "markup_questions",
                        "odd_unicode_questions",
                        "prompt_injection_questions",
                    )
                ),
            ]
            weights = {"slack_bodies_not_slack_payloads": 2, "slack_slash_commands_random_fields": 2}
            for name, make in categories:
                n = per * weights.get(name, 1)
                await _per_category(
                    tally, tracebacks, name, sent, _batches(n, make, harness.settle), gen.SLACK_ECHO_MARKERS
                )


# --- Teams -------------------------------------------------------------------------------------


async def teams_round(
    embedder: Any, count: int, rng: random.Random, tally: Tally, tracebacks: Tracebacks
) -> None:
    per = max(1, count // 8)
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_url=default_database_url_for(Path(scratch) / "assistant.db"),
            anthropic_api_key=None,
            **UNLIMITED,
        )
        async with FakeBotConnector() as connector:
            teams_kit.populate(connector)
            async with teams_kit.open_bot(settings, embedder, connector) as harness:
                await teams_kit.bind_channels(harness.conversations)
                for question, answer in teams_kit.SEED:
                    await harness.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
                await harness.post(harness.teams.bot_added(teams_kit.HANDOFF_CHANNEL, teams_kit.AGENT))
                users = [teams_kit.CUSTOMER, teams_kit.OTHER_CUSTOMER, teams_kit.AGENT, {"id": "29:stranger"}]

                def sent() -> str:
                    return "\n".join(s for posted in connector.writes() for s in _strings(posted.activity))

                async def not_activity(_n: int) -> None:
                    status, _ = await harness.sender.post(gen.not_an_activity(rng))
                    tally.status("teams_bodies_not_activities", status)

                async def raw_bytes(_n: int) -> None:
                    raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
                    status, _ = await harness.sender.post(None, raw=b"{" + raw)  # never valid JSON
                    tally.status("teams_bytes_not_json", status)

                async def malformed(_n: int) -> None:
                    activity = harness.teams.channel_message(
                        teams_kit.CUSTOMER_CHANNEL, rng.choice(users), "hello"
                    )
                    for key in rng.sample(
                        [
                            "type",
                            "text",
                            "value",
                            "name",
                            "channelData",
                            "replyToId",
                            "entities",
                            "attachments",
                            "from",
                            "conversation",
                            "locale",
                        ],
                        rng.randint(1, 5),
                    ):
                        activity[key] = gen.json_value(rng)
                    if rng.random() < 0.5:
                        activity["type"] = rng.choice(
                            ["message", "invoke", "conversationUpdate", "messageReaction"]
                        )
                    status, _ = await harness.sender.post(activity)
                    tally.status("teams_malformed_activities", status)

                async def ask(category: str) -> None:
                    activity = harness.teams.channel_message(
                        teams_kit.CUSTOMER_CHANNEL, rng.choice(users[:2]), gen.question(rng, category)
                    )
                    status, _ = await harness.sender.post(activity)
                    tally.status(f"teams_{category}", status)

                categories: list[tuple[str, Callable[[int], Awaitable[None]], int]] = [
                    ("teams_bodies_not_activities", not_activity, per),
                    ("teams_bytes_not_json", raw_bytes, per),
                    ("teams_malformed_activities", malformed, 2 * per),
                    *(
                        (f"teams_{c}", lambda _, c=c: ask(c), per)
                        for c in (
                            "oversized_questions",
                            "markup_questions",
                            "odd_unicode_questions",
                            "prompt_injection_questions",
                        )
                    ),
                ]
                for name, make, n in categories:
                    await _per_category(
                        tally,
                        tracebacks,
                        name,
                        sent,
                        _batches(n, make, harness.settle),
                    )


# --- Files -------------------------------------------------------------------------------------


def files_round(count: int, rng: random.Random, tally: Tally) -> None:
    parsers: list[tuple[str, str, str, Callable[[Path], Any]]] = [
        ("files_documents_md", ".md", "document", load_document),
        ("files_documents_html", ".html", "document", load_document),
        ("files_documents_txt", ".txt", "document", load_document),
        ("files_replay_kb_jsonl", ".jsonl", "jsonl", read_kb),
        ("files_replay_stream_jsonl", ".jsonl", "jsonl", read_stream),
        ("files_tickets_jsonl", ".jsonl", "jsonl", parse_ticket_file),
        ("files_tickets_csv", ".csv", "csv", parse_ticket_file),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for n in range(count):
            category, suffix, kind, parse = parsers[n % len(parsers)]
            path = Path(scratch) / f"input-{n}{suffix}"
            path.write_bytes(gen.file_bytes(rng, kind))
            tally.add(category, "tried")
            try:
                parse(path)
            except AssistantError:
                tally.add(category, "refused_with_typed_error")
            except Exception as exc:  # what this benchmark looks for: anything outside the tree
                tally.add(category, "untyped_exceptions")
                tally.add(category, f"untyped:{type(exc).__name__}")
            else:
                tally.add(category, "parsed")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slack", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--files", type=int, default=700)
    parser.add_argument("--hardening", type=int, default=200)
    parser.add_argument("--only-hardening", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    load_at_start = load_average()
    rng = random.Random(args.seed)
    tally, tracebacks = Tally(), Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    logging.getLogger("adapters.work").setLevel(logging.DEBUG)  # its tracebacks of failed work
    began = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    if not args.only_hardening:
        files_round(args.files, rng, tally)
        await slack_round(embedder, args.slack, rng, tally, tracebacks)
        await teams_round(embedder, args.teams, rng, tally, tracebacks)
    untyped_before = sum(tracebacks.untyped.values())
    await hostile_hardening.hardening_round(embedder, args.hardening, rng, tally.add)
    tally.add("hardening", "untyped_exceptions", sum(tracebacks.untyped.values()) - untyped_before)
    categories = {name: dict(sorted(counts.items())) for name, counts in tally.by_category.items()}
    totals: Counter[str] = Counter()
    for counts in tally.by_category.values():
        totals.update({k: v for k, v in counts.items() if ":" not in k and not k.startswith("http_")})
    results = {
        "setup": {
            "seed": args.seed,
            "slack": "the real Bolt app on loopback, fake Slack Web API, SQLite, real embedder, no LLM",
            "teams": "the real Bot Framework stack (CloudAdapter, unauthenticated mode) on loopback, "
            "fake Bot Connector, SQLite, real embedder, no LLM",
            "files": "assistant.knowledge loaders, replay format readers, ticket importer",
            "hardening": "issue 15's attacks (hostile_hardening.py): the output check, the real "
            "console app, the real Slack app on FaultySlack, the real Teams stack, SQLite",
            "counts": (
                {"hardening": args.hardening}
                if args.only_hardening
                else {
                    "slack": args.slack,
                    "teams": args.teams,
                    "files": args.files,
                    "hardening": args.hardening,
                }
            ),
        },
        "totals": dict(sorted(totals.items())),
        "categories": categories,
        "errors_logged_by_the_apps": dict(tracebacks.logged_errors.most_common(20)),
        "untyped_exceptions_logged": dict(tracebacks.untyped),
        "echo_samples": tally.samples[:10],
        "seconds": round(time.perf_counter() - began, 1),
        "load_average_1m_at_end": load_average(),
        "notes": [
            "2xx for a forged Slack request counts as forged_request_accepted (must be 0).",
            "501 is the Bot Framework's documented answer to an invoke the bot does not implement; "
            "counted apart from the other 5xx.",
            "markup_or_invisible_echoed_by_bot: occurrences of the hostile markup sent in (<!channel>, "
            "<@U0EVIL>, disguised links, <at>Everyone</at>) or of an invisible/control character in "
            "anything the bot posted, updated or showed during the category.",
            "Teams requests are unauthenticated in this run (as in the tests); token checks are "
            "covered by tests/adapters/teams/test_requests.py.",
        ],
    }
    print(json.dumps(results["totals"]))
    name = "hostile_inputs_hardening" if args.only_hardening else "hostile_inputs"
    print("recorded", record(name, results, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
