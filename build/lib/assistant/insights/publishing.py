"""Where digests and bug reports go: a chat channel, e-mail, a file. Adapters implement it.

The scheduler calls a publisher only after it has claimed the run of the period, so a publisher
is called once per period whatever the number of instances. ``FanOutPublisher`` lets one run post
to several destinations (Slack and Teams): each is tried even when another fails, and a failure
fails the run (so the next firing runs it again; adapters skip what they already posted).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from assistant.conversations import ConversationStore
from assistant.errors import ConfigurationError, ServiceUnavailableError
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest

log = logging.getLogger(__name__)


class DigestPublisher(Protocol):
    """Posts what the scheduled insight jobs found."""

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        """Post the weekly digest with its charts (file name, PNG bytes)."""
        ...

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        """Post the daily check's spikes (never called with none)."""
        ...

    async def publish_bugs(self, scan: BugScan) -> None:
        """Announce new bug reports and updates of known ones (never called with no change)."""
        ...


class NullPublisher:
    """A publisher that posts nothing (a deployment without a digest channel)."""

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        return None

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        return None

    async def publish_bugs(self, scan: BugScan) -> None:
        return None


async def ensure_internal_channel(conversations: ConversationStore, platform: str, channel: str) -> None:
    """Refuse a channel bound to a customer account: insights quote every account's messages."""
    binding = await conversations.get_channel(platform, channel)
    if binding is not None and binding.kind == "customer":
        raise ConfigurationError(
            f"Insights are never posted to {platform} channel {channel}: it is bound to the customer "
            f"account {binding.account!r}. Configure an internal channel for digests and bug reports."
        )


class PublishError(ServiceUnavailableError):
    """Some destinations of a fan-out failed (the others got their post)."""

    user_message = "The insights could not be posted everywhere."


class FanOutPublisher:
    """Posts to every publisher in turn; raises ``PublishError`` after the others when any fails."""

    def __init__(self, publishers: Sequence[DigestPublisher]) -> None:
        self.publishers = tuple(publishers)

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        await self._each("digest", lambda p: p.publish_digest(digest, charts))

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        await self._each("anomalies", lambda p: p.publish_anomalies(anomalies))

    async def publish_bugs(self, scan: BugScan) -> None:
        await self._each("bugs", lambda p: p.publish_bugs(scan))

    async def _each(self, what: str, call: Callable[[DigestPublisher], Awaitable[None]]) -> None:
        failures: list[Exception] = []
        for publisher in self.publishers:
            try:
                await call(publisher)
            except Exception as exc:  # one destination down must not silence the others
                name = type(publisher).__name__
                log.error("publishing %s to %s failed: %s", what, name, type(exc).__name__)
                failures.append(exc)
        if failures:
            raise PublishError(
                f"{len(failures)} of {len(self.publishers)} destinations failed to receive the {what}."
            ) from failures[0]
