"""A burst of questions, reactions and corrections from many accounts at once, through the real app.

Shared by the load test (which asserts only what must hold whatever the timing: every question
answered or handed off once, no learning event lost) and ``benchmarks/load.py`` (which also reports
latency and memory). Each account gets its own shared channel, customer and binding; agents are
members of the home team. Every question runs as its own task, all at once: the customer asks;
when the assistant's reply shows up on the fake Slack, the question's follow-up is sent at once:
an agent's reply in the thread and then the agent's ✅ on it (a reply alone is only a candidate;
the ✅ teaches it: a correction, or the resolution of a hand-off), a customer's
approving reaction or an agent's rejecting one (reactions only on answers, so a hand-off gets the
agent's reply instead), or nothing. An event the app does not acknowledge with 200 is sent again
as Slack would (same event id, a retry header), and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.constants import PLATFORM
from assistant.conversations import ChannelBinding
from assistant.models import Signal
from tests.adapters.slack.harness import HANDOFF_CHANNEL, Harness
from tests.fakes.slack_requests import message_event, reaction_event

QUESTIONS = [
    "How do I reset my password?",
    "I forgot my password, how can I set a new one?",
    "Where can I download my invoices?",
    "How do I change the email address on my account?",
    "Can I export my contacts to a CSV file?",
    "Why was my card declined when I upgraded?",
    "How do I add a teammate to our workspace?",
    "The mobile app crashes when I upload a photo",
    "Is there an API rate limit for the reports endpoint?",
    "How can I get a copy of last month's invoice?",
]
LEARNING_SIGNALS = (Signal.APPROVE, Signal.REJECT, Signal.CORRECT, Signal.RESOLVE)
#: Rate limits high enough that the legitimate load of a burst is never refused (what happens to
#: excess questions is the rate limiter's own tests' business).
UNLIMITED = {"questions_per_user_per_minute": 100_000, "questions_per_channel_per_minute": 100_000}
LINK_WAIT_SECONDS = 10.0
#: Slack retries an event that was not acknowledged with 200 three times (after about 0 s, 1 min
#: and 5 min); the burst keeps the count and shortens the waits.
RETRY_DELAYS = (0.5, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    channel: str
    customer: str
    agent: str


@dataclass
class BurstReport:
    """What one burst sent and what the fake Slack and the store saw."""

    questions: int = 0
    reactions_sent: int = 0
    replies_sent: int = 0
    unanswered: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    posts_per_thread: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    handed_off: int = 0
    handoff_posts: Counter[str] = field(default_factory=Counter)  # per answer id
    learning_events: int = 0
    refused: int = 0  # still not acknowledged after Slack's retries
    retried: Counter[int] = field(default_factory=Counter)  # HTTP statuses that made Slack retry

    @property
    def learning_sent(self) -> int:
        return self.reactions_sent + self.replies_sent


async def add_accounts(harness: Harness, count: int, *, agents: int = 5) -> list[Account]:
    """``count`` customer accounts, each with its own shared channel and customer, bound to the
    harness's hand-off channel; agents are shared."""
    agent_ids = [f"U_LOADAGENT{n}" for n in range(agents)]
    for agent in agent_ids:
        harness.fake.add_user(agent, name=agent.lower())
    accounts = []
    for n in range(count):
        account = Account(f"load-{n:02d}", f"C_LOAD{n:02d}", f"U_LOADCUST{n:02d}", agent_ids[n % agents])
        harness.fake.add_user(account.customer, team_id=f"T_LOAD{n:02d}", name=account.customer.lower())
        harness.fake.add_channel(account.channel, is_ext_shared=True, external_teams=[f"T_LOAD{n:02d}"])
        await harness.conversations.bind_channel(
            ChannelBinding(PLATFORM, account.channel, account.name, "customer", HANDOFF_CHANNEL)
        )
        accounts.append(account)
    return accounts


async def _deliver(harness: Harness, report: BurstReport, event: dict[str, Any]) -> bool:
    """Post an event as Slack does, retrying (same event id) what was not acknowledged."""
    event_id = f"EvLoad{uuid.uuid4().hex[:12]}"
    status, _, _ = await harness.sender.event(event, event_id=event_id)
    for attempt, delay in enumerate(RETRY_DELAYS, start=1):
        if status == 200:
            return True
        report.retried[status] += 1
        await asyncio.sleep(delay)
        status, _, _ = await harness.sender.event(event, event_id=event_id, retry_num=attempt)
    if status != 200:
        report.refused += 1
    return status == 200


