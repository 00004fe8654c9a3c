"""The web console as an aiohttp sub-application, mounted on ``/console`` of the process's app.

``mount_console`` adds it to the app ``assistant serve`` (Slack, Teams) or ``make demo`` runs: the
same ``Assistant`` and ``ConversationStore`` serve every adapter. Pages are rendered on the server
(Jinja2); forms post and redirect; the replay page polls a JSON endpoint.
"""

from __future__ import annotations

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


@web.middleware
async def same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a form posted from another site (the demo has no cookie to protect it)."""
    origin = request.headers.get("Origin")
    cross = bool(origin) and origin != "null" and str(origin).split("://", 1)[-1] != request.host
    if request.method not in SAFE_METHODS and cross:
        raise web.HTTPForbidden(text="Cross-site request refused.")
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


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
