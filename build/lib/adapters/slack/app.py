"""The Slack app: a Bolt ``AsyncApp`` with the handlers registered and events kept in an inbox.

``SlackApp`` owns the Web API client (with slack_sdk's retry handlers: a 429 waits for its
Retry-After, a 500/503, a dropped connection or a timeout is retried with exponential backoff,
except a post whose connection dropped or timed out after it was sent: ``adapters.slack.posted``),
the tracked background work, the service-level reminders (``adapters.reminders``) and the inbox
(``adapters.slack.work``): every event is stored
before it is acknowledged, a redelivery of the same ``event_id`` (Slack's retries, with an
``X-Slack-Retry-Num`` header) is a no-op, and what a crash or an outage left pending is processed
again by the inbox's sweep, at start and periodically.

Listeners run with ``process_before_response=True``: each one only acks and spawns its work, so
the spawn is registered before the HTTP response leaves and ``drain`` sees every task a request
started; the work itself runs after the ack.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.reminders import Reminders
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.handlers import REGISTRARS
from adapters.slack.posted import PostSafeRetries
from adapters.slack.roles import BotIdentity, Members
from adapters.slack.settings import SlackSettings
from adapters.slack.work import BackgroundWork, Inbox
from adapters.wording import waiting_reminder
from assistant.accounts import AccountContext
from assistant.conversations import ConversationStore
from assistant.dialogue import Threads
from assistant.limits import QuestionLimits
from assistant.service import Assistant
from assistant.service_levels import Overdue

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 2
API_TIMEOUT_SECONDS = 15
# Timeouts (TimeoutError) count as connection errors: the request is sent again after a backoff.
CONNECTION_ERRORS: list[type[Exception]] = [
    ServerConnectionError,
    ServerDisconnectedError,
    ClientOSError,
    TimeoutError,
]


def build_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client for the bot token: 429 waits for Retry-After; 500/503, dropped
    connections and timeouts are retried with exponential backoff (slack_sdk's default), except
    a post that may have been posted (``PostSafeRetries``)."""
    options: dict[str, Any] = {}
    if settings.api_url:
        options["base_url"] = settings.api_url
    return AsyncWebClient(
        token=settings.secret("bot_token") or None,
        timeout=API_TIMEOUT_SECONDS,
        retry_handlers=[
            PostSafeRetries(max_retry_count=CONNECTION_RETRIES, error_types=CONNECTION_ERRORS),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
        **options,
    )


class SlackApp:
    """The assistant's Slack app; ``start`` checks the token and starts the inbox's sweep, ``close``
    lets running work finish."""

    def __init__(
        self,
        *,
        assistant: Assistant,
        conversations: ConversationStore,
        settings: SlackSettings,
        client: AsyncWebClient | None = None,
        accounts: AccountContext | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or build_client(settings)
        self.work = BackgroundWork()
        self.members = Members(
            client=self.client,
            agent_usergroup=settings.agent_usergroup,
            remember_name=partial(conversations.remember_name, PLATFORM),  # for ``assistant learned``
        )
        self.deps = SlackDeps(
            assistant=assistant,
            conversations=conversations,
            settings=settings,
            members=self.members,
            work=self.work,
            limits=QuestionLimits(
                per_user=assistant.settings.questions_per_user_per_minute,
                per_channel=assistant.settings.questions_per_channel_per_minute,
            ),
            threads=Threads(
                store=conversations,
                accounts=accounts,
                redact_personal_data=assistant.settings.redact_personal_data,
            ),
        )
        secret = settings.secret("signing_secret")
        self._verifier = SignatureVerifier(secret) if secret else None  # none in Socket Mode
        self.bolt = AsyncApp(
            name="support-assistant",
            client=self.client,
            signing_secret=settings.secret("signing_secret"),
            process_before_response=True,
        )
        self.inbox = Inbox(
            conversations=conversations, settings=settings, client=self.client, dispatch=self.dispatch
        )
        self.bolt.middleware(self.inbox.middleware())
        self.reminders = Reminders(
            platform=PLATFORM,
            threads=self.deps.threads,
            conversations=conversations,
            levels=assistant.settings.service_levels,
            post=self._remind,
            every=assistant.settings.service_level_check_seconds,
        )
        for register in REGISTRARS:
            register(self.bolt, self.deps)

    async def start(self) -> BotIdentity:
        """Check the bot token with ``auth.test`` (a bad token fails here, not on the first event),
        then sweep the inbox: events a previous run left pending are processed again."""
        identity = await self.members.identity()
        log.info("Slack app ready: team %s, bot user %s", identity.team_id, identity.user_id)
        self.inbox.start()
        self.reminders.start()
        return identity

    async def _remind(self, late: Overdue) -> None:
        """A service-level reminder in the late conversation's hand-off thread."""
        conversation = late.conversation
        text = waiting_reminder(
            waited=late.waited,
            target=late.target,
            owner=f"<@{conversation.owner}>" if conversation.owner else None,
            asker=f"<@{conversation.asker}>" if conversation.asker else None,
        )
        await self.client.chat_postMessage(
            channel=str(conversation.handoff_channel), thread_ts=conversation.handoff_post, text=text
        )

    def is_signed(self, request: AsyncBoltRequest) -> bool:
        """Whether the request carries a valid, fresh signature (what Bolt checks in dispatch)."""
        if self._verifier is None:
            return False
        header = request.headers.get
        return self._verifier.is_valid(
            body=request.raw_body,
            timestamp=(header("x-slack-request-timestamp") or [""])[0],
            signature=(header("x-slack-signature") or [""])[0],
        )

    async def dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        response = await self.bolt.async_dispatch(request)
        await self.inbox.settle(request)
        return response

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the background work of every request handled so far."""
        await self.work.drain(timeout)

    async def close(self) -> None:
        await self.reminders.close()
        await self.inbox.close()
        await self.work.close()
