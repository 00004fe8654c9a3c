"""A fake of the Bot Connector REST API (Teams' ``serviceUrl``) on loopback, for the real SDK.

Answers as the real connector does, in its JSON shapes::

    POST /v3/conversations                                  create a conversation: a channel thread
                                                            (channelData.channel), or the 1:1 chat
                                                            with one member (isGroup false)
                                                            -> {"id", "activityId", "serviceUrl"}
    POST /v3/conversations/{id}/activities                  send            -> {"id": "..."}
    POST /v3/conversations/{id}/activities/{replyToId}      reply           -> {"id": "..."}
    PUT  /v3/conversations/{id}/activities/{activityId}     update a card   -> {"id": activityId}
    GET  /v3/conversations/{id}/members/{userId}            a roster member (TeamsChannelAccount)

Unknown members get 404 with the connector's error body. Every request is recorded as a
``Posted`` (with the bearer token it carried, or None); ``wait_for`` waits for them::

    async with FakeBotConnector() as connector:
        connector.add_member("29:agent", aad_object_id="aad-agent", tenant_id=HOME_TENANT)
        activity["serviceUrl"] = connector.service_url
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

__all__ = ["FakeBotConnector", "Posted"]

Kind = Literal["create", "send", "reply", "update"]


@dataclass(frozen=True, slots=True)
class Posted:
    """One write the bot made: ``id`` is the message's id (new, or the updated one's)."""

    kind: Kind
    conversation: str
    id: str
    activity: dict[str, Any]
    token: str | None
    reply_to: str | None = None
    channel: str | None = None
    member: str | None = None  # the person of a 1:1 chat the bot created

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return dict(attachment["content"])
        return None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")


class FakeBotConnector:
    """The Bot Connector on 127.0.0.1 at a free port; use as an async context manager."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.members: dict[str, dict[str, Any]] = {}
        self.lookups: list[str] = []
        self.roster_failures = 0  # the next roster lookups answered 503, as when the service is down
        self._ids = itertools.count(1_700_000_000_001)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def service_url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeBotConnector is not running: use it with `async with`.")
        return self._url

    def add_member(
        self,
        user_id: str,
        *,
        aad_object_id: str,
        tenant_id: str,
        name: str = "",
        user_role: str = "user",
    ) -> None:
        self.members[user_id] = {
            "id": user_id,
            "name": name or user_id,
            "aadObjectId": aad_object_id,
            "tenantId": tenant_id,
            "userRole": user_role,
            "userPrincipalName": f"{name or 'user'}@example.com",
        }

    # reading what the bot did

    def writes(self, kind: Kind | None = None, conversation: str | None = None) -> list[Posted]:
        return [
            p
            for p in self.posted
            if (kind is None or p.kind == kind) and (conversation is None or p.conversation == conversation)
        ]

    def in_thread(self, conversation: str) -> list[Posted]:
        """Messages the bot posted in a conversation (sends and replies, not updates)."""
        return [p for p in self.posted if p.conversation == conversation and p.kind in ("send", "reply")]

    def threads_started(self, channel: str) -> list[Posted]:
        return [p for p in self.posted if p.kind == "create" and p.channel == channel]

    def direct_to(self, user_id: str) -> list[Posted]:
        """What the bot said to ``user_id`` in its 1:1 chat (created with a message, or sent there)."""
        chats = {p.conversation for p in self.posted if p.kind == "create" and p.member == user_id}
        return [p for p in self.posted if p.conversation in chats and (p.kind != "create" or p.activity)]

    async def wait_for(self, kind: Kind, count: int = 1, timeout: float = 10.0) -> list[Posted]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.writes(kind)) >= count)
        return self.writes(kind)

    # the server

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}/"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, posted: Posted) -> None:
        async with self._changed:
            self.posted.append(posted)
            self._changed.notify_all()

    @staticmethod
    def _token(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None

    @staticmethod
    async def _activity(request: web.Request) -> dict[str, Any]:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("type"):
            raise web.HTTPBadRequest(text='{"error": {"code": "BadArgument", "message": "activity"}}')
        return body

    async def _create(self, request: web.Request) -> web.Response:
        parameters = await request.json()
        channel = ((parameters.get("channelData") or {}).get("channel") or {}).get("id")
        members = parameters.get("members") or []
        if not channel and not parameters.get("isGroup") and len(members) == 1:
            return await self._create_chat(request, parameters, str(members[0].get("id") or ""))
        if not channel or not parameters.get("activity"):
            return web.json_response({"error": {"code": "BadArgument", "message": "channel"}}, status=400)
        activity_id = str(next(self._ids))
        conversation = f"{channel};messageid={activity_id}"
        await self._record(
            Posted(
                "create",
                conversation,
                activity_id,
                parameters["activity"],
                self._token(request),
                channel=channel,
            )
        )
        return web.json_response(
            {"id": conversation, "activityId": activity_id, "serviceUrl": self.service_url}
        )

    async def _create_chat(
        self, request: web.Request, parameters: dict[str, Any], member: str
    ) -> web.Response:
        """The bot's 1:1 chat with ``member`` (the same chat each time, as Teams answers); a member
        not in the roster is refused as the connector does."""
        tenant = (
            parameters.get("tenantId")  # the REST docs' spelling
            or parameters.get("tenantID")  # the Python SDK's
            or ((parameters.get("channelData") or {}).get("tenant") or {}).get("id")
        )
        if member not in self.members or not tenant:
            error = {"code": "BadArgument", "message": "Failed to create conversation."}
            return web.json_response({"error": error}, status=403 if member else 400)
        conversation = f"a:1:{member.removeprefix('29:')}"
        activity = parameters.get("activity") or {}
        activity_id = str(next(self._ids)) if activity else ""
        posted = Posted("create", conversation, activity_id, activity, self._token(request), member=member)
        await self._record(posted)
        body = {"id": conversation, "serviceUrl": self.service_url}
        if activity_id:
            body["activityId"] = activity_id
        return web.json_response(body)

    async def _send(self, request: web.Request) -> web.Response:
        activity = await self._activity(request)
        new_id = str(next(self._ids))
        conversation = request.match_info["conversation"]
        await self._record(Posted("send", conversation, new_id, activity, self._token(request)))
        return web.json_response({"id": new_id})

    async def _reply(self, request: web.Request) -> web.Response:
        activity = await self._activity(request)
        new_id = str(next(self._ids))
        conversation, reply_to = request.match_info["conversation"], request.match_info["activity"]
        await self._record(
            Posted("reply", conversation, new_id, activity, self._token(request), reply_to=reply_to)
        )
        return web.json_response({"id": new_id})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await self._activity(request)
        conversation, activity_id = request.match_info["conversation"], request.match_info["activity"]
        await self._record(Posted("update", conversation, activity_id, activity, self._token(request)))
        return web.json_response({"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        member_id = request.match_info["member"]
        self.lookups.append(member_id)
        if self.roster_failures > 0:
            self.roster_failures -= 1
            error = {"code": "ServiceUnavailable", "message": "The service is temporarily unavailable."}
            return web.json_response({"error": error}, status=503)
        member = self.members.get(member_id)
        if member is None:
            error = {
                "code": "MemberNotFoundInConversation",
                "message": "The member is not in the conversation.",
            }
            return web.json_response({"error": error}, status=404)
        return web.json_response(member)
