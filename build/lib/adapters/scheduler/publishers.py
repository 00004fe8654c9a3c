"""Which publishers a scheduled run posts to: each configured platform's, fanned out.

``serve`` calls ``insight_publisher`` with the platforms it started; the channels come from
``InsightSettings`` (``ASSISTANT_INSIGHTS_SLACK_*_CHANNELS``, ``ASSISTANT_INSIGHTS_TEAMS_*``).
No channel configured means no publisher, and ``serve`` then starts no insight jobs.
A platform's publisher is imported only when that platform runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.conversations import ConversationStore
from assistant.errors import ConfigurationError
from assistant.insights.publishing import DigestPublisher, FanOutPublisher
from assistant.insights.settings import InsightSettings

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.teams.digest_publisher import CardPoster


def check_destinations(settings: InsightSettings, *, slack: bool, teams: bool) -> None:
    """Refuse channels of a platform that is not configured (before anything is opened)."""
    lines = []
    if settings.publishes_to_slack and not slack:
        lines.append("ASSISTANT_INSIGHTS_SLACK_*_CHANNELS are set but Slack is not configured (SLACK_*)")
    if settings.publishes_to_teams and not teams:
        lines.append("ASSISTANT_INSIGHTS_TEAMS_*_CHANNELS are set but Teams is not configured")
    if lines:
        raise ConfigurationError("Invalid insights configuration:\n  " + "\n  ".join(lines))


def insight_publisher(
    settings: InsightSettings,
    *,
    conversations: ConversationStore,
    slack_client: AsyncWebClient | None = None,
    teams_bot: CardPoster | None = None,
) -> DigestPublisher | None:
    """The fan-out of the configured platforms' publishers; None when no channel is configured."""
    publishers: list[DigestPublisher] = []
    if slack_client is not None and settings.publishes_to_slack:
        from adapters.slack.digest_publisher import SlackDigestPublisher

        publishers.append(
            SlackDigestPublisher(
                client=slack_client,
                conversations=conversations,
                digest_channels=settings.slack_digest,
                engineering_channels=settings.slack_engineering,
            )
        )
    if teams_bot is not None and settings.publishes_to_teams:
        from adapters.teams.digest_publisher import TeamsDigestPublisher

        publishers.append(
            TeamsDigestPublisher(
                bot=teams_bot,
                conversations=conversations,
                digest_channels=settings.teams_digest,
                engineering_channels=settings.teams_engineering,
            )
        )
    return FanOutPublisher(publishers) if publishers else None
