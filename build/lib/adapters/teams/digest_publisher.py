"""The Teams ``DigestPublisher``: the insight jobs' findings as Adaptive Cards in Teams channels.

Each post starts a thread in a configured channel through ``TeamsBot.post_card`` (the channel's
stored conversation reference, so the bot must have been added to the team). The digest card
carries its charts as images (``digest_cards``); anomalies go to the digest channels; each new
bug report starts a thread in the engineering channels, and a report seen again gets a line in
its thread (``TeamsBot.notify``) instead of a new thread.

Like the Slack publisher, where each post went is kept in the conversation store (platform
``teams``, keys ``digest:<period start>@<channel>`` and ``bug:<id>@<channel>``, which never clash
with a Teams conversation id), so updates find their thread after a restart and a retried run
does not post twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from adapters.teams import digest_cards
from adapters.teams.constants import PLATFORM
from adapters.teams.messenger import Sent
from assistant.conversations import ConversationStore
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.publishing import ensure_internal_channel
from assistant.insights.records import BugReport


class CardPoster(Protocol):
    """What the publisher needs of ``TeamsBot``."""

    async def post_card(self, channel: str, card: dict[str, Any], summary: str = "") -> Sent: ...

    async def notify(self, conversation: str, text: str) -> Sent: ...


class TeamsDigestPublisher:
    """Posts digests, anomalies and bug reports with the Teams bot."""

    def __init__(
        self,
        *,
        bot: CardPoster,
        conversations: ConversationStore,
        digest_channels: Sequence[str],
        engineering_channels: Sequence[str],
    ) -> None:
        self._bot = bot
        self._conversations = conversations
        self.digest_channels = tuple(digest_channels)
        self.engineering_channels = tuple(engineering_channels)

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        content = digest_cards.digest_card(digest, charts)
        for channel in self.digest_channels:
            key = f"digest:{digest.period_start.isoformat()}@{channel}"
            if await self._conversations.get_reference(PLATFORM, key) is not None:
                continue
            sent = await self._post_card(channel, content, digest.title)
            await self._conversations.save_reference(PLATFORM, key, _where(sent))

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        content = digest_cards.anomalies_card(anomalies)
        for channel in self.digest_channels:
            await self._post_card(channel, content, f"{len(anomalies)} unusual volume(s)")

    async def publish_bugs(self, scan: BugScan) -> None:
        for channel in self.engineering_channels:
            for report in [*scan.new, *scan.updated]:
                await self._bug(channel, report)

    async def _bug(self, channel: str, report: BugReport) -> None:
        key = f"bug:{report.id}@{channel}"
        posted = await self._conversations.get_reference(PLATFORM, key)
        if posted is None:
            sent = await self._post_card(
                channel, digest_cards.bug_report_card(report), f"Likely bug: {report.title}"
            )
            where = {**_where(sent), "version": report.version}
            await self._conversations.save_reference(PLATFORM, key, where)
        elif posted.get("version") != report.version:
            await self._bot.notify(str(posted["conversation"]), digest_cards.bug_update_text(report))
            await self._conversations.save_reference(PLATFORM, key, {**posted, "version": report.version})

    async def _post_card(self, channel: str, card: dict[str, Any], summary: str) -> Sent:
        await ensure_internal_channel(self._conversations, PLATFORM, channel)
        return await self._bot.post_card(channel, card, summary)


def _where(sent: Sent) -> dict[str, Any]:
    return {"conversation": sent.conversation, "activity_id": sent.activity_id}
