"""How the Slack app runs: an aiohttp server (``/slack/events``, ``/healthz``), or Socket Mode.

``serve`` is what ``assistant serve`` runs: it opens the assistant and the conversation store,
starts the Slack app, listens until SIGINT/SIGTERM, and closes everything in order (running work
first, so no answer is cut off by a closing database).

HTTP mode: Events API, interactivity and slash commands all POST to ``/slack/events``; the thin
aiohttp handler only converts the request for Bolt and Bolt's response back. Socket Mode (when
``SLACK_APP_TOKEN`` is set) receives the same payloads over a WebSocket; the HTTP server then only
answers ``/healthz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from adapters.slack.app import SlackApp
from adapters.slack.settings import SlackSettings
from assistant.config import Settings
from assistant.conversations import ConversationStore
from assistant.ports import Embedder

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT_SECONDS = 3.0

SLACK_APP: web.AppKey[SlackApp] = web.AppKey("slack_app", SlackApp)


def web_app(slack: SlackApp, conversations: ConversationStore, *, events: bool = True) -> web.Application:
    """The aiohttp application: ``POST /slack/events`` (unless ``events`` is False) and ``GET /healthz``."""

    async def slack_events(request: web.Request) -> web.Response:
        response = await slack.dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            store = await asyncio.wait_for(conversations.ping(), HEALTH_TIMEOUT_SECONDS)
        except TimeoutError:
            store = False
        return web.json_response({"ok": store, "store": store}, status=200 if store else 503)

    app = web.Application()
    app[SLACK_APP] = slack
    if events:
        app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get(HEALTH_PATH, healthz)
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
    """Run the Slack app until ``stop`` is set (by default: until SIGINT or SIGTERM).

    ``embedder`` reuses an already loaded model (tests, one process serving several apps).
    """
    from adapters.wiring import build_assistant, build_conversation_store

    mode = slack_settings.mode  # raises ConfigurationError before anything is opened
    stop = stop or _stop_on_signals()
    assistant = build_assistant(settings, embedder=embedder)
    conversations = build_conversation_store(settings)
    await assistant.start()
    try:
        await conversations.initialize()
        slack = SlackApp(assistant=assistant, conversations=conversations, settings=slack_settings)
        try:
            await slack.start()
            runner = web.AppRunner(web_app(slack, conversations, events=mode == "http"), access_log=None)
            await runner.setup()
            try:
                site = web.TCPSite(runner, host, port)
                await site.start()
                bound_host, bound_port = runner.addresses[0][:2]
                address = f"http://{bound_host}:{bound_port}"
                if mode == "socket":
                    await _socket_mode(slack, slack_settings, address, ready, stop)
                else:
                    ready(f"Slack app listening on {address}{EVENTS_PATH} (health: {address}{HEALTH_PATH})")
                    await stop.wait()
            finally:
                await runner.cleanup()
        finally:
            await slack.close()
    finally:
        await conversations.close()
        await assistant.close()


async def _socket_mode(
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


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
