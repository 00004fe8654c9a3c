"""A bounded burst through the real Bolt app on loopback: 200 questions from 20 accounts at once,
with reactions and agents' replies following each answer as soon as it shows up.

Only what must hold whatever the timing is asserted: every question answered or handed off, once;
every hand-off posted once to the internal channel; every reaction and reply sent became one
learning event. Latency and memory are measured by ``benchmarks/load.py``, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from adapters.slack.settings import SlackSettings
from tests.adapters.slack.harness import database_url, running_harness
from tests.adapters.slack.load import UNLIMITED, add_accounts, burst

ACCOUNTS = 20
PER_ACCOUNT = 10
#: A question whose answer waited out SQLite's lock under the burst is retried by the inbox's
#: sweep: every 2 s here rather than 30, so it lands well inside the burst's wait.
RETRY_SOON = {"inbox_sweep_seconds": 2.0}
#: Each reply is waited for longer than an event's lease: if even shortening the lease of a failed
#: attempt met the lock, the question is answered when the lease ends, and that must hold too.
REPLY_WAIT = float(SlackSettings.model_fields["inbox_lease_seconds"].default) + 60.0


@pytest.mark.slow
async def test_a_burst_from_many_accounts_is_answered_once_and_loses_no_learning(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with running_harness(
        database_url(tmp_path),
        embedder,
        background_refit=True,
        settings_overrides=UNLIMITED,
        slack_overrides=RETRY_SOON,
    ) as harness:
        accounts = await add_accounts(harness, ACCOUNTS)
        report = await burst(harness, accounts, per_account=PER_ACCOUNT, timeout=REPLY_WAIT)

    assert report.questions == ACCOUNTS * PER_ACCOUNT
    assert report.refused == 0 and report.unanswered == []
    assert set(report.posts_per_thread.values()) == {1}, "every question got exactly one reply"
    assert report.answered + report.handed_off == report.questions
    assert report.answered > 0 and report.handed_off > 0, "the burst exercises both paths"
    assert sorted(report.handoff_posts.values()) == [1] * report.handed_off, "each hand-off posted once"
    assert report.reactions_sent > 0 and report.replies_sent > 0
    assert report.learning_events == report.learning_sent, "no learning event lost or doubled"
