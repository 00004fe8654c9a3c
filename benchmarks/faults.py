"""Faults injected under load: does any question get lost or answered twice, any learning event lost?

The load test's burst (``tests/adapters/slack/load.py``: questions from many accounts at once,
each answer followed by a reaction or an agent's reply, events Slack's retries re-send) runs
against the real Slack app on loopback while a seeded driver injects, at random moments:

* Slack's ``chat.postMessage`` answering 500 or 503 for a few calls, 429 with ``Retry-After``, or
  never answering for a stretch (the client times out; ``FaultySlack`` of the Slack tests);
* the database refusing writes (answers, change feed, learning events) for a stretch, as a lock
  or a lost connection would (the statement hook of ``test_faults_db.failing_after_the_event_row``);
* a restart of the Slack app on the same database (the server stops, ``SlackApp.close``, a new
  ``SlackApp`` starts and sweeps the inbox); deliveries meanwhile fail and Slack re-sends them.

Reported: faults injected per kind, questions sent, answered or handed off, threads answered twice
(must be 0), questions lost (must be 0), learning events sent vs stored once the inbox settled,
and of those not stored, how many the sender was told about (an agent's correction the database
refused is answered with "the database is unavailable" and not retried: the agent may send it
again) and how many were lost silently (must be 0); inbox rows left pending or failed.

Run: ``.venv/bin/python benchmarks/faults.py [--accounts 20] [--per-account 8] [--bursts 4] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import load_average, record

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack import SlackApp, web_app
from adapters.slack.app import build_client
from adapters.slack.constants import PLATFORM
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.conversations_schema import inbox_events
from adapters.wiring import build_assistant
from assistant.config import load_settings
from assistant.models import Role
from assistant.service import Assistant
from tests.adapters.slack.faulty_slack import FaultySlack
from tests.adapters.slack.harness import (
    HANDOFF_CHANNEL,
    SEED,
    SIGNING_SECRET,
    Harness,
    bind_channels,
    database_url,
    populate,
    slack_settings,
)
from tests.adapters.slack.load import LEARNING_SIGNALS, UNLIMITED, BurstReport, add_accounts, burst
from tests.fakes import SlackSender
from tests.fakes.slack_api import Call

POST = "chat.postMessage"
#: A short lease (work still running here is never re-taken: the inbox excludes its own in-flight
#: events) and many attempts: a stretch of faults delays a question, it must not give it up.
INBOX = {"inbox_lease_seconds": 1.0, "inbox_sweep_seconds": 0.3, "inbox_max_attempts": 30}
#: The Slack client's timeout in this run (production: 15 s), so a hanging Slack costs seconds.
CLIENT_TIMEOUT_SECONDS = 2
#: Writes the database refuses during a stretch of database faults (with ``REFUSE_PROBABILITY``).
REFUSED_WRITES = ("INSERT INTO ANSWERS", "INSERT INTO ITEM_CHANGES", "INSERT INTO LEARNING_EVENTS")
REFUSE_PROBABILITY = 0.5
KINDS = ("slack_500", "slack_503", "slack_429", "slack_timeout", "database_refuses_writes", "restart")


class _Faulty(FaultySlack):
    """``FaultySlack`` plus stretches of 429 with ``Retry-After`` (its ``_api`` skips the
    ``rate_limit`` of ``FakeSlack``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.rate_limited = 0

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == POST and self.rate_limited > 0:
            self.rate_limited -= 1
            body = {"ok": False, "error": "ratelimited"}
            await self._record(Call(POST, {}, None, time.monotonic(), 429, body))
            return web.json_response(body, status=429, headers={"Retry-After": "1"})
        return await super()._api(request)


class _Sender(SlackSender):
    """A delivery the app's server did not take (it is restarting) is a failed delivery, which the
    burst re-sends as Slack does; status 0 counts it."""

    async def post(self, body: str, content_type: str, **options: Any) -> tuple[int, str, dict[str, str]]:
        try:
            return await super().post(body, content_type, **options)
        except aiohttp.ClientConnectionError:
            return 0, "", {}


class _Server:
    """The Slack app served on one port; ``restart`` replaces the app as a new process would."""

    def __init__(self, harness: Harness, port: int) -> None:
        self.harness = harness
        self.port = port
        self.runner: web.AppRunner | None = None

    async def serve(self) -> None:
        self.runner = web.AppRunner(
            web_app(self.harness.slack, self.harness.conversations), access_log=None, shutdown_timeout=1.0
        )
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.harness.slack.close()  # lets running work finish
        harness = self.harness
        harness.slack = await _slack_app(harness.assistant, harness.conversations, harness.fake)
        await self.serve()


async def _slack_app(assistant: Assistant, conversations: SqlConversationStore, fake: Any) -> SlackApp:
    settings = slack_settings(fake, **INBOX)
    client = build_client(settings)
    client.timeout = CLIENT_TIMEOUT_SECONDS
    app = SlackApp(assistant=assistant, conversations=conversations, settings=settings, client=client)
    await app.start()  # sweeps the inbox: what the previous app left pending
    return app


@asynccontextmanager
async def _running(url: str, embedder: SentenceTransformerEmbedder) -> AsyncIterator[tuple[Harness, _Server]]:
    async with _Faulty() as fake:
        populate(fake)
        assistant = build_assistant(
            load_settings(database_url=url, **UNLIMITED), embedder=embedder, background_refit=True
        )
        await assistant.start()
        conversations = SqlConversationStore(url)
        await conversations.initialize()
        await bind_channels(conversations)
        for question, answer in SEED:
            await assistant.teach(question, answer, actor="seed", role=Role.AGENT)
        slack = await _slack_app(assistant, conversations, fake)
        port = _free_port()
        async with aiohttp.ClientSession() as session:
            sender = _Sender(session, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
            harness = Harness(fake, slack, sender, assistant, conversations, f"http://127.0.0.1:{port}")
            server = _Server(harness, port)
            await server.serve()
            try:
                yield harness, server
            finally:
                await server.stop()
                await harness.slack.close()
                await conversations.close()
                await assistant.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Driver:
    """Injects a random fault every so often until stopped; counts what it injected."""

    def __init__(self, harness: Harness, server: _Server, rng: random.Random, kinds: tuple[str, ...]) -> None:
        self.harness = harness
        self.kinds = kinds
        self.server = server
        self.rng = rng
        self.injected: Counter[str] = Counter()
        self.timeline: list[tuple[float, str]] = []  # (monotonic time, fault): to explain a double post
        self.failed_calls: Counter[str] = Counter()
        self.refused_writes: Counter[str] = Counter()
        self._refusing = False
        engine = harness.assistant.store._engine.sync_engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", self._refuse)

    def _refuse(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().upper()
        for write in REFUSED_WRITES:
            if self._refusing and head.startswith(write) and self.rng.random() < REFUSE_PROBABILITY:
                self.refused_writes[write] += 1
                raise OperationalError(statement, {}, Exception("database is locked"))

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; a fault under way is finished first (a restart is never cut
        in half), and every stretch ends recovered."""
        fake: _Faulty = self.harness.fake  # type: ignore[assignment]
        while not stop.is_set():
            await asyncio.sleep(self.rng.uniform(0.3, 1.5))
            if not self.kinds or stop.is_set():
                continue
            kind = self.rng.choice(self.kinds)
            self.injected[kind] += 1
            self.timeline.append((time.monotonic(), kind))
            if kind in ("slack_500", "slack_503"):
                fake.fail(POST, times=self.rng.randint(1, 6), status=int(kind[-3:]))
            elif kind == "slack_429":
                fake.rate_limited += self.rng.randint(1, 4)
            elif kind == "slack_timeout":
                fake.hang(POST)
                await asyncio.sleep(self.rng.uniform(0.5, 3.0))
                fake.recover()
            elif kind == "database_refuses_writes":
                self._refusing = True
                await asyncio.sleep(self.rng.uniform(0.5, 2.0))
                self._refusing = False
            else:
                await self.server.restart()


async def _learning_events(harness: Harness) -> int:
    events = await harness.assistant.learned(limit=1_000_000, include_undone=True)
    return sum(1 for learned in events if learned.signal in LEARNING_SIGNALS)


async def _settle(harness: Harness, timeout: float = 120.0) -> None:
    """Wait until the inbox holds no pending event (the sweep re-runs what a fault left pending)."""
    async with asyncio.timeout(timeout):
        while (await _inbox_rows(harness)).get("pending", 0):
            await asyncio.sleep(0.2)
        await harness.slack.drain(timeout=timeout)


class _Problems(logging.Handler):
    """The warnings and errors the app logs during the run (what a fault did shows up here)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.getMessage()[:120]}"] += 1


def _told_unavailable(harness: Harness) -> int:
    """Ephemerals telling a person that what they sent was not saved (the database failed): an
    agent's correction refused this way is not retried by the inbox; the agent may send it again."""
    return sum(
        1
        for call in harness.fake.answered("chat.postEphemeral")
        if "unavailable" in str(call.args.get("text"))
    )


def _doubles(harness: Harness, report: BurstReport, driver: _Driver) -> list[dict[str, Any]]:
    """Each thread answered more than once: its posts (time, first words) and the faults injected
    in the 20 seconds before its first post, so the double can be reproduced."""
    found = []
    for ts in (ts for ts, n in report.posts_per_thread.items() if n > 1):
        posts = [c for c in harness.fake.answered(POST) if c.args.get("thread_ts") == ts]
        first = posts[0].at
        found.append(
            {
                "thread_ts": ts,
                "channel": posts[0].args.get("channel"),
                "posts": [
                    {"after_s": round(c.at - first, 2), "text": str(c.args.get("text"))[:80]} for c in posts
                ],
                "faults_before_first_post": [
                    {"before_s": round(first - at, 2), "fault": kind}
                    for at, kind in driver.timeline
                    if first - 20 <= at <= posts[-1].at
                ],
            }
        )
    return found


async def _handoffs_without_alert(harness: Harness, report: BurstReport) -> int:
    """Questions handed off whose hand-off never reached the agents' channel (the customer was told
    a person would follow up), counted once the inbox settled: a hand-off post a fault delayed is
    made by the sweep after the burst's own count (``report.handoff_posts``) was taken."""
    posted = harness.fake.answered(POST)
    channels = {str(c.args.get("thread_ts")): str(c.args.get("channel")) for c in posted}
    alerted: set[str] = set()
    for call in posted:
        if call.args.get("channel") == HANDOFF_CHANNEL and not call.args.get("thread_ts"):
            link = await harness.conversations.find_link(PLATFORM, HANDOFF_CHANNEL, str(call.response["ts"]))
            if link is not None:
                alerted.add(link.answer_id)
    missing = 0
    for ts in report.posts_per_thread:
        link = await harness.conversations.find_thread(PLATFORM, channels.get(ts, ""), ts)
        if link is not None and link.kind == "handoff" and link.answer_id not in alerted:
            missing += 1
    return missing


def _figures(report: BurstReport, seconds: float, learned: int, told: int) -> dict[str, Any]:
    return {
        "questions_sent": report.questions,
        "answered": report.answered,
        "handed_off": report.handed_off,
        "answered_twice": sum(1 for n in report.posts_per_thread.values() if n > 1),
        "handoffs_posted_twice": sum(1 for n in report.handoff_posts.values() if n > 1),
        "lost": len(report.unanswered) + report.refused,
        "not_acknowledged_after_slack_retries": report.refused,
        "redelivered_after_http_status": {str(k): v for k, v in report.retried.items()},
        "learning_events_sent": report.learning_sent,
        "learning_events_stored_when_the_burst_ended": report.learning_events,
        "learning_events_stored_once_the_inbox_settled": learned,
        "learning_events_refused_and_sender_told_to_send_again": told,
        "learning_events_lost": report.learning_sent - learned,
        "learning_events_lost_silently": report.learning_sent - learned - told,
        "burst_seconds": round(seconds, 1),
    }


async def _inbox_rows(harness: Harness) -> dict[str, int]:
    query = select(inbox_events.c.status, func.count()).group_by(inbox_events.c.status)
    async with harness.conversations._engine.connect() as conn:
        return {str(status): int(n) for status, n in (await conn.execute(query)).all()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--per-account", type=int, default=8)
    parser.add_argument("--bursts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faults", default=",".join(KINDS), help="the kinds to inject, comma-separated")
    args = parser.parse_args()
    load_at_start = load_average()
    rng = random.Random(args.seed)
    embedder = SentenceTransformerEmbedder()
    problems = _Problems()
    logging.getLogger().addHandler(problems)
    bursts = []
    with tempfile.TemporaryDirectory() as scratch:
        async with _running(database_url(Path(scratch)), embedder) as (harness, server):
            accounts = await add_accounts(harness, args.accounts)
            driver = _Driver(harness, server, rng, tuple(args.faults.split(",")) if args.faults else ())
            for _ in range(args.bursts):
                learned_before = await _learning_events(harness)
                told_before = _told_unavailable(harness)
                stop = asyncio.Event()
                faults = asyncio.create_task(driver.run(stop))
                began = time.perf_counter()
                try:
                    report = await burst(harness, accounts, per_account=args.per_account)
                finally:
                    stop.set()
                    await faults
                    harness.fake.recover()  # type: ignore[attr-defined]
                    harness.fake.rate_limited = 0  # type: ignore[attr-defined]
                seconds = time.perf_counter() - began
                await _settle(harness)
                learned = await _learning_events(harness) - learned_before
                figures = _figures(report, seconds, learned, _told_unavailable(harness) - told_before)
                figures["handed_off_without_an_alert_to_agents"] = await _handoffs_without_alert(
                    harness, report
                )
                figures["threads_answered_twice"] = _doubles(harness, report, driver)
                print(figures, flush=True)
                bursts.append(figures)
            inbox = await _inbox_rows(harness)
            fake = harness.fake
            statuses = Counter(str(call.status) for call in fake.calls if call.method == POST)
    totals = {key: sum(b[key] for b in bursts) for key in bursts[0] if isinstance(bursts[0][key], int)}
    results = {
        "setup": {
            "accounts": args.accounts,
            "questions_per_account_per_burst": args.per_account,
            "bursts": args.bursts,
            "seed": args.seed,
            "fault_kinds": args.faults,
            "store": "sqlite",
            "answerer": "offline (no LLM)",
            "slack": "fake Slack Web API with faults (tests/adapters/slack/faulty_slack.py) on loopback",
            "inbox": INBOX,
            "slack_client_timeout_seconds": CLIENT_TIMEOUT_SECONDS,
            "database_refuse_probability_during_a_stretch": REFUSE_PROBABILITY,
        },
        "faults_injected": dict(driver.injected),
        "faults_injected_total": sum(driver.injected.values()),
        "slack_post_message_answers_by_status": dict(statuses),
        "database_writes_refused": dict(driver.refused_writes),
        "totals": totals,
        "bursts": bursts,
        "inbox_rows_at_end": inbox,
        "warnings_and_errors_logged": dict(problems.counts.most_common(25)),
        "load_average_1m_at_end": load_average(),
        "notes": [
            "The 2-core machine is shared with other jobs running at the same time: see the load averages.",
            "lost = questions with no reply in their thread within the burst's timeout, plus events "
            "the app never acknowledged after Slack's three retries.",
            "Restarts: the HTTP server stops, SlackApp.close() lets running work finish, a new "
            "SlackApp on the same database starts and sweeps the inbox; deliveries meanwhile fail "
            "(status 0) and are re-sent as Slack does.",
        ],
    }
    print("recorded", record("faults", results, load_at_start=load_at_start))


if __name__ == "__main__":
    asyncio.run(main())
