"""Who is looking: sign-in with a configured token, sessions in a cookie, scope per viewer.

A viewer is scoped to every account (``scope`` None) or to one account; every page and endpoint
asks ``Viewer.may_see`` before it shows an account's data. Sessions live in this process's memory
(signing in again after a restart is the price of keeping no secret on disk); the cookie is
``HttpOnly`` and ``SameSite=Strict``, so another site cannot post forms with it. Scripts may send
``Authorization: Bearer <token>`` instead of signing in.

Guessing tokens is throttled per client address: after ``SIGN_IN_FAILURES_PER_MINUTE`` wrong
tokens (sign-in form and Bearer header alike) a client gets 429 with ``Retry-After`` until its
bucket refills (``assistant.limits.TokenBuckets``), whatever it sends, the right token included.
Behind a reverse proxy every client shares the proxy's address: the limit then holds for all.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from adapters.console.settings import ConsoleSettings
from assistant.limits import Clock, TokenBuckets

COOKIE = "assistant_console"
SESSION_LIMIT = 1000
SIGN_IN_FAILURES_PER_MINUTE = 5
PUBLIC_PATHS = ("/login", "/static/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in person: ``scope`` None sees every account, else only that one."""

    scope: str | None

    @property
    def label(self) -> str:
        return "every account" if self.scope is None else f"account {self.scope}"

    def may_see(self, account: str | None) -> bool:
        """Global knowledge (account None) is everyone's; an account's own data only its viewers'."""
        return self.scope is None or account is None or account == self.scope

    def owns(self, account: str | None) -> bool:
        """May change what belongs to ``account`` (global things only when seeing every account)."""
        return self.scope is None or account == self.scope


DEMO_VIEWER = Viewer(scope=None)
VIEWER: web.RequestKey[Viewer] = web.RequestKey("viewer", Viewer)


class Sessions:
    """Tokens from the settings, and the sessions signed in with them."""

    def __init__(self, settings: ConsoleSettings, *, clock: Clock | None = None) -> None:
        self.open = settings.open
        self._scopes = settings.scopes()
        self._sessions: dict[str, Viewer] = {}
        buckets = {"clock": clock} if clock is not None else {}
        self._failures = TokenBuckets(SIGN_IN_FAILURES_PER_MINUTE, **buckets)

    def throttled(self, client: str) -> int:
        """Whole seconds ``client`` must wait before trying a token again (0: it may try now)."""
        wait = self._failures.wait(client)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def attempt(self, client: str, token: str) -> Viewer | None:
        """``check`` for a sign-in attempt from ``client``; a wrong token uses up one of its tries."""
        found = self.check(token) if token else None
        if found is None:
            self._failures.take(client)
        return found

    @property
    def configured(self) -> bool:
        return self.open or bool(self._scopes)

    def check(self, token: str) -> Viewer | None:
        """The viewer a token signs in as, or None; compares in constant time."""
        found: Viewer | None = None
        for known, scope in self._scopes.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = Viewer(scope=scope)
        return found

    def start(self, viewer: Viewer) -> str:
        if len(self._sessions) >= SESSION_LIMIT:
            self._sessions.pop(next(iter(self._sessions)))
        session = secrets.token_urlsafe(32)
        self._sessions[session] = viewer
        return session

    def end(self, session: str | None) -> None:
        if session:
            self._sessions.pop(session, None)

    def viewer_of(self, request: web.Request) -> Viewer | None:
        if self.open:
            return DEMO_VIEWER
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            refuse_if_throttled(self, request)
            return self.attempt(client_of(request), header.removeprefix("Bearer ").strip())
        session = request.cookies.get(COOKIE)
        return self._sessions.get(session) if session else None


def client_of(request: web.Request) -> str:
    """Whom sign-in failures are counted against: the peer's address."""
    return request.remote or "unknown"


def refuse_if_throttled(sessions: Sessions, request: web.Request) -> None:
    """Raise 429 (with ``Retry-After``) when the request's client guessed too many tokens."""
    wait = sessions.throttled(client_of(request))
    if wait:
        raise web.HTTPTooManyRequests(
            text=f"Too many wrong tokens: try again in {wait} s.", headers={"Retry-After": str(wait)}
        )


def viewer(request: web.Request) -> Viewer:
    """The request's viewer (set by the middleware)."""
    found = request.get(VIEWER)
    if found is None:
        raise web.HTTPUnauthorized()
    return found


def auth_middleware(sessions: Sessions, prefix: str) -> Middleware:
    """Let signed-in viewers through; send others to the sign-in page (JSON callers get 401)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        local = request.path.removeprefix(prefix) or "/"
        if local.startswith(PUBLIC_PATHS):
            return await handler(request)
        found = sessions.viewer_of(request)
        if found is None:
            if request.method == "GET" and "application/json" not in request.headers.get("Accept", ""):
                raise web.HTTPSeeOther(f"{prefix}/login")
            raise web.HTTPUnauthorized(text="Sign in first.")
        request[VIEWER] = found
        return await handler(request)

    return middleware
