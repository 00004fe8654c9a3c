"""What the fakes of REST services (GitHub, Jira) share: a loopback aiohttp server that records
every request and can be told to misbehave on the next matching one.

``Recorded`` keeps what a test checks: method, path, query, JSON body and headers. ``Fault``s
are consumed in order by the first request they match:

* ``rate_limit``: refused before anything happens, with the given status and headers;
* ``server_error``: a 500 before anything happens;
* ``lost_reply``: the request is *done*, then the reply never comes in time (the server sleeps
  past the client's timeout), as when a connection drops after the service committed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

FaultKind = Literal["rate_limit", "server_error", "lost_reply"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOST_REPLY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass(slots=True)
class Fault:
    method: str
    path_suffix: str
    kind: FaultKind
    status: int = 429
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class FakeHttpService:
    """Subclasses add routes in ``routes`` and keep their own state."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def authorized(self, request: web.Request) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> web.Response:
        raise NotImplementedError

    def fail_next(self, method: str, path_suffix: str, kind: FaultKind, **kw: Any) -> None:
        self.faults.append(Fault(method, path_suffix, kind, **kw))

    def calls(self, method: str, path_suffix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._middleware])
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(
            Recorded(request.method, request.path, dict(request.query), body, dict(request.headers))
        )
        if not self.authorized(request):
            return self.unauthorized()
        fault = next(
            (f for f in self.faults if f.method == request.method and request.path.endswith(f.path_suffix)),
            None,
        )
        if fault is not None:
            self.faults.remove(fault)
            if fault.kind == "rate_limit":
                return web.json_response(fault.body or {}, status=fault.status, headers=fault.headers)
            if fault.kind == "server_error":
                return web.json_response({"message": "Server Error"}, status=500)
            response = await handler(request)
            await asyncio.sleep(LOST_REPLY_SECONDS)
            return response
        return await handler(request)
