"""What every handler receives: the assistant, the conversation store and its customer threads,
settings, members, work, the question rate limits and, while this process runs the insight jobs,
their service."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.api_errors import lookup
from adapters.slack.constants import PLATFORM
from adapters.slack.roles import Members
from adapters.slack.settings import SlackSettings
from adapters.slack.work import BackgroundWork
from assistant.accounts import AccountContext
from assistant.conversations import ChannelBinding, ConversationStore
from assistant.dialogue import Threads
from assistant.insights.service import InsightService
from assistant.limits import QuestionLimits
from assistant.service import Assistant

log = logging.getLogger(__name__)

CHANNEL_INFO_TTL_SECONDS = 600.0
AUTO_ACCOUNT_PREFIX = "slack:"


@dataclass(slots=True)
class SlackDeps:
    """The app's collaborators, built once in ``adapters.slack.app``."""

    assistant: Assistant
    conversations: ConversationStore
    settings: SlackSettings
    members: Members
    work: BackgroundWork
    limits: QuestionLimits
    threads: Threads
    insights: InsightService | None = None  # the insight jobs' service, while this process runs them
    _channels: dict[str, tuple[float, Mapping[str, Any]]] = field(default_factory=dict)

    async def binding(
        self, client: AsyncWebClient, channel: str, user_team: str | None
    ) -> ChannelBinding | None:
        """What ``channel`` is. An unmapped Slack Connect channel shared with exactly one external
        organisation becomes a customer channel of that organisation (account ``slack:<team id>``)
        the first time one of its members asks; ``assistant channels set`` renames it. A channel
        shared with several is never bound by guess (``needs_mapping``)."""
        binding = await self.conversations.get_channel(PLATFORM, channel)
        if binding is not None:
            return binding
        identity = await self.members.identity()
        if not user_team or user_team in identity.orgs:
            return None
        info = await self._channel_info(client, channel)
        external = external_orgs(info, identity.orgs)
        if not info.get("is_ext_shared") or external != frozenset({user_team}):
            return None
        binding = ChannelBinding(
            platform=PLATFORM,
            channel_id=channel,
            account=f"slack:{user_team}",
            kind="customer",
            handoff_channel=self.settings.handoff_channel,
        )
        await self.conversations.bind_channel(binding)
        await self.conversations.set_channel_orgs(PLATFORM, channel, external)
        log.info("bound Slack Connect channel %s to account %s", channel, binding.account)
        return binding

    async def bind_shared(self, client: AsyncWebClient, channel: str) -> ChannelBinding | None:
        """A channel was just shared (``channel_shared``) or the app joined it: an unmapped Slack
        Connect channel shared with exactly one external organisation is bound to it now (account
        ``slack:<team id>``), as the first question would; the binding (new or existing), or None."""
        binding = await self.conversations.get_channel(PLATFORM, channel)
        if binding is not None:
            return binding
        self._channels.pop(channel, None)  # who it is shared with has just changed
        identity = await self.members.identity()
        info = await self._channel_info(client, channel)
        external = external_orgs(info, identity.orgs)
        if not info.get("is_ext_shared") or len(external) != 1:
            return None
        [org] = external
        binding = ChannelBinding(
            platform=PLATFORM,
            channel_id=channel,
            account=f"{AUTO_ACCOUNT_PREFIX}{org}",
            kind="customer",
            handoff_channel=self.settings.handoff_channel,
        )
        await self.conversations.bind_channel(binding)
        await self.conversations.set_channel_orgs(PLATFORM, channel, external)
        log.info("bound Slack Connect channel %s to account %s on sharing", channel, binding.account)
        return binding

    async def unbind_unshared(self, channel: str, team: str, *, still_shared: bool) -> bool:
        """An organisation left a Slack Connect channel (``channel_unshared``): a customer channel
        that was theirs (auto-bound to them, or mapped to them alone) or that is shared with nobody
        now is unbound, so nobody is answered there from their account; True when it was."""
        self._channels.pop(channel, None)
        binding = await self.conversations.get_channel(PLATFORM, channel)
        if binding is None or binding.kind != "customer":
            return False
        orgs = await self.conversations.get_channel_orgs(PLATFORM, channel)
        theirs = binding.account == f"{AUTO_ACCOUNT_PREFIX}{team}" or (bool(orgs) and orgs <= {team})
        if not theirs and still_shared:
            if team in orgs:
                await self.conversations.set_channel_orgs(PLATFORM, channel, orgs - {team})
            return False
        await self.conversations.unbind_channel(PLATFORM, channel)
        log.info("Slack Connect channel %s disconnected from %s: unbound", channel, team)
        return True

    async def direct_binding(self, channel: str, user_team: str | None) -> ChannelBinding:
        """A direct message to the app (``message.im``) is a 1:1 customer conversation: of account
        ``slack:<team id>`` for a person of another organisation, of no account for the app's own."""
        identity = await self.members.identity()
        external = bool(user_team) and user_team not in identity.orgs
        return ChannelBinding(
            platform=PLATFORM,
            channel_id=channel,
            account=f"{AUTO_ACCOUNT_PREFIX}{user_team}" if external else None,
            kind="customer",
            handoff_channel=self.settings.handoff_channel,
        )

    async def needs_mapping(
        self, client: AsyncWebClient, channel: str, user_team: str | None
    ) -> frozenset[str]:
        """The external organisations of an unmapped shared channel that cannot be bound by itself
        (several share it); empty when there is nothing to map."""
        identity = await self.members.identity()
        if not user_team or user_team in identity.orgs:
            return frozenset()
        if await self.conversations.get_channel(PLATFORM, channel) is not None:
            return frozenset()
        info = await self._channel_info(client, channel)
        external = external_orgs(info, identity.orgs)
        return external if info.get("is_ext_shared") and len(external) > 1 else frozenset()

    async def belongs(
        self, client: AsyncWebClient, binding: ChannelBinding, asker_orgs: frozenset[str]
    ) -> bool:
        """Whether a customer asking in ``binding``'s channel belongs to its account: identity, not
        location, decides. The account's organisations are those mapped to the channel
        (``assistant channels set --org``), else the one of an auto-bound ``slack:<team>``
        account, else the channel's only external organisation. The app's own organisation (its
        guests) always belongs; a channel shared with several unmapped organisations admits none."""
        identity = await self.members.identity()
        if asker_orgs & identity.orgs:
            return True
        allowed = await self.conversations.get_channel_orgs(PLATFORM, binding.channel_id)
        if not allowed and binding.account and binding.account.startswith(AUTO_ACCOUNT_PREFIX):
            allowed = frozenset({binding.account.removeprefix(AUTO_ACCOUNT_PREFIX)})
        if not allowed:
            info = await self._channel_info(client, binding.channel_id)
            external = external_orgs(info, identity.orgs)
            if not external:  # not shared outside (only the app's organisation and its guests), or unknown
                return info.get("is_ext_shared") is False
            allowed = external if len(external) == 1 else frozenset()
        return bool(asker_orgs & allowed)

    @property
    def accounts(self) -> AccountContext:
        """Account profiles (names, plans, products): the threads' source."""
        return self.threads.accounts

    def handoff_channel(self, binding: ChannelBinding) -> str | None:
        return binding.handoff_channel or self.settings.handoff_channel

    async def _channel_info(self, client: AsyncWebClient, channel: str) -> Mapping[str, Any]:
        """``conversations.info``'s channel (cached); empty when Slack refuses to say (an error
        code). A failure of any other shape (5xx, 429, a proxy's HTML page) raises ``RetryLater``:
        the event stays in the inbox and is run again, rather than read as "not shared"."""
        now = time.monotonic()
        cached = self._channels.get(channel)
        if cached is not None and cached[0] > now:
            return cached[1]
        # A refusal (channel_not_found) is an answer; any other failure is RetryLater (not cached).
        data = await lookup(client.conversations_info(channel=channel), f"conversations.info {channel}")
        found = data.get("channel") if data is not None else None
        info: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        self._channels[channel] = (now + CHANNEL_INFO_TTL_SECONDS, info)
        return info


def external_orgs(info: Mapping[str, Any], own: frozenset[str]) -> frozenset[str]:
    """The organisations other than the app's own that a channel is shared with, from
    ``conversations.info`` (``connected_team_ids``, less ``internal_team_ids`` of a Grid org)."""
    connected = info.get("connected_team_ids") or info.get("shared_team_ids") or []
    internal = set(info.get("internal_team_ids") or [])
    return frozenset(str(org) for org in connected if org and org not in own and org not in internal)
