"""The fake Slack Web API with outages: server errors and requests that never get an answer.

``FaultySlack`` is ``tests.fakes.FakeSlack`` plus three faults, each for one Web API method and
optionally only for calls matching a predicate (e.g. one channel)::

    fake.fail("chat.postMessage", times=3, status=500)   # the next 3 calls answer HTTP 500
    fake.hang("chat.postMessage")                         # calls wait forever (until the fake closes)
    fake.lose_answer("chat.postMessage", times=1)         # done, but the connection drops unanswered

``attempts(method)`` lists every call received, including failed and hanging ones;
``wait_for_attempt`` waits for one (the ``count``-th, optionally of those matching a predicate).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes import FakeSlack
from tests.fakes import slack_shapes as shapes
from tests.fakes.slack_api import Call

Where = Callable[[dict[str, Any]], bool]


class FaultySlack(FakeSlack):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._failures: dict[str, tuple[list[int], int, Where | None]] = {}
        self._hanging: dict[str, Where] = {}
        self._losing: dict[str, tuple[list[int], Where | None]] = {}
        self._received: list[Call] = []
        self._pages: dict[str, tuple[str | None, str]] = {}

    def fail(
        self,
        method: str,
        *,
        times: int,
        status: int = 500,
        where: Where | None = None,
        body: str | None = None,
        content_type: str = "text/html",
    ) -> None:
        """Answer the next ``times`` matching calls of ``method`` with HTTP ``status``: Slack's
        JSON error, or ``body`` as ``content_type`` (a proxy's page in front of Slack)."""
        self._failures[method] = ([times], status, where)
        self._pages[method] = (body, content_type)

    def hang(self, method: str, *, where: Where | None = None) -> None:
        """Never answer matching calls of ``method`` (the caller times out or is killed)."""
        self._hanging[method] = where or (lambda args: True)

    def lose_answer(self, method: str, *, times: int, where: Where | None = None) -> None:
        """Do the next ``times`` matching calls of ``method`` (a post is posted), then drop the
        connection instead of answering: the caller cannot tell whether it happened."""
        self._losing[method] = ([times], where)

    def recover(self) -> None:
        self._failures.clear()
        self._pages.clear()
        self._hanging.clear()
        self._losing.clear()

    def attempts(self, method: str) -> list[Call]:
        return [call for call in self._received if call.method == method]

    async def wait_for_attempt(
        self, method: str, *, timeout: float = 30.0, count: int = 1, where: Where | None = None
    ) -> Call:
        """The ``count``-th call of ``method`` received (matching ``where``), once it arrived."""

        def found() -> list[Call]:
            return [call for call in self.attempts(method) if where is None or where(call.args)]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(found()) >= count)
        return found()[count - 1]

    async def _api(self, request: web.Request) -> web.Response:
        """The faults, then ``FakeSlack._api``'s handling (repeated: a request body is read once)."""
        method = request.match_info["method"]
        args = await shapes.request_arguments(request)
        now = time.monotonic()
        async with self._changed:
            self._received.append(Call(method, args, None, now))
            self._changed.notify_all()
        hang = self._hanging.get(method)
        if hang is not None and hang(args):
            await asyncio.Event().wait()
        failure = self._failures.get(method)
        if failure is not None and failure[0][0] > 0 and (failure[2] is None or failure[2](args)):
            failure[0][0] -= 1
            body = {"ok": False, "error": "fatal_error"}
            await self._record(Call(method, args, None, now, failure[1], body))
            page, content_type = self._pages.get(method, (None, ""))
            if page is not None:
                return web.Response(text=page, status=failure[1], content_type=content_type)
            return web.json_response(body, status=failure[1])
        authorization = request.headers.get("Authorization", "")
        bearer = authorization.startswith("Bearer ")
        token = authorization.removeprefix("Bearer ") if bearer else args.get("token")
        handler = self._methods.get(method)
        if token != self.token or handler is None:
            body = {"ok": False, "error": "invalid_auth" if handler else "unknown_method"}
        else:
            body = handler(args)
        await self._record(Call(method, args, token, now, 200, body))
        losing = self._losing.get(method)
        if losing is not None and losing[0][0] > 0 and (losing[1] is None or losing[1](args)):
            losing[0][0] -= 1
            if request.transport is not None:
                request.transport.close()
        return web.json_response(body)
