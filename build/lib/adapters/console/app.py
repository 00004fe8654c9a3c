"""The web console as an aiohttp sub-application, mounted on ``/console`` of the process's app.

``mount_console`` adds it to the app ``assistant serve`` (Slack, Teams) or ``make demo`` runs: the
same ``Assistant`` and ``ConversationStore`` serve every adapter. Pages are rendered on the server
(Jinja2); forms post and redirect; the replay page polls a JSON endpoint.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

from aiohttp import web

from adapters.console.auth import Handler, Sessions, auth_middleware
from adapters.console.deps import DEPS, PREFIX, ConsoleDeps
from adapters.console.handlers import REGISTRARS
from adapters.console.insights_panel import InsightsPanel
from adapters.console.replays import Replays
from adapters.console.sandbox import Sandbox
from adapters.console.settings import ConsoleSettings
from adapters.storage.sql.console_queries import ConsoleQueries
from assistant.conversations import ConversationStore
from assistant.service import Assistant

STATIC = Path(__file__).with_name("static")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",  # no inline script, no javascript: URLs, no eval
        "style-src 'self' 'unsafe-inline'",  # the inline SVG charts carry style attributes
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
"""Sent with every console response: even a link or script that slipped into a page runs nothing."""


def is_cross_site(request: web.Request) -> bool:
    """True unless the request provably comes from a console page.

    Browsers send ``Origin`` with every POST; it is missing only from a non-browser client and
    ``null`` after a cross-origin redirect (a 307 keeps the method and body), from a sandboxed
    frame or a ``data:`` page: all of those count as cross-site. ``Sec-Fetch-Site``, when the
    browser sends it, must say ``same-origin``.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.strip().lower() != "same-origin":
        return True
    origin = request.headers.get("Origin", "").strip()
    if not origin or origin.lower() == "null" or "://" not in origin:
        return True
    return origin.split("://", 1)[1].rstrip("/").lower() != request.host.lower()


@web.middleware
async def same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a state-changing request that is not provably from a console page (CSRF)."""
    if request.method not in SAFE_METHODS and is_cross_site(request):
        raise web.HTTPForbidden(text="Cross-site request refused.")
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The same protective headers on every console response, refusals and redirects included."""
    try:
        response = await handler(request)
    except web.HTTPException as refusal:
        _protect(refusal.headers)
        raise
    _protect(response.headers)
    return response


def _protect(headers: MutableMapping[str, str]) -> None:
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")


def console_app(
    *,
    assistant: Assistant,
    conversations: ConversationStore,
    settings: ConsoleSettings,
) -> web.Application:
    """The console's pages, sign-in and static files, as one sub-application."""
    sessions = Sessions(settings)
    deps = ConsoleDeps(
        assistant=assistant,
        sandbox=Sandbox(assistant=assistant, conversations=conversations),
        queries=ConsoleQueries(assistant.settings.database_url),
        sessions=sessions,
        settings=settings,
        replays=Replays(settings=assistant.settings, embedder=assistant.embedder, root=settings.replay_dir),
        insights=InsightsPanel(assistant),
        threads=conversations,
    )
    app = web.Application(middlewares=[security_headers, same_origin, auth_middleware(sessions, PREFIX)])
    app[DEPS] = deps
    app.router.add_static("/static/", STATIC, name="static")
    for register in REGISTRARS:
        register(app)

    async def close(_app: web.Application) -> None:
        await deps.replays.close()
        await deps.insights.close()
        await deps.queries.close()

    app.on_cleanup.append(close)
    return app


def mount_console(
    app: web.Application,
    *,
    assistant: Assistant,
    conversations: ConversationStore,
    settings: ConsoleSettings,
) -> web.Application:
    """Add the console under ``/console`` (and send ``/`` there); returns the sub-application."""
    console = console_app(assistant=assistant, conversations=conversations, settings=settings)
    app.add_subapp(PREFIX, console)

    async def home(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{PREFIX}/")

    app.router.add_get("/", home)
    return console
