"""The Slack ``DigestPublisher``: what the scheduled insight jobs found, posted to Slack channels.

* The weekly digest goes to each digest channel (``chat.postMessage`` with ``digest_blocks``),
  and its chart PNGs into that message's thread (``files_upload_v2``, one upload per channel).
* The daily anomaly check posts its spikes to the digest channels.
* A bug scan posts each new report to the engineering channels with the "Bug" / "Not a bug" /
  "Duplicate of…" buttons; a report seen again redraws its post and adds a line to its thread.

Where each post went is kept in the conversation store (``save_reference``, platform ``slack``,
keys ``digest:<period start>@<channel>`` and ``bug:<id>@<channel>``). That is what turns a bug
seen again into an update rather than a repeat, across restarts and instances, and what lets a
run that failed half-way (one channel down) be run again without posting twice where it had
already succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import digest_blocks
from adapters.slack.constants import PLATFORM
from assistant.conversations import ConversationStore
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.publishing import ensure_internal_channel
from assistant.insights.records import BugReport

log = logging.getLogger(__name__)


def digest_key(digest: Digest, channel: str) -> str:
    return f"digest:{digest.period_start.isoformat()}@{channel}"


def bug_key(bug_id: str, channel: str) -> str:
    return f"bug:{bug_id}@{channel}"


class SlackDigestPublisher:
    """Posts digests, anomalies and bug reports with the app's ``AsyncWebClient``."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        conversations: ConversationStore,
        digest_channels: Sequence[str],
        engineering_channels: Sequence[str],
    ) -> None:
        self._client = client
        self._conversations = conversations
        self.digest_channels = tuple(digest_channels)
        self.engineering_channels = tuple(engineering_channels)

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        message = digest_blocks.digest_blocks(digest)
        for channel in self.digest_channels:
            key = digest_key(digest, channel)
            posted = await self._conversations.get_reference(PLATFORM, key) or {}
            ts = posted.get("ts")
            if ts is None:
                ts = await self._post(channel, message)
                posted = {"channel": channel, "ts": ts, "charts": False}
                await self._conversations.save_reference(PLATFORM, key, posted)
            if charts and not posted.get("charts"):
                await self._upload(channel, str(ts), charts)
                await self._conversations.save_reference(PLATFORM, key, {**posted, "charts": True})

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        message = digest_blocks.anomaly_blocks(anomalies)
        for channel in self.digest_channels:
            await self._post(channel, message)

    async def publish_bugs(self, scan: BugScan) -> None:
        for channel in self.engineering_channels:
            for report in [*scan.new, *scan.updated]:
                await self._bug(channel, report)

    async def _bug(self, channel: str, report: BugReport) -> None:
        key = bug_key(report.id, channel)
        posted = await self._conversations.get_reference(PLATFORM, key)
        message = digest_blocks.bug_report_message(report)
        if posted is None:
            ts = await self._post(channel, message)
            await self._conversations.save_reference(
                PLATFORM, key, {"channel": channel, "ts": ts, "version": report.version}
            )
            return
        if posted.get("version") == report.version:
            return  # this version is already there (a run retried after a failure elsewhere)
        ts = str(posted["ts"])
        await self._client.chat_update(channel=channel, ts=ts, **message)
        await self._post(channel, digest_blocks.bug_update_reply(report), thread_ts=ts)
        await self._conversations.save_reference(PLATFORM, key, {**posted, "version": report.version})

    async def _post(self, channel: str, message: dict[str, Any], thread_ts: str | None = None) -> str:
        await ensure_internal_channel(self._conversations, PLATFORM, channel)
        response = await self._client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
        return str(response["ts"])

    async def _upload(self, channel: str, thread_ts: str, charts: Sequence[tuple[str, bytes]]) -> None:
        uploads = [
            {"file": png, "filename": name, "title": _title(name), "alt_txt": _title(name)}
            for name, png in charts
        ]
        await self._client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=thread_ts)
        log.info("uploaded %d digest chart(s) to %s", len(uploads), channel)


def _title(file_name: str) -> str:
    return file_name.rsplit(".", 1)[0].replace("-", " ").capitalize()
