"""One aiohttp server for every chat platform: what ``assistant serve`` runs.

Slack (``/slack/events``, or Socket Mode) and Teams (``/api/messages``) share one process, one
assistant and one conversation store: the same core answers both. ``/healthz`` reports the store
and each platform; when Teams accepts unauthenticated requests (``TEAMS_ALLOW_UNAUTHENTICATED``)
it says so there, and a warning is logged at start.

``serve`` opens the assistant and the store, starts each configured platform, listens until
SIGINT/SIGTERM, and closes everything in order (running work first, so no answer is cut off by a
closing database). The platform adapters are imported only when configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.integrations.accounts import account_context
from adapters.integrations.settings import IntegrationSettings, load_integration_settings
from assistant.config import Settings
from assistant.conversations import ConversationStore
from assistant.errors import ConfigurationError
from assistant.insights.settings import InsightSettings, load_insight_settings
from assistant.ports import Embedder

if TYPE_CHECKING:
    from adapters.slack.settings import SlackSettings
    from adapters.teams.settings import TeamsSettings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT_SECONDS = 3.0

Status = Callable[[], dict[str, Any]]


def health_handler(conversations: ConversationStore, platforms: dict[str, Status]) -> Any:
    """``GET /healthz``: 200 with each platform's status while the store answers, else 503."""

    async def healthz(_request: web.Request) -> web.Response:
        try:
            store = await asyncio.wait_for(conversations.ping(), HEALTH_TIMEOUT_SECONDS)
        except TimeoutError:
            store = False
        body: dict[str, Any] = {"ok": store, "store": store}
        warnings = []
        for name, status in platforms.items():
            body[name] = status()
            if body[name].get("warning"):
                warnings.append(body[name]["warning"])
        if warnings:
            body["warnings"] = warnings
        return web.json_response(body, status=200 if store else 503)

    return healthz


async def serve(
    *,
    settings: Settings,
    slack_settings: SlackSettings | None = None,
    teams_settings: TeamsSettings | None = None,
    host: str,
    port: int,
    ready: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    embedder: Embedder | None = None,
    insight_settings: InsightSettings | None = None,
    integration_settings: IntegrationSettings | None = None,
) -> None:
    """Run the configured platforms until ``stop`` is set (by default: until SIGINT or SIGTERM).

    ``embedder`` reuses an already loaded model (tests, one process serving several apps).
    """
    from adapters.wiring import build_assistant, build_conversation_store

    if slack_settings is None and teams_settings is None:
        raise ConfigurationError("Nothing to serve: configure Slack (SLACK_*) or Teams (MICROSOFT_APP_*).")
    slack_mode = slack_settings.mode if slack_settings is not None else None  # raises before opening
    if teams_settings is not None:
        teams_settings.auth_mode  # noqa: B018 - raises ConfigurationError before anything is opened
        teams_settings.check_handoff_destination(slack_configured=slack_settings is not None)
    insight_settings = insight_settings or load_insight_settings()
    if insight_settings.publishes:  # digest channels: of configured platforms only
        from adapters.scheduler import check_destinations

        check_destinations(
            insight_settings, slack=slack_settings is not None, teams=teams_settings is not None
        )
    integration_settings = integration_settings or load_integration_settings()  # raises before opening
    accounts = account_context(integration_settings)  # a bad accounts file fails here, too
    stop = stop or _stop_on_signals()
    assistant = build_assistant(settings, embedder=embedder)
    conversations = build_conversation_store(settings)
    async with AsyncExitStack() as stack:
        await assistant.start()
        stack.push_async_callback(assistant.close)
        stack.push_async_callback(conversations.close)
        await conversations.initialize()
        app = web.Application()
        platforms: dict[str, Status] = {}
        lines: list[str] = []
        slack = None
        if slack_settings is not None:
            from adapters.slack.app import SlackApp
            from adapters.slack.server import EVENTS_PATH, events_handler

            slack = SlackApp(
                assistant=assistant, conversations=conversations, settings=slack_settings, accounts=accounts
            )
            await slack.start()
            stack.push_async_callback(slack.close)
            if slack_mode == "http":
                app.router.add_post(EVENTS_PATH, events_handler(slack))
                lines.append(f"Slack app listening on {{address}}{EVENTS_PATH}")
            platforms["slack"] = lambda: {"mode": slack_mode}
        if teams_settings is not None:
            from adapters.teams import MESSAGES_PATH, TeamsBot, add_routes

            handoffs = None
            if teams_settings.handoff_slack_channel and slack is not None:  # Teams hand-offs to Slack
                from adapters.slack.handoff_notifier import SlackHandoffNotifier

                handoffs = SlackHandoffNotifier(
                    client=slack.client,
                    conversations=conversations,
                    channel=teams_settings.handoff_slack_channel,
                )
            bot = TeamsBot(
                assistant=assistant,
                conversations=conversations,
                settings=teams_settings,
                handoff_notifier=handoffs,
                accounts=accounts,
            )
            if handoffs is not None and slack is not None:
                handoffs.register(slack.bolt, slack.deps, {"teams": bot.handoff_return})
            bot.start()
            stack.push_async_callback(bot.close)
            add_routes(app, bot)
            platforms["teams"] = bot.health
            auth = "" if bot.authenticated else " (UNAUTHENTICATED: local testing only)"
            lines.append(f"Teams bot listening on {{address}}{MESSAGES_PATH}{auth}")
        app.router.add_get(HEALTH_PATH, health_handler(conversations, platforms))
        from adapters.console import load_console_settings, mount_console

        console_settings = load_console_settings().model_copy(update={"open": False})  # sign-in always
        if console_settings.scopes():  # the web console, when a sign-in token is configured
            mount_console(app, assistant=assistant, conversations=conversations, settings=console_settings)
            lines.append("Web console on {address}/console/")
        if insight_settings.publishes:  # the weekly digest, daily anomaly check and hourly bug scan
            from adapters.scheduler import insight_publisher, start_insight_jobs

            publisher = insight_publisher(
                insight_settings,
                conversations=conversations,
                slack_client=slack.client if slack is not None else None,
                teams_bot=bot if teams_settings is not None else None,
            )
            if publisher is not None:
                jobs = await start_insight_jobs(
                    settings, insight_settings, publisher=publisher, embedder=assistant.embedder
                )
                stack.push_async_callback(jobs.stop)
                if slack is not None:  # the bug-label buttons label through the jobs' service
                    slack.deps.insights = jobs.runtime.service
                log.info("insight jobs scheduled (%s)", insight_settings.timezone)
        if integration_settings.anything:  # tickets, CRM, site re-crawls: scheduled syncs, webhooks
            lines += await _start_integrations(
                stack,
                app,
                settings,
                integration_settings,
                insight_settings,
                assistant,
                conversations,
                slack,
                bot if teams_settings is not None else None,
            )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        address = f"http://{bound_host}:{bound_port}"
        for line in lines:
            ready(line.format(address=address) + f" (health: {address}{HEALTH_PATH})")
        if slack is not None and slack_settings is not None and slack_mode == "socket":
            from adapters.slack.server import socket_mode

            await socket_mode(slack, slack_settings, address, ready, stop)
        else:
            await stop.wait()


