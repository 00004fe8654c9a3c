"""What every handler receives: the assistant, the conversation store and its customer threads,
settings, members, work and where hand-offs go."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.teams.constants import PLATFORM
from adapters.teams.messenger import Messenger
from adapters.teams.roles import Members
from adapters.teams.settings import TeamsSettings
from adapters.work import BackgroundWork
from assistant.conversations import ChannelBinding, ConversationStore
from assistant.dialogue import Threads
from assistant.handoff import HandoffNotifier
from assistant.limits import QuestionLimits
from assistant.service import Assistant


@dataclass(slots=True)
class TeamsDeps:
    """The bot's collaborators, built once in ``adapters.teams.bot``."""

    assistant: Assistant
    conversations: ConversationStore
    settings: TeamsSettings
    members: Members
    messenger: Messenger
    work: BackgroundWork
    handoffs: HandoffNotifier
    threads: Threads
    limits: QuestionLimits = field(init=False)  # questions per user and channel (assistant.limits)

    def __post_init__(self) -> None:
        settings = self.assistant.settings
        self.limits = QuestionLimits(
            per_user=settings.questions_per_user_per_minute,
            per_channel=settings.questions_per_channel_per_minute,
        )

    async def binding(self, channel: str, *, personal: bool, tenant: str | None) -> ChannelBinding | None:
        """What a conversation is: a bound channel or chat, or (a 1:1 chat nobody bound) a customer
        chat of the user's tenant (account ``teams:<tenant id>``; ``assistant channels set`` renames it)."""
        binding = await self.conversations.get_channel(PLATFORM, channel)
        if binding is not None or not personal:
            return binding
        return ChannelBinding(
            platform=PLATFORM,
            channel_id=channel,
            account=f"teams:{tenant}" if tenant else "teams",
            kind="customer",
            handoff_channel=self.settings.handoff_channel,
        )
