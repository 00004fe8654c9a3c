"""Sending to Teams outside the turn that asked for it: stored conversation references.

Every incoming activity's ``ConversationReference`` (service URL, conversation, bot) is stored as
JSON in the conversation store, under the conversation it came from and, for a channel, under the
channel itself. An installation (``installationUpdate``, or the ``conversationUpdate`` that adds the
bot) is also stored under ``installed:<tenant id>`` (and ``latest-install``, the latest anywhere):
that is the service URL a new thread in a channel of the tenant is created with when the bot has
never seen the channel itself; a customer's conversation never lends its address. Each team's
channels are listed under ``team:<team id>``, so an uninstall forgets them all.

``send`` continues a stored conversation (``CloudAdapter.continue_conversation``) and
``start_thread`` creates a new thread in a channel (``create_conversation``): both work from
the database alone, so hand-offs, drafts sent by agents and digests reach their conversation after
a restart too. ``send_direct`` opens (or reuses) the 1:1 chat with a person, for what only they
should read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import CloudAdapterBase, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from adapters.teams.activities import Place, channel_conversation
from adapters.teams.cards import Card, attachment
from adapters.teams.constants import CHANNEL_ID, PLATFORM
from assistant.conversations import ConversationStore
from assistant.errors import NotFoundError

log = logging.getLogger(__name__)


def card_activity(content: Card, summary: str = "") -> Activity:
    return Activity(
        type=ActivityTypes.message, attachments=[attachment(content)], summary=summary[:200] or None
    )


def text_activity(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=text)


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a message went: its conversation and its id."""

    conversation: str
    activity_id: str


INSTALLED = "installed:"
LATEST_INSTALL = "latest-install"
TEAM = "team:"
_INSTALLS = frozenset({ActivityTypes.conversation_update, ActivityTypes.installation_update})


