"""The inbox's retry rule: a failed attempt is retried after a sweep interval, doubling, capped,
whether the platform or the database failed it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.inbox import Inbox
from adapters.storage.sql.conversations import SqlConversationStore
from assistant.errors import ServiceUnavailableError


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


@dataclass(frozen=True)
class Kept(Timing):
    inbox_retention_hours: float = 2.0


async def test_the_sweep_prunes_finished_events_after_the_retention(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import select, update

    from adapters.storage.sql.conversations_schema import inbox_events
    from assistant.models import utcnow

    store = SqlConversationStore(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
    await store.initialize()
    inbox = Inbox(platform="slack", conversations=store, settings=Kept())
    assert inbox.retention == timedelta(hours=2)
    body = {"event": {"channel": "C1", "ts": "1.1", "text": "card 4111.1111.1111.1111, me@x.example"}}
    for event_id in ("old", "recent", "pending"):
        assert await inbox.receive(event_id, body)
    async with store._transaction() as conn:
        pending_body = (await conn.execute(select(inbox_events.c.body))).scalars().first()
    assert "4111" not in str(pending_body) and "me@x.example" not in str(pending_body)  # redacted on arrival
    await inbox.finish("old")
    await inbox.finish("recent")
    async with store._transaction(write=True) as conn:
        await conn.execute(
            update(inbox_events)
            .where(inbox_events.c.event_id == "old")
            .values(finished_at=utcnow() - timedelta(hours=3))
        )
        await conn.execute(
            update(inbox_events)
            .where(inbox_events.c.event_id == "pending")
            .values(lease_until=utcnow() + timedelta(hours=1), created_at=utcnow() - timedelta(days=9))
        )
    await inbox.sweep()
    async with store._transaction() as conn:
        left = dict((await conn.execute(select(inbox_events.c.event_id, inbox_events.c.body))).all())
    await store.close()
    assert set(left) == {"recent", "pending"}  # a pending event is never pruned: it is not done yet
    assert left["recent"] == {}  # a done event keeps its id (redeliveries), not its body
    # Never below an hour (the platforms' redelivery window).
    assert Inbox(
        platform="slack", conversations=store, settings=Kept(inbox_retention_hours=0)
    ).retention == timedelta(hours=1)


class BusyOnce(SqlConversationStore):
    """A store whose lease updates fail ``busy`` times first (SQLite's lock still held)."""

    busy = 2

    async def retry_event_after(self, platform: str, event_id: str, seconds: float) -> None:
        if self.busy:
            self.busy -= 1
            raise ServiceUnavailableError("The database is unavailable.")
        await super().retry_event_after(platform, event_id, seconds)


async def test_work_the_database_failed_is_retried_a_sweep_later_even_if_the_store_is_still_busy(
    tmp_path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import select

    from adapters import inbox as inbox_module
    from adapters.storage.sql.conversations_schema import inbox_events
    from assistant.models import utcnow

    monkeypatch.setattr(inbox_module, "_SHORTEN_PAUSE_SECONDS", 0.0)
    store = BusyOnce(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
    await store.initialize()
    inbox = Inbox(platform="slack", conversations=store, settings=Timing(inbox_lease_seconds=3600.0))
    assert await inbox.receive("EvBusy", {"event": {"channel": "C1", "ts": "1.1"}})

    async def work() -> None:  # a store call outside the ask, not turned into RetryLater
        raise ServiceUnavailableError("The database is unavailable.")

    with pytest.raises(ServiceUnavailableError):
        await inbox.ticket("EvBusy").take(work())
    async with store._transaction() as conn:
        status, lease_until = (
            await conn.execute(select(inbox_events.c.status, inbox_events.c.lease_until))
        ).one()
    await store.close()
    assert store.busy == 0 and status == "pending"
    # shortened to one sweep (30 s), not left at the hour-long lease
    assert (lease_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds() < 60
