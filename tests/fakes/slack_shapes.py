"""The shapes of Slack's Web API objects (users, channels, messages, views) and its request checks.

Field names and types follow Slack's method reference (``users.info``, ``conversations.info``,
``chat.postMessage``, ``views.open``); only the fields an app commonly reads are filled in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web


def user_record(
    user_id: str,
    *,
    team_id: str,
    is_bot: bool = False,
    is_restricted: bool = False,
    name: str | None = None,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """A ``users.info`` ``user``; an Enterprise Grid member carries ``enterprise_user``."""
    record: dict[str, Any] = {
        "id": user_id,
        "team_id": team_id,
        "name": name or user_id.lower(),
        "real_name": name or user_id,
        "deleted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "is_restricted": is_restricted,
        "is_ultra_restricted": False,
        "is_admin": False,
        "tz": "Europe/London",
        "profile": {"display_name": name or user_id, "team": team_id},
    }
    if enterprise_id:
        record["enterprise_user"] = {
            "id": user_id,
            "enterprise_id": enterprise_id,
            "enterprise_name": enterprise_id,
            "is_admin": False,
            "is_owner": False,
            "teams": [team_id],
        }
    return record


def channel_record(
    channel_id: str,
    *,
    team_id: str,
    is_ext_shared: bool,
    is_private: bool,
    external_teams: Sequence[str] = (),
) -> dict[str, Any]:
    """A ``conversations.info`` ``channel``; a Slack Connect channel lists the organisations it
    connects in ``connected_team_ids`` (the host first), as Slack documents for shared channels."""
    record: dict[str, Any] = {
        "id": channel_id,
        "name": channel_id.lower(),
        "is_channel": not is_private,
        "is_group": is_private,
        "is_im": False,
        "is_private": is_private,
        "is_archived": False,
        "is_member": True,
        "is_shared": is_ext_shared,
        "is_ext_shared": is_ext_shared,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "context_team_id": team_id,
        "created": 1_700_000_000,
    }
    if is_ext_shared:
        record["conversation_host_id"] = team_id
        record["connected_team_ids"] = [team_id, *external_teams]
        record["internal_team_ids"] = []
    return record


def bot_message(args: dict[str, Any], *, ts: str, user: str, bot_id: str, team_id: str) -> dict[str, Any]:
    """The ``message`` a ``chat.postMessage`` or ``chat.update`` returns."""
    message = {
        "type": "message",
        "subtype": "bot_message",
        "text": args.get("text", ""),
        "user": user,
        "bot_id": bot_id,
        "ts": ts,
        "team": team_id,
        "blocks": args.get("blocks", []),
    }
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    metadata = metadata_of(args)
    if metadata is not None:
        message["metadata"] = metadata
    return message


def metadata_of(args: dict[str, Any]) -> dict[str, Any] | None:
    """A message's ``metadata`` argument (a JSON object or its text) when well formed: an
    ``event_type`` name and an ``event_payload`` object of strings, numbers and booleans."""
    metadata = args.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if not isinstance(metadata, dict):
        return None
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not event_type.replace("_", "").isalnum():
        return None
    if not isinstance(payload, dict) or not all(
        isinstance(v, (str, int, float, bool)) for v in payload.values()
    ):
        return None
    return {"event_type": event_type, "event_payload": payload}


def view_record(view: dict[str, Any], view_id: str, team_id: str, bot_id: str) -> dict[str, Any]:
    """The ``view`` that ``views.open``, ``views.update`` and ``views.publish`` return."""
    return {
        "id": view_id,
        "team_id": team_id,
        "app_id": "A_APP",
        "bot_id": bot_id,
        "hash": f"{view_id}.hash",
        "state": {"values": {}},
        "private_metadata": "",
        "callback_id": "",
        **view,
    }


async def request_arguments(request: web.Request) -> dict[str, Any]:
    """Query string, form and JSON body merged, as Slack reads them; JSON-in-form values decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(dict(await request.post()))
    for name in ("blocks", "view", "attachments"):
        if isinstance(args.get(name), str):
            args[name] = json.loads(args[name])
    return args


def block_problem(blocks: list[dict[str, Any]], limit: int = 50) -> str | None:
    """The first way ``blocks`` break Slack's limits, or None."""
    if len(blocks) > limit:
        return f"no more than {limit} items allowed [json-pointer:/blocks]"
    for index, block in enumerate(blocks):
        text = block.get("text") or {}
        if block.get("type") == "section" and len(text.get("text", "")) > 3000:
            return f"must be less than 3001 characters [json-pointer:/blocks/{index}/text/text]"
        for element in block.get("elements") or []:
            if element.get("type") == "button" and len(element.get("value", "")) > 2000:
                return f"must be less than 2001 characters [json-pointer:/blocks/{index}/elements]"
    return None
