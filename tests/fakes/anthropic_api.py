"""A fake of Anthropic's Messages API on loopback, for tests that drive the real SDK over HTTP.

``POST /v1/messages`` answers as the real API does: a ``message`` object on success, the
``{"type": "error", "error": {...}}`` shape with the real status codes and error types otherwise.
Each test scripts the answers in order::

    async with FakeAnthropic(script=[rate_limited(), Reply("It is blue [1].")]) as fake:
        client = AsyncAnthropic(api_key=fake.api_key, base_url=fake.base_url)
        ...
        assert len(fake.requests) == 2

Every request that reaches the server is recorded, body in ``requests`` and headers in
``request_headers``, including those refused for a bad key. When the script runs out the fake
answers 500 with ``x-should-retry: false``, so a test that sends too many requests fails.

The fake accepts the key as ``x-api-key`` (what the API documents) or as ``Authorization: Bearer``
(what the installed SDK 2.x sends for ``api_key``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = [
    "Delay",
    "FakeAnthropic",
    "HttpError",
    "RawBody",
    "Reply",
    "ScriptStep",
    "api_error",
    "overloaded",
    "rate_limited",
]

_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Reply:
    """A 200 ``message`` whose text is fixed or computed from the request body."""

    text: str | Callable[[dict[str, Any]], str]
    stop_reason: str = "end_turn"


@dataclass(frozen=True, slots=True)
class HttpError:
    """An error answer in the API's shape, such as 429 ``rate_limit_error``."""

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawBody:
    """Any status and body, for malformed answers."""

    status: int
    body: str
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Delay:
    """Wait ``seconds`` before giving ``then`` (to trigger client timeouts)."""

    seconds: float
    then: Reply | HttpError | RawBody = Reply("")


ScriptStep = Reply | HttpError | RawBody | Delay


def rate_limited(retry_after: float = 0) -> HttpError:
    """429 as the API sends it; ``retry_after=0`` lets the SDK retry at once."""
    return HttpError(
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit.",
        {"retry-after": str(retry_after)},
    )


def api_error() -> HttpError:
    """500 ``api_error``: an unexpected error inside Anthropic's systems."""
    return HttpError(500, "api_error", "Internal server error")


def overloaded() -> HttpError:
    """529 ``overloaded_error``: the API is temporarily overloaded."""
    return HttpError(529, "overloaded_error", "Overloaded")


class FakeAnthropic:
    """The Messages API on 127.0.0.1 at a free port; use as an async context manager."""

    def __init__(
        self,
        *,
        script: Iterable[ScriptStep] = (),
        api_key: str = "sk-ant-test-key",
        versions: Iterable[str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.versions = frozenset(versions) if versions is not None else None
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self._script: deque[ScriptStep] = deque(script)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._count = 0

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeAnthropic is not running: use it with `async with`.")
        return self._base_url

    def push(self, *steps: ScriptStep) -> None:
        """Append answers to the script."""
        self._script.extend(steps)

    @property
    def pending(self) -> int:
        """How many scripted answers have not been given yet."""
        return len(self._script)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        self._closing.set()  # wakes handlers still sleeping in a Delay
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _messages(self, request: web.Request) -> web.Response:
        self._count += 1
        request_id = f"req_fake_{self._count:04d}"
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        self.requests.append(body)
        self.request_headers.append({k.lower(): v for k, v in request.headers.items()})

        refusal = self._check(request, body)
        if refusal is not None:
            return _error_response(refusal, request_id)
        if not self._script:
            return _error_response(
                HttpError(500, "api_error", "fake: no scripted answer left", {"x-should-retry": "false"}),
                request_id,
            )
        step = self._script.popleft()
        if isinstance(step, Delay):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            step_answer: Reply | HttpError | RawBody = step.then
        else:
            step_answer = step
        return self._answer(step_answer, body, request_id)

    def _check(self, request: web.Request, body: dict[str, Any]) -> HttpError | None:
        """The checks the real API makes before answering: key, version, required fields."""
        key = request.headers.get("x-api-key")
        authorization = request.headers.get("authorization", "")
        if key is None and authorization.startswith("Bearer "):
            key = authorization.removeprefix("Bearer ")
        if key != self.api_key:
            return HttpError(401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if version is None:
            return HttpError(400, "invalid_request_error", "anthropic-version: header is required")
        if not _VERSION.match(version) or (self.versions is not None and version not in self.versions):
            return HttpError(400, "invalid_request_error", f"anthropic-version: invalid version {version}")
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return HttpError(400, "invalid_request_error", f"{name}: Field required")
        return None

    def _answer(
        self, step: Reply | HttpError | RawBody, body: dict[str, Any], request_id: str
    ) -> web.Response:
        if isinstance(step, HttpError):
            return _error_response(step, request_id)
        if isinstance(step, RawBody):
            return web.Response(
                status=step.status,
                text=step.body,
                content_type=step.content_type,
                headers={"request-id": request_id},
            )
        text = step.text(body) if callable(step.text) else step.text
        message = {
            "id": f"msg_fake_{self._count:04d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": [{"type": "text", "text": text}],
            "stop_reason": step.stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": len(json.dumps(body)) // 4, "output_tokens": max(1, len(text) // 4)},
        }
        return web.json_response(message, headers={"request-id": request_id})


def _error_response(error: HttpError, request_id: str) -> web.Response:
    payload = {
        "type": "error",
        "error": {"type": error.error_type, "message": error.message},
        "request_id": request_id,
    }
    return web.json_response(
        payload, status=error.status, headers={"request-id": request_id, **error.headers}
    )
