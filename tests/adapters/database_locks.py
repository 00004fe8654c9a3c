"""The database refusing one statement as a lock timeout would: shared by the Slack and Teams tests
of what happens to a question when SQLite's lock wait runs out part-way through its work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def locked_once(engine: AsyncEngine, table: str) -> Iterator[list[str]]:
    """The first ``INSERT INTO table`` on ``engine`` fails with "database is locked" (inside its
    transaction, as the driver reports it); yields the refused statements."""
    refused: list[str] = []
    head = f"INSERT INTO {table}".upper()

    def lock_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(head) and not refused:
            refused.append(statement)
            raise OperationalError(statement, {}, Exception("database is locked"))

    event.listen(engine.sync_engine, "before_cursor_execute", lock_once)
    try:
        yield refused
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", lock_once)
