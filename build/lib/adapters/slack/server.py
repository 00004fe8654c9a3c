"""How the Slack app runs: an aiohttp server (``/slack/events``, ``/healthz``), or Socket Mode.

``serve`` runs the Slack app alone through ``adapters.server.serve`` (what ``assistant serve``
runs, with Teams too when it is configured): it opens the assistant and the conversation store,
starts the Slack app, listens until SIGINT/SIGTERM, and closes everything in order (running work
first, so no answer is cut off by a closing database).

HTTP mode: Events API, interactivity and slash commands all POST to ``/slack/events``; the thin
aiohttp handler only converts the request for Bolt and Bolt's response back. Socket Mode (when
``SLACK_APP_TOKEN`` is set) receives the same payloads over a WebSocket; the HTTP server then only
answers ``/healthz``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from adapters.json_limits import MAX_JSON_DEPTH, json_too_deep
from adapters.server import HEALTH_PATH, health_handler
from adapters.slack.app import SlackApp
from adapters.slack.events import shape_problem, timestamp_problem
from adapters.slack.settings import SlackSettings
from assistant.config import Settings
from assistant.conversations import ConversationStore
from assistant.ports import Embedder

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"

SLACK_APP: web.AppKey[SlackApp] = web.AppKey("slack_app", SlackApp)


def too_deep(raw: str, content_type: str) -> bool:
    """True when the JSON body, or a form's ``payload`` field, nests too deep to parse safely."""
    if content_type == "application/x-www-form-urlencoded":
        return any(json_too_deep(value) for values in parse_qs(raw).values() for value in values)
    return json_too_deep(raw)


def events_handler(slack: SlackApp) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``POST /slack/events``: the request converted for Bolt, Bolt's response converted back."""

    async def slack_events(request: web.Request) -> web.Response:
        # Bolt raises (a 500) on what these checks refuse: a timestamp its signature check cannot
        # read, a body that is not a JSON object, a field of the wrong type. Nothing runs for them.
        problem = timestamp_problem(request.headers.get("X-Slack-Request-Timestamp"))
        if problem is not None:
            log.info("refused a /slack/events request: %s", problem)
            return web.json_response({"error": problem}, status=401)
        if too_deep(await request.text(), request.content_type):
            log.info("refused a /slack/events body nested deeper than %d levels", MAX_JSON_DEPTH)
            return web.json_response({"error": "malformed request body"}, status=400)
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, AttributeError, RecursionError):
            log.info("refused a /slack/events body that is not a Slack payload")
            return web.json_response({"error": "malformed request body"}, status=400)
        problem = shape_problem(bolt_request.body)
        if problem is not None:
            if not slack.is_signed(bolt_request):
                return web.json_response({"error": "invalid request"}, status=401)
            log.info("refused a /slack/events payload: %s", problem)
            return web.json_response({"error": problem}, status=400)
        response = await slack.dispatch(bolt_request)
        return await to_aiohttp_response(response)

    return slack_events


def web_app(slack: SlackApp, conversations: ConversationStore, *, events: bool = True) -> web.Application:
    """The aiohttp application: ``POST /slack/events`` (unless ``events`` is False) and ``GET /healthz``."""
    app = web.Application()
    app[SLACK_APP] = slack
    if events:
        app.router.add_post(EVENTS_PATH, events_handler(slack))
    app.router.add_get(HEALTH_PATH, health_handler(conversations, {}))
    return app


async def serve(
    *,
    settings: Settings,
    slack_settings: SlackSettings,
    host: str,
    port: int,
    ready: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    embedder: Embedder | None = None,
) -> None:
    """Run the Slack app alone until ``stop`` is set (by default: until SIGINT or SIGTERM).

    ``embedder`` reuses an already loaded model (tests, one process serving several apps).
    """
    from adapters.server import serve as serve_platforms

    await serve_platforms(
        settings=settings,
        slack_settings=slack_settings,
        host=host,
        port=port,
        ready=ready,
        stop=stop,
        embedder=embedder,
    )


async def socket_mode(
    slack: SlackApp, settings: SlackSettings, address: str, ready: Callable[[str], None], stop: asyncio.Event
) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(slack.bolt, settings.secret("app_token"))
    await handler.connect_async()
    try:
        ready(f"Slack app connected in Socket Mode (health: {address}{HEALTH_PATH})")
        await stop.wait()
    finally:
        await handler.close_async()
