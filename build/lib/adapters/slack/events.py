"""Small pure checks and accessors on Slack payloads (events, actions, views, shortcuts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.slack import constants as ids

#: Message subtypes that are a person writing; everything else (edits, joins, bots) is not.
PERSON_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A message a person wrote: no bot, no edit or deletion, a user and some text."""
    subtype = event.get("subtype")
    if subtype is not None and subtype not in PERSON_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("app_id"):
        return False
    return bool(event.get("user")) and bool((event.get("text") or "").strip())


def thread_root(event: Mapping[str, Any]) -> str:
    """The ``ts`` of the thread a message is in (its own ``ts`` at the top level)."""
    return str(event.get("thread_ts") or event["ts"])


def is_thread_reply(event: Mapping[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return thread_ts is not None and thread_ts != event.get("ts")


def external_id(channel: str, ts: str) -> str:
    """The id a Slack message is stored under as a question."""
    return f"{ids.PLATFORM}:{channel}:{ts}"


def action_value(body: Mapping[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return str(value) if value is not None else None


def container(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(channel, message ts) of the message a button sits on; (None, None) for views."""
    box = body.get("container") or {}
    return box.get("channel_id"), box.get("message_ts")


def user_id(body: Mapping[str, Any]) -> str:
    user = body.get("user") or {}
    return str(user.get("id") or body.get("user_id") or "")


def view_input(view: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    return (values.get(block_id) or {}).get(action_id) or {}


def view_text(view: Mapping[str, Any]) -> str:
    return str(view_input(view, ids.TEXT_BLOCK, ids.TEXT_INPUT).get("value") or "").strip()


def view_scope(view: Mapping[str, Any]) -> str:
    selected = view_input(view, ids.SCOPE_BLOCK, ids.SCOPE_INPUT).get("selected_option") or {}
    return str(selected.get("value") or ids.SCOPE_ACCOUNT)


#: Top-level fields Bolt reads before any listener runs, and the type each must have.
_FIELD_TYPES: dict[str, type] = {
    "event": dict,
    "team": dict,
    "user": dict,
    "enterprise": dict,
    "team_id": str,
    "enterprise_id": str,
    "api_app_id": str,
}


def timestamp_problem(timestamp: str | None) -> str | None:
    """Why a request's ``X-Slack-Request-Timestamp`` cannot be checked (None when it can)."""
    if not timestamp or not timestamp.isdigit():
        return "missing or malformed X-Slack-Request-Timestamp"
    return None


def shape_problem(body: Mapping[str, Any]) -> str | None:
    """Why a parsed payload is not one Slack sends (a field of the wrong type), or None."""
    if "event" in body and not isinstance(body["event"], dict):  # never null in what Slack sends
        return "'event' must be a JSON object"
    for field, kind in _FIELD_TYPES.items():
        value = body.get(field)
        if value is not None and not isinstance(value, kind):
            return f"'{field}' must be a {'JSON object' if kind is dict else 'string'}"
    return None
