"""Copy a whole store to another database: ``assistant migrate-store --from ... --to ...``.

Every table the migrations create (knowledge, vectors, questions, answers, learning events, the
change feed, conversation and insights tables) is copied row for row, parents before children, in
one target transaction: a failure leaves the target as it was. Both databases are first brought to
the newest schema. A target that holds any row is refused unless ``force``, which empties it first.
The counts of every table are compared afterwards and returned, so nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.sql import (  # noqa: F401  (their tables)
    candidates_schema,
    conversations_schema,
    insights_schema,
    integrations_schema,
    threads_schema,
)
from adapters.storage.sql.migrate import SQLITE_BEGIN, connect, upgrade_engine
from adapters.storage.sql.schema import metadata
from assistant.errors import InvalidInputError, ServiceUnavailableError

BATCH = 1000
_SKIPPED = {"alembic_version"}  # the target's own, written by its migrations


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    source_rows: int
    target_rows: int


async def copy_store(source_url: str, target_url: str, *, force: bool = False) -> list[TableCopy]:
    """Copy every row of ``source_url`` into ``target_url``; returns the counts per table."""
    if source_url == target_url:
        raise InvalidInputError("The source and the target are the same database.")
    source, target = connect(source_url), connect(target_url)
    try:
        await upgrade_engine(source)
        await upgrade_engine(target)
        async with source.connect() as conn:
            present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        unknown = sorted(present - set(metadata.tables) - _SKIPPED)
        if unknown:
            raise InvalidInputError(
                f"The source has tables this version does not know ({', '.join(unknown)}); "
                "run migrate-store from the version that created them."
            )
        tables = list(metadata.sorted_tables)
        counts: dict[str, int] = {}
        writer = target.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
        async with source.begin() as reading, writer.begin() as writing:
            filled = {t.name: n for t in tables if (n := await _count(writing, t))}
            if filled and not force:
                listed = ", ".join(f"{name} ({n})" for name, n in sorted(filled.items()))
                raise InvalidInputError(
                    f"The target database is not empty: {listed}. Use --force to replace its contents."
                )
            for table in reversed(tables):
                await writing.execute(delete(table))
            for table in tables:
                counts[table.name] = await _copy_table(reading, writing, table)
            if writing.dialect.name == "postgresql":
                await _reset_sequences(writing, tables)
            copies = [TableCopy(t.name, counts[t.name], await _count(writing, t)) for t in tables]
        lost = [c for c in copies if c.source_rows != c.target_rows]
        if lost:
            raise ServiceUnavailableError(
                "The copy is incomplete: "
                + ", ".join(f"{c.table} {c.target_rows}/{c.source_rows}" for c in lost)
            )
        return copies
    finally:
        await source.dispose()
        await target.dispose()


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _copy_table(reading: AsyncConnection, writing: AsyncConnection, table: Table) -> int:
    copied = 0
    result = await reading.stream(select(table))
    async for batch in result.partitions(BATCH):
        await writing.execute(table.insert(), [dict(row._mapping) for row in batch])
        copied += len(batch)
    return copied


async def _reset_sequences(writing: AsyncConnection, tables: list[Table]) -> None:
    """Copied explicit ids leave PostgreSQL's sequences behind; move them past the copied rows."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                await writing.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )
