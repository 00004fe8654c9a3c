"""The inbox on SQLite and PostgreSQL: received once, claimed by one instance, finished, pruned.

Two ``SqlConversationStore`` instances on the same database stand for two ``assistant serve``
processes: each has its own engine and connection pool, as separate processes would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.storage.sql.conversations import SqlConversationStore
from adapters.storage.sql.conversations_schema import inbox_events
from assistant.errors import InvalidInputError
from assistant.models import utcnow

EXPIRED = 0.001  # a lease that has run out by the time anyone sweeps
LEASE = 60.0


Pair = tuple[SqlConversationStore, SqlConversationStore]


@pytest.fixture
async def two_instances(database_url: str) -> AsyncIterator[Pair]:
    first, second = SqlConversationStore(database_url), SqlConversationStore(database_url)
    await first.initialize()
    await second.initialize()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def statuses(store: SqlConversationStore) -> dict[str, tuple[str, int]]:
    query = select(inbox_events.c.event_id, inbox_events.c.status, inbox_events.c.attempts)
    async with store._engine.connect() as conn:
        return {row.event_id: (row.status, row.attempts) for row in await conn.execute(query)}


async def test_an_event_is_received_once_across_instances(
    two_instances: Pair,
) -> None:
    first, second = two_instances
    body = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "text": "hi"}}
    results = await asyncio.gather(
        *(store.receive_event("slack", "Ev1", body, lease_seconds=LEASE) for store in (first, second) * 4)
    )
    assert sorted(results) == [False] * 7 + [True]
    assert await first.receive_event("teams", "Ev1", body, lease_seconds=LEASE)
    assert await statuses(first) == {"Ev1": ("pending", 1)}
    with pytest.raises(InvalidInputError):
        await first.receive_event("slack", "", body, lease_seconds=LEASE)


async def test_a_leased_event_is_not_claimed_until_its_lease_runs_out(
    two_instances: Pair,
) -> None:
    first, second = two_instances
    await first.receive_event("slack", "EvLeased", {"n": 1}, lease_seconds=LEASE)
    await first.receive_event("slack", "EvCrashed", {"n": 2}, lease_seconds=EXPIRED)
    await asyncio.sleep(0.01)

    [claimed] = await second.claim_pending_events("slack", lease_seconds=LEASE)
    assert (claimed.event_id, claimed.body, claimed.attempts) == ("EvCrashed", {"n": 2}, 2)
    assert claimed.status == "pending"
    assert await first.claim_pending_events("slack", lease_seconds=LEASE) == []  # now leased to second


async def test_two_instances_sweeping_at_once_never_take_the_same_event(
    two_instances: Pair,
) -> None:
    first, second = two_instances
    ids = [f"Ev{n:03d}" for n in range(30)]
    for event_id in ids:
        await first.receive_event("slack", event_id, {"id": event_id}, lease_seconds=EXPIRED)
    await asyncio.sleep(0.01)

    rounds = await asyncio.gather(
        *(store.claim_pending_events("slack", lease_seconds=LEASE, limit=30) for store in (first, second) * 2)
    )
    taken = [event.event_id for claimed in rounds for event in claimed]
    assert sorted(taken) == ids  # every event taken, none twice
    assert {attempts for _, attempts in (await statuses(first)).values()} == {2}


async def test_finished_events_are_not_claimed_and_are_pruned_after_the_window(
    two_instances: Pair,
) -> None:
    first, second = two_instances
    for event_id in ("EvDone", "EvFailed", "EvPending"):
        await first.receive_event("slack", event_id, {}, lease_seconds=EXPIRED)
    await first.finish_event("slack", "EvDone")
    await second.finish_event("slack", "EvFailed", "failed")
    await asyncio.sleep(0.01)
    with pytest.raises(InvalidInputError):
        await first.finish_event("slack", "EvPending", "pending")

    claimed = await second.claim_pending_events("slack", lease_seconds=LEASE)
    assert [event.event_id for event in claimed] == ["EvPending"]
    assert await first.claim_pending_events("slack", lease_seconds=LEASE, exclude={"EvPending"}) == []
    assert await first.prune_events("slack", utcnow() - timedelta(hours=1)) == 0  # still in the window
    assert await first.prune_events("slack", utcnow() + timedelta(seconds=1)) == 2
    assert await statuses(first) == {"EvPending": ("pending", 2)}
    assert not await first.receive_event("slack", "EvPending", {}, lease_seconds=LEASE)


async def test_the_caller_s_own_running_events_are_excluded(
    two_instances: Pair,
) -> None:
    first, _ = two_instances
    for event_id in ("EvMine", "EvOther"):
        await first.receive_event("slack", event_id, {}, lease_seconds=EXPIRED)
    await asyncio.sleep(0.01)
    claimed = await first.claim_pending_events("slack", lease_seconds=LEASE, exclude={"EvMine"})
    assert [event.event_id for event in claimed] == ["EvOther"]
    assert (await statuses(first))["EvMine"] == ("pending", 1)


async def test_a_failed_attempt_shortens_the_lease_of_a_pending_event_only(
    two_instances: Pair,
) -> None:
    first, second = two_instances
    for event_id in ("EvRetry", "EvDone"):
        await first.receive_event("slack", event_id, {}, lease_seconds=LEASE)
    await first.finish_event("slack", "EvDone")
    assert await second.claim_pending_events("slack", lease_seconds=LEASE) == []  # leased for a minute

    await first.retry_event_after("slack", "EvRetry", EXPIRED)
    await first.retry_event_after("slack", "EvDone", EXPIRED)
    await asyncio.sleep(0.01)
    claimed = await second.claim_pending_events("slack", lease_seconds=LEASE)
    assert [(event.event_id, event.attempts) for event in claimed] == [("EvRetry", 2)]
    assert (await statuses(first))["EvDone"] == ("done", 1)
