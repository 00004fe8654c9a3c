"""Opening and closing an assistant for one CLI command, and turning errors into messages."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from assistant.config import Settings, default_database_url_for, load_settings
from assistant.errors import AssistantError

if TYPE_CHECKING:  # heavy (the numeric stack, SQLAlchemy): imported by the commands that use them
    from adapters.storage.sql import SqlKnowledgeStore
    from assistant.ports import Embedder
    from assistant.service import Assistant

T = TypeVar("T")


def database_url(db: str | None) -> str | None:
    """--db accepts a SQLAlchemy URL or a plain path to a SQLite file."""
    if db is None:
        return None
    if "://" in db:
        return db
    return default_database_url_for(Path(db).resolve())


def settings_for(db: str | None) -> Settings:
    url = database_url(db)
    return load_settings(database_url=url) if url else load_settings()


@asynccontextmanager
async def open_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    background_refit: bool = True,
    ranks: bool = True,
) -> AsyncIterator[Assistant]:
    """A started assistant, closed however the block ends. The model is loaded when the command
    first embeds a text (``forget`` may never); ``ranks=False`` (a command that never ranks a
    question) skips fitting the resolution head, which would otherwise be waited for at close."""
    from adapters.wiring import build_assistant, build_embedder

    embedder = embedder or build_embedder(settings, lazy=True)
    assistant = build_assistant(settings, embedder=embedder, background_refit=background_refit)
    await assistant.start(defer_fit=not ranks)
    try:
        yield assistant
    finally:
        await assistant.close()


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqlKnowledgeStore]:
    """The knowledge store alone (schema checked), for commands that only read it (``stats``,
    ``learned``): no model, no index."""
    from adapters.storage.sql import SqlKnowledgeStore

    store = SqlKnowledgeStore(settings.database_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


def run_command(work: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; a known error becomes one clear line on stderr and exit code 1."""
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except AssistantError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise typer.Exit(code=130) from None
