"""A ``store`` fixture run once on SQLite (a file under tmp_path) and once on PostgreSQL.

Each PostgreSQL test gets a database of its own, created through an AUTOCOMMIT connection to the
server's ``test`` database and dropped afterwards, so tests never see each other's rows. Without
a reachable server the PostgreSQL cases are skipped, naming the URL that was tried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.storage.sql import SqlKnowledgeStore
from tests.postgres import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/store.db"
        return
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlKnowledgeStore]:
    store = SqlKnowledgeStore(database_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()
