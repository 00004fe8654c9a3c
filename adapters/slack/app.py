"""The Slack app: a Bolt ``AsyncApp`` with the handlers registered and events deduplicated.

``SlackApp`` owns the Web API client (with slack_sdk's rate-limit and connection-error retry
handlers, so a 429 waits for its Retry-After), the tracked background work, and the middleware
that drops an event already handled: Slack retries a delivery with the same ``event_id`` (and an
``X-Slack-Retry-Num`` header), and the id is claimed in the database before any work starts.

Listeners run with ``process_before_response=True``: each one only acks and spawns its work, so
the spawn is registered before the HTTP response leaves and ``drain`` sees every task a request
started; the work itself runs after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.handlers import REGISTRARS
from adapters.slack.roles import BotIdentity, Members
from adapters.slack.settings import SlackSettings
from adapters.slack.work import BackgroundWork
from assistant.conversations import ConversationStore
from assistant.service import Assistant

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
API_TIMEOUT_SECONDS = 15


def build_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client for the bot token, honouring 429 Retry-After and retrying dropped connections."""
    options: dict[str, Any] = {}
    if settings.api_url:
        options["base_url"] = settings.api_url
    return AsyncWebClient(
        token=settings.secret("bot_token") or None,
        timeout=API_TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
        **options,
    )


def dedupe_events(conversations: ConversationStore) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Global middleware: an ``event_callback`` whose ``event_id`` was claimed before is acked, not run."""

    async def dedupe(
        body: dict[str, Any], request: AsyncBoltRequest, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await conversations.claim_event(PLATFORM, str(event_id)):
            retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
            log.info("event %s already handled (retry %s); skipped", event_id, retry)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        await next()
        return None

    return dedupe


class SlackApp:
    """The assistant's Slack app; ``start`` checks the token, ``close`` lets running work finish."""

    def __init__(
        self,
        *,
        assistant: Assistant,
        conversations: ConversationStore,
        settings: SlackSettings,
        client: AsyncWebClient | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or build_client(settings)
        self.work = BackgroundWork()
        self.members = Members(client=self.client, agent_usergroup=settings.agent_usergroup)
        self.deps = SlackDeps(
            assistant=assistant,
            conversations=conversations,
            settings=settings,
            members=self.members,
            work=self.work,
        )
        self.bolt = AsyncApp(
            name="support-assistant",
            client=self.client,
            signing_secret=settings.secret("signing_secret"),
            process_before_response=True,
        )
        self.bolt.middleware(dedupe_events(conversations))
        for register in REGISTRARS:
            register(self.bolt, self.deps)

    async def start(self) -> BotIdentity:
        """Check the bot token with ``auth.test`` (a bad token fails here, not on the first event)."""
        identity = await self.members.identity()
        log.info("Slack app ready: team %s, bot user %s", identity.team_id, identity.user_id)
        return identity

    async def dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        return await self.bolt.async_dispatch(request)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the background work of every request handled so far."""
        await self.work.drain(timeout)

    async def close(self) -> None:
        await self.work.close()
