"""The effects of one click, modal submission or slash command happen once, however often it runs.

The inbox's sweep dispatches a kept payload through the same Bolt listeners again after a crash
or a failure, so a handler may run several times for one action. Its effects must not repeat:
learning twice skews what was learned, posting twice to a customer looks broken. ``Steps`` marks
each effect done (a claim in the conversation store under the payload's inbox key,
``adapters.slack.interactions``), so a later attempt skips what happened and runs again what
failed. Where the process may be killed inside an effect, the two kinds differ:

* ``once`` (learning, claims, confirmations) marks the step before it runs and removes the mark
  if it raised: a kill inside it loses the step rather than repeating it (a learning event is one
  transaction, so the window is its commit).
* ``until_done`` (what the customer or the agents must see: a post) marks the step after it
  succeeded: a kill inside it runs it again (Slack may then show it twice if it had taken the
  post but not answered).

Effects that are the same when repeated (redrawing a message with ``chat.update``) need no step.

``or_retry_later`` turns failures a later attempt may get through (Slack's 5xx and 429 after the
client's own retries, the database unavailable) into ``RetryLater``, which ``replies.guarded``
does not swallow: the payload stays pending and the sweep runs it again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError

from adapters.inbox import retried_when_unavailable
from adapters.slack.api_errors import slack_error
from adapters.slack.constants import PLATFORM
from adapters.slack.interactions import interaction_key
from adapters.slack.posted import unsure_post
from adapters.slack.work import RetryLater, is_transient
from assistant.conversations import ConversationStore
from assistant.errors import ServiceUnavailableError

__all__ = ["Steps", "claimed", "or_retry_later"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Steps:
    """The once-only effects of one interactive payload (``key`` None: no inbox, run every time)."""

    conversations: ConversationStore
    key: str | None

    @classmethod
    def of(cls, conversations: ConversationStore, body: Mapping[str, Any]) -> Steps:
        return cls(conversations, interaction_key(body))

    async def once(self, step: str, work: Callable[[], Awaitable[T]], *, before: T) -> T:
        """``work()``'s result, or ``before`` when an earlier attempt of this payload did (or was
        killed doing) the step: at most once."""
        if self.key is None:
            return await work()
        mark = f"step:{self.key}:{step}"
        if not await self.conversations.claim_event(PLATFORM, mark):
            log.info("%s of %s: done by an earlier attempt", step, self.key)
            return before
        try:
            return await work()
        except BaseException:
            try:
                await self.conversations.release_event(PLATFORM, mark)
            except Exception as exc:  # the store is gone too: the step is lost, not repeated
                log.warning("%s of %s stays marked: %s", step, self.key, type(exc).__name__)
            raise

    async def until_done(self, step: str, work: Callable[[], Awaitable[T]], *, before: T) -> T:
        """``work()``'s result, or ``before`` when an earlier attempt of this payload did the step;
        marked once it succeeded, so an attempt killed inside it runs it again: at least once."""
        if self.key is None:
            return await work()
        mark = f"step:{self.key}:{step}"
        if not await self.conversations.claim_event(PLATFORM, mark):  # the only check there is
            log.info("%s of %s: done by an earlier attempt", step, self.key)
            return before
        await self.conversations.release_event(PLATFORM, mark)
        result = await work()
        await self.conversations.claim_event(PLATFORM, mark)
        return result


async def claimed(conversations: ConversationStore, key: str, learn: Callable[[], Awaitable[Any]]) -> bool:
    """Claim ``key`` (one verdict or resolution per exchange, across people and payloads), then
    ``learn()``; False when it was claimed before. When the database fails while learning, nothing
    was learned (one transaction), so the claim is released for the retry."""
    if not await conversations.claim_event(PLATFORM, key):
        return False
    try:
        await learn()
    except ServiceUnavailableError:
        await conversations.release_event(PLATFORM, key)
        raise
    return True


async def or_retry_later(work: Awaitable[T], what: str) -> T:
    """``await work``; a transient Slack failure, a call whose reply was lost or an unavailable
    database becomes ``RetryLater``."""
    try:
        return await retried_when_unavailable(work, what)
    except SlackApiError as exc:
        if is_transient(exc):
            raise RetryLater(f"{what}: Slack said {slack_error(exc)}") from exc
        raise
    except Exception as exc:
        if unsure_post(exc):
            raise RetryLater(f"{what}: Slack's reply was lost ({type(exc).__name__})") from exc
        raise
