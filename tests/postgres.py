"""A fresh PostgreSQL database per test, or a skip naming the URL when no server answers.

Each database is created through an AUTOCOMMIT connection to the server's ``test`` database and
dropped afterwards (``WITH (FORCE)``), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

POSTGRES_URL = os.environ.get(
    "ASSISTANT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CONNECT_TIMEOUT = 3.0

_unreachable: list[str] = []  # the skip reason, once one test found no server: the rest skip at once


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """The URL of a new, empty database; skips the test when the server cannot be reached."""
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
