"""Bot Framework activities as Teams sends them (shapes from the Bot Framework and Teams docs),
and a sender that POSTs them to the bot's ``/api/messages`` over real HTTP.

Channel messages carry the thread in ``conversation.id`` (``<channel>;messageid=<root>``) and the
channel, team and tenant in ``channelData``; a card's ``Action.Execute`` arrives as an ``invoke``
named ``adaptiveCard/action``; its ``Action.Submit`` fallback as a ``message`` with ``value``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

__all__ = ["Teams", "TeamsSender", "person"]

BOT_ID = "28:bot-app-id"
BOT_NAME = "Support Assistant"


@dataclass
class Teams:
    """Builds activities for one tenant's Teams, all pointing at ``service_url``."""

    service_url: str
    tenant_id: str
    team_id: str = "19:team-acme@thread.tacv2"
    bot_id: str = BOT_ID
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_710_000_000_001))

    def new_id(self) -> str:
        return str(next(self._ids))

    def _base(self, kind: str, user: dict[str, Any], conversation: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": kind,
            "id": self.new_id(),
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": user,
            "conversation": {"tenantId": self.tenant_id, **conversation},
            "recipient": {"id": self.bot_id, "name": BOT_NAME},
            "locale": "en-US",
        }

    def _channel_data(self, channel: str | None) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if channel is not None:
            data.update(
                teamsChannelId=channel,
                teamsTeamId=self.team_id,
                channel={"id": channel},
                team={"id": self.team_id},
            )
        return data

    def channel_message(
        self,
        channel: str,
        user: dict[str, Any],
        text: str,
        *,
        thread: str | None = None,
        mention: bool = True,
    ) -> dict[str, Any]:
        """A post at the top of ``channel`` (its own id is the thread), or a reply in ``thread``."""
        activity = self._base("message", user, {"isGroup": True, "conversationType": "channel", "id": ""})
        root = thread or activity["id"]
        activity["conversation"]["id"] = f"{channel};messageid={root}"
        if mention:
            at = f"<at>{BOT_NAME}</at>"
            activity["text"] = f"{at} {text}"
            activity["entities"] = [
                {"type": "mention", "mentioned": {"id": self.bot_id, "name": BOT_NAME}, "text": at}
            ]
        else:
            activity["text"] = text
        activity["textFormat"] = "plain"
        activity["channelData"] = self._channel_data(channel)
        if thread is not None:
            activity["replyToId"] = thread
        return activity

    def message_edit(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        """Teams' ``messageUpdate`` for an edit (``channelData.eventType`` ``editMessage``): the
        edited message's id and conversation, the new text."""
        activity = {**original, "type": "messageUpdate", "text": text}
        activity["channelData"] = {**original.get("channelData", {}), "eventType": "editMessage"}
        return activity

    def message_delete(self, original: dict[str, Any]) -> dict[str, Any]:
        """Teams' ``messageDelete`` for a deletion (``channelData.eventType`` ``softDeleteMessage``)."""
        activity = {k: v for k, v in original.items() if k not in ("text", "entities", "textFormat")}
        activity["type"] = "messageDelete"
        activity["channelData"] = {**original.get("channelData", {}), "eventType": "softDeleteMessage"}
        return activity

    def personal_message(self, user: dict[str, Any], text: str, *, chat: str) -> dict[str, Any]:
        activity = self._base("message", user, {"conversationType": "personal", "id": chat})
        activity.update(text=text, textFormat="plain", channelData=self._channel_data(None))
        return activity

    def card_action(
        self,
        user: dict[str, Any],
        action: dict[str, Any],
        *,
        conversation: str,
        card_id: str,
        channel: str | None,
        inputs: dict[str, Any] | None = None,
        trigger: str = "manual",
    ) -> dict[str, Any]:
        """The ``adaptiveCard/action`` invoke for a click on ``action`` (an Action.Execute), or with
        ``trigger="automatic"`` a client refreshing the card (its ``refresh.action``)."""
        kind = (
            {"conversationType": "channel", "isGroup": True} if channel else {"conversationType": "personal"}
        )
        activity = self._base("invoke", user, {**kind, "id": conversation})
        activity.update(
            name="adaptiveCard/action",
            replyToId=card_id,
            channelData={**self._channel_data(channel), "source": {"name": "message"}},
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": action["verb"],
                    "data": {**action.get("data", {}), **(inputs or {})},
                },
                "trigger": trigger,
            },
        )
        return activity

    def card_submit(
        self,
        user: dict[str, Any],
        action: dict[str, Any],
        *,
        conversation: str,
        card_id: str,
        channel: str | None,
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The message an ``Action.Submit`` (the Action.Execute's fallback) sends."""
        submit = action["fallback"]
        assert submit["type"] == "Action.Submit"
        kind = (
            {"conversationType": "channel", "isGroup": True} if channel else {"conversationType": "personal"}
        )
        activity = self._base("message", user, {**kind, "id": conversation})
        activity.update(
            replyToId=card_id,
            channelData=self._channel_data(channel),
            value={**submit["data"], **(inputs or {})},
        )
        return activity

    def reaction(
        self,
        channel: str,
        user: dict[str, Any],
        *,
        message_id: str,
        thread: str,
        added: list[str] | None = None,
        removed: list[str] | None = None,
    ) -> dict[str, Any]:
        """The ``messageReaction`` activity for ``user`` reacting to ``message_id`` in a channel thread
        (Bot Framework: ``reactionsAdded`` / ``reactionsRemoved`` of ``{"type": "like"}``, the message
        reacted to in ``replyToId``)."""
        activity = self._base(
            "messageReaction",
            user,
            {"isGroup": True, "conversationType": "channel", "id": f"{channel};messageid={thread}"},
        )
        activity.update(replyToId=message_id, channelData=self._channel_data(channel))
        if added:
            activity["reactionsAdded"] = [{"type": kind} for kind in added]
        if removed:
            activity["reactionsRemoved"] = [{"type": kind} for kind in removed]
        return activity

    def message_action(
        self,
        channel: str,
        user: dict[str, Any],
        *,
        command: str,
        message_id: str,
        thread: str,
        author: dict[str, Any],
        text: str,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``composeExtension/submitAction`` invoke of a message action (``fetchTask: false``)
        run on ``message_id``: the command, the parameters' values in ``data`` and the message in
        ``messagePayload`` (Teams' MessageActionsPayload)."""
        activity = self._base(
            "invoke",
            user,
            {"isGroup": True, "conversationType": "channel", "id": f"{channel};messageid={thread}"},
        )
        activity.update(
            name="composeExtension/submitAction",
            channelData={**self._channel_data(channel), "source": {"name": "message"}},
            value={
                "commandId": command,
                "commandContext": "message",
                "context": {"theme": "default"},
                "data": data or {},
                "messagePayload": {
                    "id": message_id,
                    "replyToId": thread,
                    "messageType": "message",
                    "createdDateTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "importance": "normal",
                    "locale": "en-us",
                    "from": {
                        "user": {
                            "id": author["aadObjectId"],
                            "displayName": author["name"],
                            "userIdentityType": "aadUser",
                        }
                    },
                    "body": {"contentType": "html", "content": f"<p>{text}</p>"},
                    "attachments": [],
                    "mentions": [],
                    "reactions": [],
                },
            },
        )
        return activity

    def bot_added(self, channel: str, user: dict[str, Any]) -> dict[str, Any]:
        """The conversationUpdate Teams sends when the bot is added to a team."""
        activity = self._base(
            "conversationUpdate", user, {"isGroup": True, "conversationType": "channel", "id": channel}
        )
        activity.update(
            membersAdded=[{"id": self.bot_id}],
            channelData={**self._channel_data(channel), "eventType": "teamMemberAdded"},
        )
        return activity

    def installation(
        self,
        user: dict[str, Any],
        action: str,
        *,
        channel: str | None = None,
        chat: str | None = None,
        group: bool = False,
    ) -> dict[str, Any]:
        """Teams' ``installationUpdate`` (``action`` "add" or "remove"): in a team, the conversation is
        the team's General channel and ``channelData.settings.selectedChannel`` the channel chosen;
        in a chat, the chat (``personal`` or ``groupChat``)."""
        if channel is not None:
            kind: dict[str, Any] = {"isGroup": True, "conversationType": "channel", "id": self.team_id}
            data = {
                **self._channel_data(self.team_id),
                "settings": {"selectedChannel": {"id": channel}},
                "source": None,
            }
        else:
            kind = {"conversationType": "groupChat" if group else "personal", "id": chat or ""}
            if group:
                kind["isGroup"] = True
            data = self._channel_data(None)
        activity = self._base("installationUpdate", user, kind)
        activity.update(action=action, channelData=data)
        return activity

    def chat_added(self, user: dict[str, Any], *, chat: str, group: bool = False) -> dict[str, Any]:
        """The conversationUpdate when the bot is added to a 1:1 or group chat."""
        kind: dict[str, Any] = {"conversationType": "groupChat" if group else "personal", "id": chat}
        if group:
            kind["isGroup"] = True
        activity = self._base("conversationUpdate", user, kind)
        activity.update(membersAdded=[{"id": self.bot_id}], channelData=self._channel_data(None))
        return activity

    def group_message(
        self, user: dict[str, Any], text: str, *, chat: str, mention: bool = True
    ) -> dict[str, Any]:
        """A message in a group chat (the bot receives those that @mention it)."""
        activity = self._base("message", user, {"isGroup": True, "conversationType": "groupChat", "id": chat})
        at = f"<at>{BOT_NAME}</at>"
        activity.update(
            text=f"{at} {text}" if mention else text, textFormat="plain", channelData=self._channel_data(None)
        )
        if mention:
            activity["entities"] = [
                {"type": "mention", "mentioned": {"id": self.bot_id, "name": BOT_NAME}, "text": at}
            ]
        return activity

    def message_back(
        self, channel: str, user: dict[str, Any], *, value: str, text: str, conversation: str, card_id: str
    ) -> dict[str, Any]:
        """A ``messageBack`` click in a channel thread: the bot gets the button's ``text`` and its
        ``value`` as given (a string, often serialised JSON)."""
        activity = self._base(
            "message", user, {"isGroup": True, "conversationType": "channel", "id": conversation}
        )
        activity.update(text=text, value=value, replyToId=card_id, channelData=self._channel_data(channel))
        return activity


def person(user_id: str, aad_object_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "name": name, "aadObjectId": aad_object_id}


class TeamsSender:
    """POSTs activities to ``/api/messages`` as the Bot Connector does."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self.url = url

    async def post(
        self, activity: Any, *, token: str | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(activity).encode()
        async with self._session.post(self.url, data=data, headers=headers) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            return response.status, body
