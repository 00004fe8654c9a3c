"""Who is who: the display names of the people the bot meets, kept so ``assistant learned`` says
"Alex Agent" rather than an Entra object id.

Each person's name is stored once per process (again when it changes), from the ``from`` of the
activities they send (``name`` and ``aadObjectId``, the id events are recorded under).
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.teams.constants import PLATFORM
from assistant.conversations import ConversationStore
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

MAX_REMEMBERED = 10_000  # names held in memory before the cache starts again


class Names:
    """Stores a sender's display name the first time (or when it changed)."""

    def __init__(self, conversations: ConversationStore) -> None:
        self._conversations = conversations
        self._known: dict[str, str] = {}

    async def seen(self, activity: Any) -> None:
        sender = getattr(activity, "from_property", None)
        user = str(getattr(sender, "aad_object_id", None) or "")
        name = str(getattr(sender, "name", None) or "").strip()
        if not user or not name or self._known.get(user) == name:
            return
        try:
            await self._conversations.remember_name(PLATFORM, user, name)
        except AssistantError as exc:  # a name is a nicety: the turn goes on
            log.warning("could not keep a display name: %s", type(exc).__name__)
            return
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[user] = name
