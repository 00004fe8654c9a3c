"""Requests as Slack sends them to an app's ``/slack/events``, signed with the v0 scheme.

Payload shapes follow Slack's documentation (Events API ``event_callback`` envelopes,
``block_actions``, ``view_submission`` and ``message_action`` as form-encoded ``payload=``, slash
commands as plain form fields)::

    sender = SlackSender(session, url, signing_secret)
    response = await sender.event(message_event("C1", "U1", "How do I ...?", ts="1710000000.000100"))
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "SlackSender",
    "block_actions",
    "message_event",
    "message_shortcut",
    "reaction_event",
    "slash_command",
    "view_submission",
]

HOME_TEAM = "T_HOME"
APP_ID = "A_APP"
_event_ids = itertools.count(1)


class SlackSender:
    """Posts signed requests to the app; ``timestamp``/``signature`` overrides forge bad ones."""

    def __init__(self, session: aiohttp.ClientSession, url: str, signing_secret: str) -> None:
        self.session = session
        self.url = url
        self.verifier = SignatureVerifier(signing_secret)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = signature or self.verifier.generate_signature(timestamp=stamp, body=body) or ""
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signed,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode("utf-8"), headers=all_headers) as response:
            return response.status, await response.text(), {k.lower(): v for k, v in response.headers.items()}

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **options: Any,
    ) -> tuple[int, str, dict[str, str]]:
        """An Events API ``event_callback`` (JSON), optionally as Slack's retry of an earlier one."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": HOME_TEAM,
            "context_team_id": HOME_TEAM,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": HOME_TEAM,
                    "user_id": "U_BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": True,
        }
        headers = dict(options.pop("headers", {}) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return await self.post(json.dumps(envelope), "application/json", headers=headers, **options)

    async def url_verification(self, challenge: str) -> tuple[int, str, dict[str, str]]:
        body = {"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"}
        return await self.post(json.dumps(body), "application/json")

    async def interaction(self, payload: dict[str, Any], **options: Any) -> tuple[int, str, dict[str, str]]:
        """``block_actions``, ``view_submission`` or ``message_action``: form-encoded ``payload=``."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    async def command(self, fields: dict[str, str], **options: Any) -> tuple[int, str, dict[str, str]]:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **options)


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def message_event(
    channel: str,
    user: str,
    text: str,
    *,
    ts: str,
    thread_ts: str | None = None,
    user_team: str = HOME_TEAM,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event in a channel (``message.channels``), as a person posts it."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": user_team,
        "user_team": user_team,
        "source_team": user_team,
        "client_msg_id": f"msg-{ts}",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "b1",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = "U_SOMEONE"
    event.update(extra)
    return event


def reaction_event(
    user: str, reaction: str, *, channel: str, ts: str, item_user: str = "U_BOT"
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def block_actions(
    *,
    user: str,
    action_id: str,
    value: str,
    channel: str,
    message_ts: str,
    response_url: str,
    team_id: str = HOME_TEAM,
) -> dict[str, Any]:
    """A button click on a message."""
    return {
        "type": "block_actions",
        "user": _user(user, team_id),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"trigger-{action_id}-{message_ts}",
        "team": {"id": HOME_TEAM, "domain": "home"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel.lower()},
        "message": {"type": "message", "user": "U_BOT", "bot_id": "B_BOT", "ts": message_ts, "text": ""},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "blk",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    *, user: str, callback_id: str, private_metadata: str, values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A modal's submission; ``values`` is ``view.state.values`` (block id -> action id -> value)."""
    return {
        "type": "view_submission",
        "team": {"id": HOME_TEAM, "domain": "home"},
        "user": _user(user, HOME_TEAM),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"trigger-{callback_id}",
        "view": {
            "id": f"V{next(_event_ids):08d}",  # each submission from its own modal, as in Slack
            "team_id": HOME_TEAM,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1.hash",
            "title": {"type": "plain_text", "text": "Modal"},
            "app_id": APP_ID,
            "bot_id": "B_BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def message_shortcut(
    *, user: str, callback_id: str, channel: str, message_ts: str, text: str, response_url: str
) -> dict[str, Any]:
    """A message shortcut (``message_action``) used on a message."""
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": HOME_TEAM, "domain": "home"},
        "user": _user(user, HOME_TEAM),
        "channel": {"id": channel, "name": channel.lower()},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": f"trigger-{callback_id}-{message_ts}",
        "response_url": response_url,
        "message_ts": message_ts,
        "message": {"type": "message", "user": "U_BOT", "bot_id": "B_BOT", "ts": message_ts, "text": text},
    }


def slash_command(
    *,
    user: str,
    channel: str,
    text: str,
    response_url: str,
    team_id: str = HOME_TEAM,
    command: str = "/assistant",
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": "home",
        "channel_id": channel,
        "channel_name": channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"trigger-command-{user}-{next(_event_ids)}",  # unique per invocation, as Slack's
    }
