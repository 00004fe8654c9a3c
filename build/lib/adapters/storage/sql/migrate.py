"""Schema migrations without an ``alembic.ini``: the Alembic config is built in code.

``upgrade(url)`` is what deployments run; the store's ``initialize`` calls ``upgrade_engine`` on its
own engine instead, so an in-memory SQLite database is migrated on the very connection it lives on.

``connect`` is here, not in the store, because migrations and the store must open SQLite the same
way. Python's sqlite3 driver (legacy transaction control, Python < 3.16) begins a transaction only
before INSERT, UPDATE or DELETE: SELECTs and DDL would run outside any transaction. So every
transaction says how it starts, through the ``SQLITE_BEGIN`` execution option:

* ``"BEGIN"`` (the default): reads, and anything else, see one snapshot;
* ``"BEGIN IMMEDIATE"``: takes the write lock first, for migrations, so that they cannot fail
  half-way because another process wrote in between;
* ``""``: the driver emits ``BEGIN IMMEDIATE`` itself with the first statement, which must then
  be an INSERT, UPDATE or DELETE; this saves a round trip to aiosqlite's worker thread on the
  hot write paths (``save_exchange``, ``apply_learning``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")

#: The execution option that chooses how a SQLite transaction starts (see the module docstring).
SQLITE_BEGIN = "assistant_sqlite_begin"

_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")


def connect(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``, with SQLite set up for WAL, foreign keys and real transactions."""
    sqlite = url.startswith("sqlite")
    # Every transaction here ends in COMMIT or ROLLBACK, so the pool's extra ROLLBACK on check-in
    # is a wasted round trip to SQLite's worker thread; elsewhere it stays as a safety net.
    engine = create_async_engine(url, echo=echo, pool_reset_on_return=None if sqlite else "rollback")
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # What the driver emits before a write when no transaction is open yet (the "" mode).
    dbapi_connection.isolation_level = "IMMEDIATE"
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    if begin := connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN"):
        connection.exec_driver_sql(begin)


def alembic_config(url: str) -> Config:
    """The Alembic configuration an ``alembic.ini`` would have held."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade head``); idempotent."""
    engine = connect(url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine) -> None:
    """Run the migrations on ``engine`` in one transaction: a failed upgrade leaves no half schema."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"}).begin() as connection:
        await connection.run_sync(_upgrade_on, config)


def _upgrade_on(connection: Connection, config: Config) -> None:
    if connection.dialect.name == "postgresql":
        # Two processes starting at once must not both create the tables; the lock ends at commit.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7461023951)")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
