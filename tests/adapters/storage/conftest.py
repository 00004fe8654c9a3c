"""A ``store`` fixture run once on SQLite (a file under tmp_path) and once on PostgreSQL.

Each PostgreSQL test gets a database of its own, created through an AUTOCOMMIT connection to the
server's ``test`` database and dropped afterwards, so tests never see each other's rows. Without
a reachable server the PostgreSQL cases are skipped, naming the URL that was tried.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.storage.sql import SqlKnowledgeStore

POSTGRES_URL = os.environ.get(
    "ASSISTANT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CONNECT_TIMEOUT = 3.0

_unreachable: list[str] = []  # the skip reason, once one test found no server: the rest skip at once


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/store.db"
        return
    if _unreachable:
        pytest.skip(_unreachable[0])
    admin = create_async_engine(
        POSTGRES_URL,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": CONNECT_TIMEOUT},
    )
    name = f"test_{uuid.uuid4().hex}"
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except (OSError, SQLAlchemyError) as exc:
        await admin.dispose()
        _unreachable.append(
            f"PostgreSQL at {POSTGRES_URL} is not reachable within {CONNECT_TIMEOUT:.0f} s "
            f"({type(exc).__name__}); set ASSISTANT_TEST_POSTGRES_URL to run these tests"
        )
        pytest.skip(_unreachable[0])
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlKnowledgeStore]:
    store = SqlKnowledgeStore(database_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()
