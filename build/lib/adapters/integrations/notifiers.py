"""One ``FixNotifier`` over several chat platforms: each tells its own customers' threads.

``bug_fixed`` gives every platform's notifier the threads of that platform; the first notifier
(where bug reports are posted, Slack) also gets the threads no notifier can reach, so it tells the
agents how many customers to tell by hand. ``ticket_filed`` goes to every notifier (only the one
that posted the report shows the link).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.insights.records import BugReport
from assistant.integrations.tickets import FixNotifier, Thread, TicketRecord


class PlatformFixNotifiers:
    """``notifiers``: platform name to its notifier, the one that posts bug reports first."""

    def __init__(self, notifiers: Mapping[str, FixNotifier]) -> None:
        if not notifiers:
            raise ValueError("at least one notifier is needed")
        self._notifiers = dict(notifiers)
        self._first = next(iter(self._notifiers))

    async def ticket_filed(self, report: BugReport, record: TicketRecord) -> None:
        for notifier in self._notifiers.values():
            await notifier.ticket_filed(report, record)

    async def bug_fixed(
        self, report: BugReport, record: TicketRecord, threads: Sequence[Thread], *, tell_customers: bool
    ) -> int:
        if not tell_customers:  # the agents are told of every thread, where reports are posted
            return await self._notifiers[self._first].bug_fixed(report, record, threads, tell_customers=False)
        posts = 0
        for platform, notifier in self._notifiers.items():
            own = [t for t in threads if t.platform == platform]
            if platform == self._first:
                own += [t for t in threads if t.platform not in self._notifiers]
            if own or platform == self._first:
                posts += await notifier.bug_fixed(report, record, own, tell_customers=tell_customers)
        return posts
