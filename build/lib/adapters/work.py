"""Work that runs after the platform got its acknowledgement: tracked asyncio tasks.

Handlers ``ack()`` first and ``spawn`` the rest, so Slack hears back well within 3 seconds and the
Bot Connector well within its 15 (the Slack and Teams adapters share this).
Tasks are kept (not fire-and-forget), so ``drain`` can wait for them: tests wait for the work a
request started, and shutdown lets it finish before the store closes. A failing task is logged by
exception type and the ids in its name, never with message text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    """A set of running tasks that can be awaited or cancelled together."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures = 0

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures += 1
            log.error("background work %s failed: %s", task.get_name(), type(exc).__name__)
            log.debug("traceback of %s", task.get_name(), exc_info=exc)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until no task is running, including tasks spawned by tasks; TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.wait(set(self._tasks))

    async def close(self, timeout: float = 10.0) -> None:
        """Let running work finish for up to ``timeout`` seconds, then cancel what is left."""
        try:
            await self.drain(timeout)
        except TimeoutError:
            log.warning("cancelling %d unfinished background tasks", len(self._tasks))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
