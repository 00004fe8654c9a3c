"""What every handler receives: the assistant, the conversation store, settings, members, work,
the question rate limits and, while this process runs the insight jobs, their service."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.constants import PLATFORM
from adapters.slack.roles import Members
from adapters.slack.settings import SlackSettings
from adapters.slack.work import BackgroundWork
from assistant.conversations import ChannelBinding, ConversationStore
from assistant.insights.service import InsightService
from assistant.limits import QuestionLimits
from assistant.service import Assistant

log = logging.getLogger(__name__)

CHANNEL_INFO_TTL_SECONDS = 600.0


@dataclass(slots=True)
class SlackDeps:
    """The app's collaborators, built once in ``adapters.slack.app``."""

    assistant: Assistant
    conversations: ConversationStore
    settings: SlackSettings
    members: Members
    work: BackgroundWork
    limits: QuestionLimits
    insights: InsightService | None = None  # the insight jobs' service, while this process runs them
    _shared: dict[str, tuple[float, bool]] = field(default_factory=dict)

    async def binding(
        self, client: AsyncWebClient, channel: str, user_team: str | None
    ) -> ChannelBinding | None:
        """What ``channel`` is. An unmapped Slack Connect channel becomes a customer channel of the
        external organisation (account ``slack:<team id>``) the first time one of its members asks;
        ``assistant channels set`` renames it."""
        binding = await self.conversations.get_channel(PLATFORM, channel)
        if binding is not None:
            return binding
        home = (await self.members.identity()).team_id
        if not user_team or user_team == home or not await self._is_shared(client, channel):
            return None
        binding = ChannelBinding(
            platform=PLATFORM,
            channel_id=channel,
            account=f"slack:{user_team}",
            kind="customer",
            handoff_channel=self.settings.handoff_channel,
        )
        await self.conversations.bind_channel(binding)
        log.info("bound Slack Connect channel %s to account %s", channel, binding.account)
        return binding

    def handoff_channel(self, binding: ChannelBinding) -> str | None:
        return binding.handoff_channel or self.settings.handoff_channel

    async def _is_shared(self, client: AsyncWebClient, channel: str) -> bool:
        now = time.monotonic()
        cached = self._shared.get(channel)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            info = (await client.conversations_info(channel=channel))["channel"]
            shared = bool(info.get("is_ext_shared"))
        except SlackApiError as exc:
            log.warning("conversations.info failed for %s: %s", channel, exc.response.get("error"))
            shared = False
        self._shared[channel] = (now + CHANNEL_INFO_TTL_SECONDS, shared)
        return shared
