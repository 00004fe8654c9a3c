"""The assistant's own posts, found again in Slack when it cannot tell whether a post happened.

A ``chat.postMessage`` whose connection dropped or timed out may have been posted: Slack took it,
the answer to the call was lost. Posting it again would show the customer the same answer twice,
so such a post is not retried blindly (``PostSafeRetries`` keeps slack_sdk from doing so); the
event is retried later by the inbox (``RetryLater``), and a resumed attempt first looks in Slack
for what it would post. Each answer, hand-off notice and hand-off post carries message metadata
naming its answer and kind (``post_metadata``), which ``find_posted`` looks for in the thread
(``conversations.replies``) or the channel (``conversations.history``).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from aiohttp import ClientConnectionError, ClientConnectorError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from assistant.conversations import LinkKind

__all__ = ["POST_EVENT_TYPE", "PostKind", "PostSafeRetries", "find_posted", "post_metadata", "unsure_post"]

log = logging.getLogger(__name__)

POST_EVENT_TYPE = "support_assistant_post"
#: What a post is for its exchange: the link kinds, a relayed customer message, an agent's reply
#: sent from the hand-off thread (those two name a message key instead of an answer id).
PostKind = LinkKind | Literal["relay", "forward"]
#: How far back a resumed attempt reads a channel or a thread for its own post.
LOOKBACK_MESSAGES = 200
#: Web API methods that are not safe to send twice: the second call posts a second message.
NOT_IDEMPOTENT = ("chat.postMessage",)


def post_metadata(answer_id: str, kind: PostKind) -> dict[str, Any]:
    """The metadata that names a post: which answer, and what the post is for it."""
    return {"event_type": POST_EVENT_TYPE, "event_payload": {"answer_id": answer_id, "kind": kind}}


def _names(message: dict[str, Any], answer_id: str, kind: PostKind) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == POST_EVENT_TYPE
        and payload.get("answer_id") == answer_id
        and payload.get("kind") == kind
    )


async def find_posted(
    client: AsyncWebClient,
    *,
    channel: str,
    answer_id: str,
    kind: PostKind,
    thread_ts: str | None = None,
    oldest: str | None = None,
) -> str | None:
    """The ts of the post for (``answer_id``, ``kind``) already in Slack: in the thread
    ``thread_ts``, else among the channel's top-level messages after ``oldest``; None if absent."""
    if thread_ts is not None:
        found = await client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=LOOKBACK_MESSAGES
        )
    else:
        found = await client.conversations_history(
            channel=channel, oldest=oldest, include_all_metadata=True, limit=LOOKBACK_MESSAGES
        )
    for message in found.get("messages") or []:
        if _names(message, answer_id, kind):
            log.info("%s of answer %s was posted already (%s)", kind, answer_id, message.get("ts"))
            return str(message["ts"])
    return None


def unsure_post(exc: BaseException) -> bool:
    """Whether a failed post may have been posted: the connection dropped or timed out after the
    request was sent (not refused before it: then nothing was posted)."""
    if isinstance(exc, ClientConnectorError):
        return False
    return isinstance(exc, (TimeoutError, OSError, ClientConnectionError))


class PostSafeRetries(AsyncConnectionErrorRetryHandler):
    """slack_sdk's connection-error retries, except for a post that may have been posted."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is not None and request.url.endswith(NOT_IDEMPOTENT) and unsure_post(error):
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)
