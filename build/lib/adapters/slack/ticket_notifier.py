"""The Slack ``FixNotifier``: a bug's ticket link under its report, and "fixed" in customers' threads.

* ``ticket_filed``: a reply in the thread of each engineering channel's post of the report
  (found through the digest publisher's stored reference ``bug:<id>@<channel>``) with the
  ticket's link.
* ``bug_fixed``: with ``ASSISTANT_TICKETS_NOTIFY=threads``, a reply in each Slack thread where a
  customer reported the bug, in the same words the assistant will answer with from then on
  (``fix_answer``: no other customer's words). With ``agents`` (or threads this notifier cannot
  reach, such as Teams ones), a reply under the report in the engineering channels saying how
  many customer threads to tell by hand.

Each post is stored (``save_reference``) before the next, so a run retried after a failure
half-way posts only what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from adapters.markup import slack_link, slack_text
from adapters.slack.constants import PLATFORM
from adapters.slack.digest_publisher import bug_key
from assistant.conversations import ConversationStore
from assistant.insights.records import BugReport
from assistant.integrations.bug_tickets import fix_answer
from assistant.integrations.tickets import Thread, TicketRecord

log = logging.getLogger(__name__)

TRACKERS = {"github": "GitHub", "jira": "Jira"}


def filed_text(record: TicketRecord) -> str:
    name = TRACKERS.get(record.tracker, record.tracker)
    return f":link: Filed in {name}: {slack_link(record.url, record.key or 'ticket')}"


def agents_text(record: TicketRecord, untold: int) -> str:
    name = TRACKERS.get(record.tracker, record.tracker)
    closed = (
        f":white_check_mark: {name} {slack_link(record.url, record.key or 'ticket')} was closed as fixed."
    )
    if untold:
        return f"{closed} {untold} customer thread(s) were not told automatically: please let them know."
    return closed


class SlackTicketNotifier:
    """Posts ticket links and fix notices with the app's ``AsyncWebClient``."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        conversations: ConversationStore,
        engineering_channels: Sequence[str],
    ) -> None:
        self._client = client
        self._conversations = conversations
        self.engineering_channels = tuple(engineering_channels)

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        await self._under_report(report, f"ticket:{record.tracker}", filed_text(record))

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads: Sequence[Thread], *, tell_customers: bool
    ) -> int:
        ours = [t for t in threads if t.platform == PLATFORM] if tell_customers else []
        posts = 0
        text = slack_text(fix_answer(record))
        for thread in ours:
            key = f"fixed:{report.id}@{thread.channel}:{thread.ts}"
            if await self._conversations.get_reference(PLATFORM, key) is not None:
                continue
            await self._client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, text=text)
            await self._conversations.save_reference(
                PLATFORM, key, {"channel": thread.channel, "ts": thread.ts}
            )
            posts += 1
        if not ours or len(ours) < len(threads):
            posts += await self._under_report(
                report, f"fixed:{record.tracker}", agents_text(record, len(threads) - len(ours))
            )
        return posts

    async def _under_report(self, report: BugReport, what: str, text: str) -> int:
        posts = 0
        for channel in self.engineering_channels:
            posted = await self._conversations.get_reference(PLATFORM, bug_key(report.id, channel))
            key = f"{what}:{report.id}@{channel}"
            if posted is None or await self._conversations.get_reference(PLATFORM, key) is not None:
                continue
            await self._client.chat_postMessage(channel=channel, thread_ts=str(posted["ts"]), text=text)
            await self._conversations.save_reference(PLATFORM, key, {"channel": channel})
            posts += 1
        return posts
