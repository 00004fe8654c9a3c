"""Alembic's entry point, run by ``alembic.command``.

``adapters.storage.sql.migrate`` passes an open connection (inside its transaction) in
``config.attributes["connection"]``; used from the ``alembic`` command line instead, this opens
one from ``sqlalchemy.url``. Async engines run the migrations through ``run_sync``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from adapters.storage.sql.migrate import connect
from adapters.storage.sql.schema import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    """Migrate on ``connection``; the caller owns the transaction."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # Our SQLite engines emit BEGIN themselves, so DDL there is transactional too.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = connect(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_with_own_engine())
    else:
        run_migrations(connection)


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
