"""The inbox's retry rule: a failed attempt is retried after a sweep interval, doubling, capped."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.inbox import Inbox
from adapters.storage.sql.conversations import SqlConversationStore


@dataclass(frozen=True)
class Timing:
    inbox_lease_seconds: float = 120.0
    inbox_sweep_seconds: float = 30.0
    inbox_max_attempts: int = 5


def test_the_retry_delay_doubles_from_one_sweep_up_to_the_lease(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqlConversationStore(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
    inbox = Inbox(platform="slack", conversations=store, settings=Timing())
    assert [inbox.retry_delay(n) for n in range(1, 7)] == [30.0, 60.0, 120.0, 120.0, 120.0, 120.0]
    assert inbox.retry_delay(10_000) == 120.0  # no overflow on absurd counts
    short = Inbox(platform="slack", conversations=store, settings=Timing(inbox_lease_seconds=10.0))
    assert short.retry_delay(1) == 10.0
