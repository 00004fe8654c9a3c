"""Service-level reminders, for every chat adapter: a periodic check of the conversations waiting
on people (``assistant.service_levels``), and one reminder per waiting period in each late
conversation's hand-off thread.

The rule is the core's (``Threads.overdue``); the platform only says how a reminder is posted
(``Post``). A reminder is claimed in the conversation store before it is posted, and the claim is
released when posting fails, so two instances checking at once remind once, and a failure is
tried again at the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from assistant.conversations import ConversationStore
from assistant.dialogue import Threads
from assistant.service_levels import Overdue, ServiceLevels

log = logging.getLogger(__name__)

Post = Callable[[Overdue], Awaitable[None]]


class Reminders:
    """Checks ``platform``'s conversations every ``every`` seconds (``start``) or when asked."""

    def __init__(
        self,
        *,
        platform: str,
        threads: Threads,
        conversations: ConversationStore,
        levels: ServiceLevels,
        post: Post,
        every: float,
    ) -> None:
        self.platform = platform
        self.threads = threads
        self.conversations = conversations
        self.levels = levels
        self.post = post
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def check(self, *, now: datetime | None = None) -> int:
        """Remind about every late conversation of the platform not reminded in this waiting
        period; how many reminders were posted."""
        posted = 0
        for late in await self.threads.overdue(self.levels, now=now):
            conversation = late.conversation
            if conversation.platform != self.platform or not conversation.handoff_post:
                continue
            if not await self.conversations.claim_event(self.platform, late.key):
                continue
            try:
                await self.post(late)
            except Exception:
                await self.conversations.release_event(self.platform, late.key)
                raise
            posted += 1
            log.info("conversation %s waited %s: reminder posted", conversation.id, late.waited)
        return posted

    def start(self) -> None:
        if self._task is None:
            name = f"{self.platform} service-level reminders"
            self._task = asyncio.get_running_loop().create_task(self._forever(), name=name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _forever(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as exc:  # the store or the platform failing: the next check tries again
                log.warning("%s service-level check failed: %s", self.platform, type(exc).__name__)
            await asyncio.sleep(self.every)
