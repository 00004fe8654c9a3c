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
