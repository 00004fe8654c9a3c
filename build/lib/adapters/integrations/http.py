"""One JSON-over-HTTP client for every integration: timeouts, retries with backoff, rate limits.

* Every call has a timeout (``timeout`` seconds for the whole request).
* Reads (GET, HEAD) are retried on connection errors, timeouts and 5xx, with exponential backoff.
* Writes (POST, PUT, PATCH, DELETE) are *not* retried when they may have reached the service (a
  timeout, a lost reply, a 5xx): ``TrackerError(maybe_sent=True)`` tells the caller to look the
  effect up before sending again (``BugTicketSync`` does).
* A rate limit is waited out and retried, reads and writes alike (the request was refused, so
  nothing happened): 429, or GitHub's 403 with ``x-ratelimit-remaining: 0`` or ``retry-after``
  (its secondary limits). The wait is ``Retry-After`` seconds, else until ``x-ratelimit-reset``,
  else a minute (GitHub's advice), doubling on repeats; longer than ``max_wait`` gives up with a
  ``TrackerError`` that says when to retry.
* ``write_interval`` spaces writes (GitHub asks for a second between content-creating calls).

Tokens live only in the headers given here; nothing logs headers or bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from assistant.integrations.tickets import TrackerError

log = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECONDARY_WAIT = 60.0

Sleep = Callable[[float], Awaitable[None]]


class JsonHttp:
    """A small JSON client of one service (``base_url``) with its auth headers."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float = 15.0,
        attempts: int = 4,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        write_interval: float = 0.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._max_wait = max_wait
        self._write_interval = write_interval
        self._sleep = sleep
        self._clock = clock
        self._last_write: float | None = None
        self._session: aiohttp.ClientSession | None = None
        self.waits: list[float] = []  # every wait taken (operators' logs and tests)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any) -> Any:
        return await self.request("POST", path, body=body)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        ok_missing: bool = False,
        safe: bool = False,
    ) -> Any:
        """The response's JSON (None for an empty body, or a 404 when ``ok_missing``).

        ``safe``: a POST that only reads (a search), retried like a GET."""
        write = method.upper() in WRITES and not safe
        rate_limited = 0
        attempt = 0
        while True:
            attempt += 1
            if write:
                await self._space_writes()
            try:
                status, headers, payload = await self._send(method, path, params, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"{self.name}: {method} {path} failed ({type(exc).__name__})"
                if write or attempt >= self._attempts:
                    raise TrackerError(reason, maybe_sent=write) from exc
                await self._wait(self._backoff * 2 ** (attempt - 1))
                continue
            if _is_rate_limited(status, headers, payload):
                rate_limited += 1
                wait = self._rate_limit_wait(headers, rate_limited)
                if wait > self._max_wait or rate_limited > self._attempts:
                    raise TrackerError(
                        f"{self.name} is rate limiting us; retry in {int(wait)} s", status=status
                    )
                log.info("%s rate limit: waiting %.0f s", self.name, wait)
                await self._wait(wait)
                attempt -= 1  # a refused request is not a failed attempt
                continue
            if status >= 500:
                reason = f"{self.name}: {method} {path} answered {status}"
                if write or attempt >= self._attempts:
                    raise TrackerError(reason, maybe_sent=write, status=status)
                await self._wait(self._backoff * 2 ** (attempt - 1))
                continue
            if status == 404 and ok_missing:
                return None
            if status >= 400:
                raise TrackerError(_refusal(self.name, method, path, status, payload), status=status)
            return payload

    async def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> tuple[int, Mapping[str, str], Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        async with self._session.request(method, url, params=params, json=body) as response:
            raw = await response.read()
            payload: Any = None
            if raw:
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
            return response.status, response.headers, payload

    async def _space_writes(self) -> None:
        if self._write_interval and self._last_write is not None:
            gap = self._write_interval - (self._clock() - self._last_write)
            if gap > 0:
                await self._wait(gap)
        self._last_write = self._clock()

    def _rate_limit_wait(self, headers: Mapping[str, str], repeats: int) -> float:
        retry_after = headers.get("Retry-After") or headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                pass
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - self._clock()) + 1.0
            except ValueError:
                pass
        return SECONDARY_WAIT * 2 ** (repeats - 1)

    async def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self._sleep(seconds)


def _is_rate_limited(status: int, headers: Mapping[str, str], payload: Any) -> bool:
    if status == 429:
        return True
    if status != 403:
        return False
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in {k.lower() for k in headers}:
        return True
    message = payload.get("message", "") if isinstance(payload, dict) else str(payload or "")
    return "rate limit" in str(message).lower()


def _refusal(name: str, method: str, path: str, status: int, payload: Any) -> str:
    """A refusal's reason from the service's error body (GitHub ``message``, Jira ``errorMessages``)."""
    detail = ""
    if isinstance(payload, dict):
        messages = [str(payload["message"])] if payload.get("message") else []
        messages += [str(m) for m in payload.get("errorMessages") or []]
        messages += (
            [f"{k}: {v}" for k, v in (payload.get("errors") or {}).items()]
            if isinstance(payload.get("errors"), dict)
            else []
        )
        detail = "; ".join(messages)
    hint = " (check the token and its permissions)" if status in (401, 403) else ""
    return f"{name}: {method} {path} was refused ({status}{': ' + detail if detail else ''}){hint}"
