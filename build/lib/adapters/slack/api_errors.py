"""Every shape a failed Slack Web API call can take, read safely, and which ones to retry.

The SDK's ``SlackApiError.response`` is usually a ``SlackResponse`` whose data is Slack's JSON
(``{"ok": false, "error": "channel_not_found"}``), but a proxy or load balancer in front of
Slack answers with an HTML or plain-text page (a 502, a 503): then the data is ``{}`` or a
string, or the response is aiohttp's own object, and the SDK itself raises ``AttributeError``
while validating a string body. Calling ``.get`` on those shapes raised again and lost the
message. ``slack_error`` reads the error code from any of them; ``is_transient`` says which
failures the inbox retries (rate limits, server errors, and any answer that is not Slack's JSON);
``lookup`` turns one lookup call's failures into ``RetryLater`` or a definitive "no answer".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.inbox import RetryLater

__all__ = ["SDK_BODY_ERRORS", "is_transient", "lookup", "slack_error"]

log = logging.getLogger(__name__)

SDK_BODY_ERRORS = (AttributeError, TypeError, ValueError)
"""What the SDK raises reading a body that is not Slack's JSON (a proxy's page)."""
_TRANSIENT_CODES = frozenset({"ratelimited", "fatal_error", "internal_error", "service_unavailable"})


def slack_error(exc: SlackApiError) -> str | None:
    """Slack's ``error`` code in a failed response, whatever its shape; None when it has none."""
    data = getattr(exc.response, "data", None)
    code = data.get("error") if isinstance(data, Mapping) else None
    return str(code) if code else None


def _status(exc: SlackApiError) -> int:
    status = getattr(exc.response, "status_code", None) or getattr(exc.response, "status", None)
    return status if isinstance(status, int) else 200


def is_transient(exc: SlackApiError) -> bool:
    """A Slack failure worth retrying later: rate limited, a server error (HTTP 429, 5xx), or an
    answer that is not Slack's JSON at all (no error code: a proxy's page)."""
    status = _status(exc)
    code = slack_error(exc)
    return status == 429 or status >= 500 or code is None or code in _TRANSIENT_CODES


async def lookup(call: Awaitable[Any], what: str) -> Mapping[str, Any] | None:
    """The data of a read-only Slack call; None when Slack definitively refused (an error code
    such as ``channel_not_found``); ``RetryLater`` when it failed for a while or answered with
    something that is not Slack's JSON, so the inbox runs the event again."""
    try:
        response = await call
    except SlackApiError as exc:
        if is_transient(exc):
            raise RetryLater(f"{what}: Slack failed (HTTP {_status(exc)}, {slack_error(exc)})") from exc
        log.warning("%s failed: %s", what, slack_error(exc))
        return None
    except SDK_BODY_ERRORS as exc:
        raise RetryLater(f"{what}: Slack's answer was not JSON ({type(exc).__name__})") from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise RetryLater(f"{what}: Slack could not be reached ({type(exc).__name__})") from exc
    data = getattr(response, "data", None)
    if not isinstance(data, Mapping):
        raise RetryLater(f"{what}: Slack's answer was not JSON")
    return data
