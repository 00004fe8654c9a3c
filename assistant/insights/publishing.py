"""Where digests and bug reports go: a chat channel, e-mail, a file. Adapters implement it.

The scheduler calls a publisher only after it has claimed the run of the period, so a publisher
is called once per period whatever the number of instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest


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
