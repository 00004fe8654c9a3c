"""A fake of Slack's Web API on loopback, for tests that drive the real slack_sdk / Bolt over HTTP.

``POST|GET /api/<method>`` answers as Slack does: HTTP 200 with ``{"ok": true, ...}`` in the real
response shapes, ``{"ok": false, "error": "..."}`` for a bad token, an unknown channel, user or
user group, or blocks beyond Slack's limits; HTTP 429 with ``Retry-After`` when told to::

    async with FakeSlack() as fake:
        fake.add_user("U_AGENT")                       # a member of the app's own workspace
        fake.add_user("U_CUSTOMER", team_id="T_ACME")  # a Slack Connect partner's member
        fake.add_channel("C_ACME", is_ext_shared=True)
        fake.rate_limit("chat.postMessage", times=1, retry_after=1)
        client = AsyncWebClient(token=fake.token, base_url=fake.api_url)

Every call is recorded (``calls``, ``calls_to``), arguments merged from the query string, form
and JSON body as slack_sdk sends them; ``wait_for`` waits for calls with a bounded timeout.
``response_url(name)`` gives a URL that records what Bolt's ``respond`` posts (``responses``).
``files_upload_v2`` works as with Slack (``tests.fakes.slack_files``): ``fake.files.uploads``.

Socket Mode: ``apps.connections.open`` (with the app-level token) hands out a WebSocket URL on the
same server; the fake greets with ``hello``, ``socket_send`` pushes an envelope as Slack does and
``wait_for_ack`` waits for the app to acknowledge it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web

from tests.fakes import slack_shapes as shapes
from tests.fakes.slack_files import FakeFiles

__all__ = ["Call", "FakeSlack"]

HOME_TEAM = "T_HOME"
Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API request as the fake received it (``status`` is what it answered)."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)


class FakeSlack:
    """Slack's Web API on 127.0.0.1 at a free port; use as an async context manager."""

    def __init__(
        self,
        *,
        token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
        team_id: str = HOME_TEAM,
        bot_user_id: str = "U_BOT",
        bot_id: str = "B_BOT",
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.enterprise_id: str | None = None  # set for an Enterprise Grid install
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.calls: list[Call] = []
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._limits: dict[str, list[int]] = {}
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._timeline: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # channel → ts → message
        self.add_user(bot_user_id, is_bot=True, name="assistant")
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._get_permalink,
            "views.open": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "reactions.add": self._reactions_add,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "apps.connections.open": self._connections_open,
        }
        self.files = FakeFiles(lambda: self.base_url, lambda: self.channels)  # files_upload_v2
        self._methods.update(self.files.methods())

    # set-up

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeSlack is not running: use it with `async with`.")
        return self._base_url

    @property
    def api_url(self) -> str:
        """What ``AsyncWebClient(base_url=...)`` takes (with its trailing slash)."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}/response/{name}"

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        is_bot: bool = False,
        is_restricted: bool = False,
        name: str | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        """A member; ``enterprise_id`` makes them an Enterprise Grid user of that organisation."""
        self.users[user_id] = shapes.user_record(
            user_id,
            team_id=team_id or self.team_id,
            is_bot=is_bot,
            is_restricted=is_restricted,
            name=name,
            enterprise_id=enterprise_id,
        )

    def add_channel(
        self,
        channel_id: str,
        *,
        is_ext_shared: bool = False,
        is_private: bool = False,
        external_teams: Sequence[str] = (),
    ) -> None:
        """A channel; a Slack Connect one (``is_ext_shared``) connects ``external_teams``."""
        self.channels[channel_id] = shapes.channel_record(
            channel_id,
            team_id=self.team_id,
            is_ext_shared=is_ext_shared,
            is_private=is_private,
            external_teams=external_teams,
        )

    def add_im(self, channel_id: str, user: str) -> None:
        """The app's direct-message conversation with ``user`` (``conversations.info`` of an IM, as
        Slack documents it: ``is_im`` and the other person's ``user``)."""
        self.channels[channel_id] = {
            "id": channel_id,
            "created": 1_700_000_000,
            "is_im": True,
            "is_org_shared": False,
            "user": user,
            "is_user_deleted": False,
            "priority": 0,
        }

    def add_usergroup(self, usergroup_id: str, members: list[str]) -> None:
        self.usergroups[usergroup_id] = list(members)

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        self._limits[method] = [times, retry_after]

    # inspection

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def answered(self, method: str) -> list[Call]:
        """Calls of ``method`` that succeeded (not rate-limited, not refused)."""
        return [c for c in self.calls_to(method) if c.status == 200 and c.response.get("ok")]

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Posted messages (``chat.postMessage`` arguments plus the ``ts`` given), in order."""
        posted = [{**c.args, "ts": c.response["ts"]} for c in self.answered("chat.postMessage")]
        return [
            m
            for m in posted
            if (channel is None or m["channel"] == channel)
            and (thread_ts is None or m.get("thread_ts") == thread_ts)
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` (matching ``where``) were made."""

        def found() -> list[Call]:
            return [c for c in self.answered(method) if where is None or where(c)]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(found()) >= count)
        return found()

    # Socket Mode

    async def wait_for_socket(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: any(not ws.closed for ws in self._sockets))

    async def socket_send(self, payload: dict[str, Any], *, envelope_id: str, retry_attempt: int = 0) -> None:
        """Deliver an Events API payload over the open WebSocket, as an ``events_api`` envelope."""
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        [socket] = [ws for ws in self._sockets if not ws.closed]
        await socket.send_json(envelope)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        def acked() -> list[dict[str, Any]]:
            return [a for a in self.socket_acks if a.get("envelope_id") == envelope_id]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: bool(acked()))
        return acked()[0]

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        async with self._changed:
            self._sockets.append(socket)
            self._changed.notify_all()
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A_APP"},
            }
        )
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.notify_all()
        return socket

    # server

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self.files.receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await shapes.request_arguments(request)
        authorization = request.headers.get("Authorization", "")
        token = (
            authorization.removeprefix("Bearer ")
            if authorization.startswith("Bearer ")
            else args.get("token")
        )
        now = time.monotonic()
        limit = self._limits.get(method)
        if limit is not None and limit[0] > 0:
            limit[0] -= 1
            body = {"ok": False, "error": "ratelimited"}
            await self._record(Call(method, args, token, now, 429, body))
            return web.json_response(body, status=429, headers={"Retry-After": str(limit[1])})
        handler = self._methods.get(method)
        expected = self.app_token if method == "apps.connections.open" else self.token
        if token is None:
            body = {"ok": False, "error": "not_authed"}
        elif token != expected:
            body = {"ok": False, "error": "invalid_auth"}
        elif handler is None:
            body = {"ok": False, "error": "unknown_method"}
        else:
            body = handler(args)
        await self._record(Call(method, args, token, now, 200, body))
        return web.json_response(body)

    async def _response_url(self, request: web.Request) -> web.Response:
        async with self._changed:
            self.responses[request.match_info["name"]].append(await request.json())
            self._changed.notify_all()
        return web.Response(text="ok")

    # methods

    def _next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://home.slack.com/",
            "team": "Home Inc",
            "user": "assistant",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
        }

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        return shapes.bot_message(
            args, ts=ts, user=self.bot_user_id, bot_id=self.bot_id, team_id=self.team_id
        )

    def _keep(self, channel: str, message: dict[str, Any]) -> None:
        """The channel's timeline, as ``conversations.history`` and ``.replies`` read it."""
        kept = self._timeline[channel].get(message["ts"])
        if kept is not None and "metadata" in kept and "metadata" not in message:
            message = {**message, "metadata": kept["metadata"]}  # chat.update keeps metadata
        self._timeline[channel][message["ts"]] = message

    @staticmethod
    def _shown(message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("include_all_metadata", "")).lower() in ("1", "true"):
            return message
        return {k: v for k, v in message.items() if k != "metadata"}

    def _check_message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if args.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        problem = shapes.block_problem(args.get("blocks") or [])
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        if "metadata" in args and shapes.metadata_of(args) is None:
            return {"ok": False, "error": "invalid_metadata_format"}
        return None

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        refusal = self._check_message(args)
        if refusal is not None:
            return refusal
        ts = self._next_ts()
        message = self._message(args, ts)
        self._keep(args["channel"], message)
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": self._message(args, ts)}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        refusal = self._check_message(args)
        if refusal is not None:
            return refusal
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        message = self._message(args, args["ts"])
        if args["ts"] in self._timeline[args["channel"]]:
            self._keep(args["channel"], {**self._timeline[args["channel"]][args["ts"]], **message})
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": args["ts"],
            "text": message["text"],
            "message": message,
        }

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        refusal = self._check_message(args)
        if refusal is not None:
            return refusal
        if args.get("user") not in self.users:
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        """A message's link as Slack gives it (slack_sdk reads it with GET): the workspace URL,
        ``/archives/<channel>/p<ts without the dot>``, and for a reply its thread and channel."""
        channel, ts = args.get("channel", ""), str(args.get("message_ts") or "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "invalid_arguments"}
        link = f"https://home.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        kept = self._timeline[channel].get(ts) or {}
        root = kept.get("thread_ts")
        if root and root != ts:
            link += f"?thread_ts={root}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            return {"ok": False, "error": "invalid_arguments"}
        if view["type"] == "modal" and not (args.get("trigger_id") or args.get("view_id")):
            return {"ok": False, "error": "invalid_trigger_id"}
        problem = shapes.block_problem(view.get("blocks") or [], limit=100)
        if problem:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [problem]}}
        return {
            "ok": True,
            "view": shapes.view_record(view, f"V{next(self._views):08d}", self.team_id, self.bot_id),
        }

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("name") or not args.get("timestamp"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(args.get("channel", ""))
        return {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """The app's messages in a thread (the fake knows no one else's), oldest first."""
        channel, root = args.get("channel", ""), args.get("ts")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not root:
            return {"ok": False, "error": "invalid_arguments"}
        thread = [
            self._shown(m, args)
            for ts, m in sorted(self._timeline[channel].items())
            if ts == root or m.get("thread_ts") == root
        ]
        return {"ok": True, "messages": thread, "has_more": False}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The app's top-level messages in a channel after ``oldest``, newest first."""
        channel = args.get("channel", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        newest_first = [
            self._shown(m, args)
            for ts, m in sorted(self._timeline[channel].items(), reverse=True)
            if float(ts) > oldest and m.get("thread_ts") in (None, ts)
        ]
        return {"ok": True, "messages": newest_first[:limit], "has_more": len(newest_first) > limit}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/socket"}

    def _usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        members = self.usergroups.get(args.get("usergroup", ""))
        return (
            {"ok": True, "users": members}
            if members is not None
            else {"ok": False, "error": "no_such_subteam"}
        )
