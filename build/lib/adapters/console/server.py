"""Running the console on its own (``assistant console``, ``make demo``): an aiohttp server with
the console on ``/console`` and ``/healthz``, until SIGINT/SIGTERM.

``assistant serve`` mounts the same console beside Slack and Teams (``mount_console``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.console.app import mount_console
from adapters.console.settings import ConsoleSettings
from assistant.config import Settings
from assistant.conversations import ConversationStore
from assistant.ports import Embedder
from assistant.service import Assistant

HEALTH_PATH = "/healthz"


def console_server_app(
    *, assistant: Assistant, conversations: ConversationStore, settings: ConsoleSettings
) -> web.Application:
    """``/`` (redirects to the console), ``/console/…`` and ``/healthz``."""

    async def healthz(_request: web.Request) -> web.Response:
        store = await conversations.ping()
        return web.json_response({"ok": store, "store": store}, status=200 if store else 503)

    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    mount_console(app, assistant=assistant, conversations=conversations, settings=settings)
    return app


async def serve_console(
    *,
    settings: Settings,
    console_settings: ConsoleSettings,
    host: str,
    port: int,
    ready: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    embedder: Embedder | None = None,
    prepare: Callable[[Assistant], Awaitable[None]] | None = None,
) -> None:
    """Serve the console until ``stop`` is set (by default: until SIGINT or SIGTERM).

    ``prepare`` runs on the started assistant before the server listens (the demo loads its data).
    """
    from adapters.wiring import build_assistant, build_conversation_store

    stop = stop or _stop_on_signals()
    assistant = build_assistant(settings, embedder=embedder)
    conversations = build_conversation_store(settings)
    await assistant.start()
    try:
        await conversations.initialize()
        if prepare is not None:
            await prepare(assistant)
        app = console_server_app(assistant=assistant, conversations=conversations, settings=console_settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            bound_host, bound_port = runner.addresses[0][:2]
            ready(f"http://{bound_host}:{bound_port}/console/")
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await conversations.close()
        await assistant.close()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
