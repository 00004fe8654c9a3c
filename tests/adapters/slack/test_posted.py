"""Which failed Slack calls may be retried blindly, which are left to the inbox, and how the
assistant's posts are named."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiohttp import ClientConnectorError, ServerDisconnectedError, ServerTimeoutError
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from adapters.slack.app import CONNECTION_ERRORS, CONNECTION_RETRIES
from adapters.slack.posted import POST_EVENT_TYPE, PostSafeRetries, post_metadata, unsure_post
from adapters.slack.steps import or_retry_later
from adapters.slack.work import RetryLater
from assistant.errors import ServiceUnavailableError
from tests.fakes.slack_shapes import metadata_of

API = "https://slack.com/api/"


def refused_connection() -> ClientConnectorError:
    key = SimpleNamespace(host="slack.com", port=443, ssl=True)
    return ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "unsure"),
    [
        (ServerDisconnectedError(), True),  # sent, then the connection dropped
        (ServerTimeoutError(), True),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (refused_connection(), False),  # never sent
        (ValueError("a bug"), False),
    ],
)
def test_a_post_is_unsure_once_the_request_may_have_reached_slack(error: Exception, unsure: bool) -> None:
    assert unsure_post(error) is unsure


@pytest.mark.parametrize(
    ("method", "error", "retried"),
    [
        ("chat.postMessage", ServerDisconnectedError(), False),
        ("chat.postMessage", TimeoutError(), False),
        ("chat.postMessage", refused_connection(), True),
        ("chat.update", ServerDisconnectedError(), True),  # the same message again: harmless
        ("conversations.replies", TimeoutError(), True),
    ],
)
async def test_slack_sdk_retries_everything_but_a_post_that_may_have_landed(
    method: str, error: Exception, retried: bool
) -> None:
    handler = PostSafeRetries(max_retry_count=CONNECTION_RETRIES, error_types=CONNECTION_ERRORS)
    request = HttpRequest(method="POST", url=f"{API}{method}", headers={})
    assert await handler.can_retry_async(state=RetryState(), request=request, error=error) is retried


def test_post_metadata_is_what_slack_accepts() -> None:
    metadata = post_metadata("ans_1", "handoff")
    assert metadata_of({"metadata": metadata}) == metadata
    assert metadata["event_type"] == POST_EVENT_TYPE


async def _raise(error: Exception) -> None:
    raise error


@pytest.mark.parametrize(
    ("error", "becomes"),
    [
        (ServerDisconnectedError(), RetryLater),  # the sweep resumes it
        (TimeoutError(), RetryLater),
        (ServiceUnavailableError("database locked"), RetryLater),
        (ValueError("a bug"), ValueError),  # not hidden behind retries
    ],
)
async def test_a_click_s_work_whose_reply_was_lost_is_left_for_the_sweep(
    error: Exception, becomes: type[Exception]
) -> None:
    with pytest.raises(becomes):
        await or_retry_later(_raise(error), "send draft")