class _Replies:
    """Watches the fake's calls once for everyone: the first post in each awaited thread."""

    def __init__(self, harness: Harness) -> None:
        self._harness = harness
        self._seen = len(harness.fake.calls)
        self._waiting: dict[tuple[str, str], asyncio.Future[tuple[str, float]]] = {}

    def expect(self, channel: str, thread_ts: str) -> asyncio.Future[tuple[str, float]]:
        future: asyncio.Future[tuple[str, float]] = asyncio.get_running_loop().create_future()
        self._waiting[(channel, thread_ts)] = future
        return future

    async def run(self) -> None:
        while True:
            calls = self._harness.fake.calls
            for call in calls[self._seen :]:
                if call.method != "chat.postMessage" or not call.response.get("ok"):
                    continue
                key = (str(call.args.get("channel")), str(call.args.get("thread_ts")))
                future = self._waiting.pop(key, None)
                if future is not None and not future.done():
                    future.set_result((str(call.response["ts"]), time.perf_counter()))
            self._seen = len(calls)
            await asyncio.sleep(0.01)


async def _link_kind(harness: Harness, channel: str, ts: str) -> str | None:
    """The kind of the link the app writes right after its post ("answer" or "handoff")."""
    deadline = time.monotonic() + LINK_WAIT_SECONDS
    while time.monotonic() < deadline:
        link = await harness.conversations.find_link(PLATFORM, channel, ts)
        if link is not None:
            return link.kind
        await asyncio.sleep(0.02)
    return None


async def burst(
    harness: Harness, accounts: list[Account], *, per_account: int, timeout: float = 120.0
) -> BurstReport:
    """Send ``per_account`` questions from every account at once, with their follow-ups; wait
    until the app has done all its work; count what happened."""
    report = BurstReport()
    replies = _Replies(harness)
    watcher = asyncio.create_task(replies.run())
    before = await _learning_events(harness)
    posted_before = len(harness.fake.answered("chat.postMessage"))
    threads: list[tuple[str, str]] = []

    async def one(account: Account, n: int) -> None:
        ts = harness.ts()
        threads.append((account.channel, ts))
        reply = replies.expect(account.channel, ts)
        team = harness.fake.users[account.customer]["team_id"]
        began = time.perf_counter()
        event = message_event(
            account.channel, account.customer, QUESTIONS[n % len(QUESTIONS)], ts=ts, user_team=team
        )
        if not await _deliver(harness, report, event):
            return
        try:
            reply_ts, seen = await asyncio.wait_for(reply, timeout)
        except TimeoutError:
            report.unanswered.append(ts)
            return
        report.latencies.append(seen - began)
        kind = await _link_kind(harness, account.channel, reply_ts)
        action = n % 4
        if kind == "answer" and action in (1, 2):
            user, name = (account.customer, "+1") if action == 1 else (account.agent, "x")
            reaction = reaction_event(user, name, channel=account.channel, ts=reply_ts)
            delivered = await _deliver(harness, report, reaction)  # read the counter after the await
            report.reactions_sent += delivered
        elif action != 3:
            text = f"<@{account.customer}> Thanks for waiting: step {n} in Settings > Help fixes it."
            reply_ts = harness.ts()
            reply_event = message_event(
                account.channel,
                account.agent,
                text,
                ts=reply_ts,
                thread_ts=ts,
                user_team=harness.fake.team_id,
            )
            if not await _deliver(harness, report, reply_event):
                return
            # a typed reply is only a candidate: the agent's ✅ on it is what teaches it
            if not await _candidate_kept(harness, account.channel, reply_ts, timeout):
                report.unanswered.append(reply_ts)
                return
            approval = reaction_event(account.agent, "white_check_mark", channel=account.channel, ts=reply_ts)
            delivered = await _deliver(harness, report, approval)  # read the counter after the await
            report.replies_sent += delivered

    try:
        await asyncio.gather(*(one(a, n) for n in range(per_account) for a in accounts))
        await harness.slack.drain(timeout=timeout)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    report.questions = len(threads)
    for channel, ts in threads:
        report.posts_per_thread[ts] = len(harness.fake.messages(channel, ts))
        link = await harness.conversations.find_thread(PLATFORM, channel, ts)
        if link is not None:
            answer = await harness.assistant.get_answer(link.answer_id)
            report.handed_off += answer.handed_off
            report.answered += not answer.handed_off
    for call in harness.fake.answered("chat.postMessage")[posted_before:]:
        if call.args.get("channel") == HANDOFF_CHANNEL and not call.args.get("thread_ts"):
            link = await harness.conversations.find_link(PLATFORM, HANDOFF_CHANNEL, str(call.response["ts"]))
            report.handoff_posts[link.answer_id if link is not None else "unlinked"] += 1
    after = await _learning_events(harness)
    report.learning_events = sum(after[s] - before[s] for s in LEARNING_SIGNALS)
    return report


async def _candidate_kept(harness: Harness, channel: str, ts: str, timeout: float) -> bool:
    """Wait until the app kept an agent's reply as a candidate (its event runs in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await harness.conversations.get_candidate(PLATFORM, channel, ts) is not None:
            return True
        await asyncio.sleep(0.05)
    return False


async def _learning_events(harness: Harness) -> Counter[Signal]:
    events = await harness.assistant.learned(limit=1_000_000, include_undone=True)
    return Counter(event.signal for event in events if event.signal in LEARNING_SIGNALS)