def tenant_of(activity: Activity) -> str | None:
    """The tenant an activity comes from (``channelData.tenant``, else the conversation's), lower-cased."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id") or (
        activity.conversation.tenant_id if activity.conversation else None
    )
    return str(tenant).lower() if tenant else None


class Messenger:
    """Stores references and sends through the adapter with them."""

    def __init__(
        self,
        *,
        adapter: CloudAdapterBase,
        conversations: ConversationStore,
        app_id: str | None,
        home_tenant: str | None = None,
    ) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._app_id = app_id or ""
        self._home_tenant = home_tenant.lower() if home_tenant else None

    async def remember(self, activity: Activity, place: Place) -> None:
        """Store where replies to this activity's conversation (and channel) go; for an
        installation, where the tenant's channels are reached (nothing for an uninstall)."""
        if activity.type == ActivityTypes.installation_update and (activity.action or "").startswith(
            "remove"
        ):
            return
        reference = TurnContext.get_conversation_reference(activity)
        await self._save(place.conversation, reference)
        if place.channel != place.conversation:
            channel_reference = TurnContext.get_conversation_reference(activity)
            channel_reference.activity_id = None
            conversation = channel_reference.conversation
            conversation.id = channel_conversation(place.channel)
            await self._save(place.channel, channel_reference)
        if place.team:
            await self._list_channel(place.team, place.channel)
        tenant = tenant_of(activity)
        if activity.type in _INSTALLS and tenant:
            installed = TurnContext.get_conversation_reference(activity)
            installed.activity_id = None
            await self._save(f"{INSTALLED}{tenant}", installed)
            await self._save(LATEST_INSTALL, installed)

    async def _list_channel(self, team: str, channel: str) -> None:
        key = f"{TEAM}{team}"
        listed = await self._conversations.get_reference(PLATFORM, key) or {}
        channels = list(listed.get("channels") or [])
        if channel not in channels:
            await self._conversations.save_reference(PLATFORM, key, {"channels": [*channels, channel]})

    async def forget(self, activity: Activity, place: Place) -> int:
        """The app was removed from a team, a group chat or a 1:1 chat: delete every stored
        reference there (a team's channels and their threads); how many were deleted."""
        forgotten = 0
        keys = [place.channel]
        if place.team:
            listed = await self._conversations.get_reference(PLATFORM, f"{TEAM}{place.team}") or {}
            keys += [str(channel) for channel in listed.get("channels") or []]
            keys += [place.team, f"{TEAM}{place.team}"]
        for key in dict.fromkeys(keys):
            forgotten += await self._conversations.forget_references(PLATFORM, key)
        gone = {channel_conversation(key) for key in keys}
        tenant = tenant_of(activity)
        for installed in ([f"{INSTALLED}{tenant}"] if tenant else []) + [LATEST_INSTALL]:
            stored = await self._conversations.get_reference(PLATFORM, installed)
            if stored is not None and (stored.get("conversation") or {}).get("id") in gone:
                forgotten += await self._conversations.forget_references(PLATFORM, installed)
        return forgotten

    async def _save(self, key: str, reference: ConversationReference) -> None:
        await self._conversations.save_reference(PLATFORM, key, reference.serialize())

    async def reference(self, conversation: str) -> ConversationReference:
        stored = await self._conversations.get_reference(PLATFORM, conversation)
        if stored is None:
            raise NotFoundError(f"No conversation reference is stored for {conversation}.")
        return ConversationReference.deserialize(stored)

    async def has_reference(self, conversation: str) -> bool:
        return await self._conversations.get_reference(PLATFORM, conversation) is not None

    async def send(self, conversation: str, activity: Activity) -> Sent:
        """Post ``activity`` to a stored conversation (a reply in its thread when it is one)."""
        reference = await self.reference(conversation)
        sent: list[str] = []
        failed: list[Exception] = []

        async def logic(context: TurnContext) -> None:
            # A reply to the stored message (a thread's root or last message), not to the SDK's
            # continuation event: the adapter addresses replies to the turn activity's id.
            context.activity.id = reference.activity_id
            try:
                response = await context.send_activity(activity)
            except Exception as exc:  # raised to the caller below, not swallowed by the turn's error handler
                failed.append(exc)
                return
            sent.append(response.id if response is not None and response.id else "")

        await self._adapter.continue_conversation(reference, logic, bot_app_id=self._app_id)
        if failed:
            raise failed[0]
        return Sent(conversation=conversation, activity_id=sent[0] if sent else "")

    async def _where_to_start(self, channel: str) -> str:
        """The stored reference a new thread in ``channel`` is created with: the channel's own, else
        the installation in the vendor's tenant (or the latest installation when no tenant is set)."""
        installed = f"{INSTALLED}{self._home_tenant}" if self._home_tenant else LATEST_INSTALL
        for key in (channel, installed):
            if await self.has_reference(key):
                return key
        raise NotFoundError(
            f"The bot cannot reach channel {channel}: add the app to that channel's team first."
        )

    async def start_thread(self, channel: str, activity: Activity) -> Sent:
        """A new thread in Teams channel ``channel``: created through the Bot Connector with the
        channel's stored reference, or the installation's when the bot was never messaged there."""
        reference = await self.reference(await self._where_to_start(channel))
        data: dict[str, Any] = {"channel": {"id": channel}}
        tenant = reference.conversation.tenant_id if reference.conversation else None
        if tenant:
            data["tenant"] = {"id": tenant}
        parameters = ConversationParameters(
            is_group=True, bot=reference.bot, channel_data=data, activity=activity, tenant_id=tenant
        )
        created: list[Sent] = []

        async def logic(context: TurnContext) -> None:
            started = context.activity
            created.append(Sent(conversation=str(started.conversation.id), activity_id=str(started.id or "")))
            new = TurnContext.get_conversation_reference(started)
            new.bot = reference.bot
            await self._save(str(started.conversation.id), new)

        await self._adapter.create_conversation(
            self._app_id, logic, parameters, CHANNEL_ID, reference.service_url, None
        )
        return created[0]

    async def send_direct(self, turn: Activity, user: ChannelAccount, activity: Activity) -> Sent:
        """Send ``activity`` to ``user`` alone, in the bot's 1:1 chat with them (created through the
        Bot Connector with the turn's service URL and tenant; Teams returns the existing chat)."""
        data = turn.channel_data if isinstance(turn.channel_data, dict) else {}
        tenant = (data.get("tenant") or {}).get("id") or (
            turn.conversation.tenant_id if turn.conversation else None
        )
        parameters = ConversationParameters(
            is_group=False,
            bot=turn.recipient,
            members=[ChannelAccount(id=user.id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
            activity=activity,
        )
        created: list[Sent] = []

        async def logic(context: TurnContext) -> None:
            started = context.activity
            created.append(Sent(conversation=str(started.conversation.id), activity_id=str(started.id or "")))

        await self._adapter.create_conversation(
            self._app_id, logic, parameters, CHANNEL_ID, str(turn.service_url), None
        )
        return created[0]
