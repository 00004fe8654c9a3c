"""The change feed is pruned, and an instance whose cursor was pruned past loads everything again.

Every backend: the feed keeps the newest change (so numbers never restart), drops only changes
older than the horizon, and an instance idle for longer than the retention catches up with a full
reload instead of silently missing what was pruned.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.storage.sql.schema import item_changes
from assistant.models import Question, Role, Signal, utcnow
from assistant.retrieval.engine import MIN_CHANGE_RETENTION
from tests.contract.conftest import Backend

AGENT: dict[str, Any] = {"actor": "dana", "role": Role.AGENT}
LINKS = "How long do payment links last?"
REFUNDS = "How long does a refund take?"
EXPORT = "Can I export my contacts to CSV?"


async def _feed(backend: Backend) -> list[int]:
    engine = create_async_engine(backend.settings.database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(select(item_changes.c.seq).order_by(item_changes.c.seq))
            return list(result.scalars())
    finally:
        await engine.dispose()


async def _age_feed(backend: Backend, by: timedelta) -> None:
    engine = create_async_engine(backend.settings.database_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(item_changes).values(changed_at=utcnow() - by))
    finally:
        await engine.dispose()


async def test_pruning_drops_old_changes_but_keeps_the_newest(backend: Backend) -> None:
    a = await backend.assistant()
    for question, answer in [(LINKS, "7 days."), (REFUNDS, "5 days."), (EXPORT, "Yes, from Contacts.")]:
        await a.teach(question, answer, **AGENT)
    before = await _feed(backend)
    assert len(before) >= 3

    assert await a.store.prune_changes(utcnow() - timedelta(hours=1)) == 0, "nothing is that old"
    assert await _feed(backend) == before

    assert await a.store.prune_changes(utcnow() + timedelta(minutes=1)) == len(before) - 1
    assert await _feed(backend) == [before[-1]], "the newest change stays, so numbers never restart"
    assert (await a.store.changes_since(before[-1])).reload is False, "an up-to-date cursor is fine"
    assert (await a.store.changes_since(before[-2])).reload is False, "nothing after it was pruned"
    assert (await a.store.changes_since(before[-3])).reload is True


async def test_an_instance_behind_the_pruned_horizon_reloads_instead_of_missing_changes(
    backend: Backend,
) -> None:
    a = await backend.assistant()
    await a.teach(LINKS, "Payment links last 7 days.", **AGENT)
    b = await backend.assistant(sync_seconds=3600.0)
    old = await b.ask(Question(text=LINKS, account="acme"))
    assert old.text == "Payment links last 7 days."

    # While B is idle, A corrects one answer (the old item is superseded) and learns two more.
    await a.feedback(old.id, Signal.CORRECT, text="Payment links last 30 days.", make_global=True, **AGENT)
    await a.teach(REFUNDS, "Refunds take 5 business days.", **AGENT)
    await a.teach(EXPORT, "Export contacts from the Contacts page.", **AGENT)
    await a.store.prune_changes(utcnow() + timedelta(minutes=1))

    assert await b.sync(force=True) > 0
    assert (await b.ask(Question(text=LINKS, account="acme"))).text == "Payment links last 30 days."
    assert (await b.ask(Question(text=REFUNDS, account="acme"))).text == "Refunds take 5 business days."
    exported = await b.ask(Question(text=EXPORT, account="acme"))
    assert exported.text == "Export contacts from the Contacts page."
    assert await b.sync(force=True) == 0, "after the reload B follows the feed again"


async def test_sync_prunes_changes_older_than_the_retention(backend: Backend) -> None:
    a = await backend.assistant()
    await a.teach(LINKS, "Payment links last 7 days.", **AGENT)
    await a.teach(REFUNDS, "Refunds take 5 business days.", **AGENT)
    await _age_feed(backend, MIN_CHANGE_RETENTION + timedelta(hours=1))
    await a.teach(EXPORT, "Export contacts from the Contacts page.", **AGENT)
    recent = await _feed(backend)

    fresh = await backend.assistant()  # a new instance prunes on its first sync
    await fresh.sync(force=True)
    assert await _feed(backend) == recent[-1:], "the old changes went, the recent one stayed"
    assert (await fresh.ask(Question(text=REFUNDS, account="acme"))).text == "Refunds take 5 business days."


async def test_vectors_made_again_replace_the_stored_ones_and_log_no_change(backend: Backend) -> None:
    """What bringing a store up to an inner layer writes (``replace_vectors``): the new vectors,
    size and all, and no change in the feed, since the knowledge did not change."""
    a = await backend.assistant()
    await a.teach(LINKS, "7 days.", **AGENT)
    [(item, vector)] = await a.store.load_active_entries()
    feed = await _feed(backend)
    shorter = np.asarray(vector[:100], dtype=np.float32)
    shorter /= np.linalg.norm(shorter)
    await a.store.replace_vectors([(item.id, shorter)])
    [(again, stored)] = await a.store.load_active_entries()
    assert again.id == item.id
    assert stored.shape == (100,) and np.allclose(stored, shorter)
    assert await _feed(backend) == feed
