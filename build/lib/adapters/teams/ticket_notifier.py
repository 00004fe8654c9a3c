"""The Teams ``FixNotifier``: "fixed" in the Teams threads where customers reported a bug.

When a bug's ticket is closed as fixed (``assistant.integrations.bug_tickets``) and
``ASSISTANT_TICKETS_NOTIFY=threads``, each Teams thread (a channel reply chain, or a chat) where a
customer reported it gets a reply in the words the assistant answers with from then on
(``fix_answer``: no other customer's words). Each post is stored before the next
(``save_reference``), so a run retried after a failure half-way posts only what is left. Ticket
links go under the bug report where the report was posted (Slack's engineering channels), not here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters.markup import teams_text
from adapters.teams.constants import PLATFORM
from adapters.teams.messenger import Messenger, text_activity
from assistant.conversations import ConversationStore
from assistant.insights.records import BugReport
from assistant.integrations.bug_tickets import fix_answer
from assistant.integrations.tickets import Thread, TicketRecord

log = logging.getLogger(__name__)


def thread_conversation(thread: Thread) -> str:
    """The conversation id of a stored Teams thread: a chat is its own thread; a channel thread is
    ``<channel>;messageid=<root>``."""
    if thread.ts == thread.channel:
        return thread.channel
    return f"{thread.channel};messageid={thread.ts}"


class TeamsTicketNotifier:
    """Posts fix notices in Teams threads through the bot's stored conversation references."""

    def __init__(self, *, messenger: Messenger, conversations: ConversationStore) -> None:
        self._messenger = messenger
        self._conversations = conversations

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        """Nothing: the ticket link is shown under the bug report, which Teams does not post."""

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads: Sequence[Thread], *, tell_customers: bool
    ) -> int:
        if not tell_customers:
            return 0
        text = teams_text(fix_answer(record))
        posts = 0
        for thread in (t for t in threads if t.platform == PLATFORM):
            key = f"fixed:{report.id}@{thread.channel}:{thread.ts}"
            if await self._conversations.get_reference(PLATFORM, key) is not None:
                continue
            await self._messenger.send(thread_conversation(thread), text_activity(text))
            await self._conversations.save_reference(
                PLATFORM, key, {"channel": thread.channel, "ts": thread.ts}
            )
            posts += 1
        log.info("bug %s fixed: told %d Teams thread(s)", report.id, posts)
        return posts