async def _start_integrations(
    stack: AsyncExitStack,
    app: web.Application,
    settings: Settings,
    integration_settings: IntegrationSettings,
    insight_settings: InsightSettings,
    assistant: Any,
    conversations: ConversationStore,
    slack: Any,
    teams_bot: Any = None,
) -> list[str]:
    """Open the trackers, start the periodic ticket sync and mount the webhooks; their lines."""
    from adapters.integrations.notifiers import PlatformFixNotifiers
    from adapters.integrations.runner import IntegrationJobs, open_integrations
    from adapters.integrations.webhooks import add_webhook_routes
    from assistant.integrations.tickets import FixNotifier

    notifiers: dict[str, FixNotifier] = {}
    if slack is not None:  # first: bug reports are posted in Slack's engineering channels
        from adapters.slack.ticket_notifier import SlackTicketNotifier

        notifiers["slack"] = SlackTicketNotifier(
            client=slack.client,
            conversations=conversations,
            engineering_channels=insight_settings.slack_engineering,
        )
    if teams_bot is not None:
        from adapters.teams.ticket_notifier import TeamsTicketNotifier

        notifiers["teams"] = TeamsTicketNotifier(messenger=teams_bot.messenger, conversations=conversations)
    notifier = PlatformFixNotifiers(notifiers) if notifiers else None
    runtime = await stack.enter_async_context(
        open_integrations(
            settings,
            integration_settings,
            insight_settings,
            embedder=assistant.embedder,
            teacher=assistant,
            notifier=notifier,
        )
    )
    if runtime is None:
        return []
    jobs = IntegrationJobs(runtime, assistant=assistant)
    jobs.start()
    stack.push_async_callback(jobs.stop)
    names = ", ".join(tracker.name for tracker in runtime.trackers.trackers)
    log.info(
        "bug tickets: %s, synced every %s min", names, integration_settings.assistant_tickets_sync_minutes
    )
    return [f"Ticket webhook on {{address}}{path}" for path in add_webhook_routes(app, runtime)]


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
