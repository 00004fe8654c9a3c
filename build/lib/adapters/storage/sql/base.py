"""What every SQL-backed store shares: an engine (owned or borrowed), migrations at start, one
transaction per call with database errors turned into the core's typed errors, and a
dialect-aware INSERT for upserts and first-time-only claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.storage.sql.migrate import SQLITE_BEGIN, connect, upgrade_engine
from assistant.errors import InvalidInputError, ServiceUnavailableError

SQLITE_WORKER_STOP_SECONDS = 0.2


class SqlStoreBase:
    """An engine, its SQLite write mode, and the transaction every method runs in."""

    def __init__(self, engine: AsyncEngine | str, *, echo: bool = False) -> None:
        self._owns_engine = isinstance(engine, str)
        self._engine = connect(engine, echo=echo) if isinstance(engine, str) else engine
        # SQLite writers take the write lock at BEGIN; the option is ignored elsewhere.
        self._writer = self._engine.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})

    async def initialize(self) -> None:
        try:
            await upgrade_engine(self._engine)
        except (OperationalError, InterfaceError, OSError) as exc:
            raise ServiceUnavailableError("The database could not be opened or migrated.") from exc

    async def close(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()

    async def ping(self) -> bool:
        """Whether the database answers (health checks)."""
        try:
            async with self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OperationalError, InterfaceError, OSError):
            if self._engine.dialect.name == "sqlite":
                # aiosqlite stops the worker thread of a connection that failed to open on that
                # thread, which then reports to this loop: let it, before the loop may close.
                await asyncio.sleep(SQLITE_WORKER_STOP_SECONDS)
            return False
        return True

    @asynccontextmanager
    async def _transaction(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        try:
            async with (self._writer if write else self._engine).begin() as connection:
                yield connection
        except (IntegrityError, DataError) as exc:
            raise InvalidInputError("The change conflicts with stored data; nothing was written.") from exc
        except (OperationalError, InterfaceError, OSError) as exc:
            raise ServiceUnavailableError("The database is unavailable.") from exc

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _upsert(self, table: Any, values: dict[str, Any], keys: Sequence[str]) -> None:
        """Insert a row, or update its non-key columns when the key exists."""
        insert = self._insert(table)
        statement = insert.values(values).on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: insert.excluded[name] for name in values if name not in keys},
        )
        async with self._transaction(write=True) as conn:
            await conn.execute(statement)
