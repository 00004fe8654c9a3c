"""What identifies a click, a modal submission or a slash command, so the inbox can keep it.

Slack sends no ``event_id`` with interactive payloads. The inbox (``adapters.slack.work``) keys
them by what identifies one person's action in Slack's payloads:

* ``block_actions``: the action's ``action_ts``, the user and the ``action_id`` (a double click is
  two actions with two ``action_ts``; the same payload delivered twice is one);
* ``view_submission``: the view's ``id`` and ``hash`` (one submission of one version of a modal);
* slash commands: the ``trigger_id`` (unique per invocation).

Other interactive payloads (shortcuts, which only open a modal on a trigger that expires within
seconds) have no key and are not kept. Pure functions, like ``adapters.slack.events``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

__all__ = ["describe", "inbox_key", "interaction_key"]

KEY_LIMIT = 160  # the store's ids are 255 characters; steps (``adapters.slack.steps``) add a suffix


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def interaction_key(body: Mapping[str, Any]) -> str | None:
    """The inbox key of a click, a modal submission or a slash command; None for anything else
    (or when a field it needs is missing)."""
    kind = body.get("type")
    parts: tuple[Any, ...]
    if kind == "block_actions":
        actions = body.get("actions")
        action = _mapping(actions[0]) if isinstance(actions, list) and actions else {}
        user = _mapping(body.get("user")).get("id")
        parts = ("action", action.get("action_ts"), user, action.get("action_id"))
    elif kind == "view_submission":
        view = _mapping(body.get("view"))
        parts = ("view", view.get("id"), view.get("hash"))
    elif body.get("command"):
        parts = ("command", body.get("trigger_id"))
    else:
        return None
    if not all(isinstance(part, str) and part for part in parts):
        return None
    key = ":".join(str(part) for part in parts)
    if len(key) > KEY_LIMIT or not key.isprintable():
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        key = f"{parts[0]}:sha256:{digest}"
    return key


def inbox_key(body: Mapping[str, Any]) -> str | None:
    """What the inbox keeps a request under: an Events API ``event_id``, or ``interaction_key``."""
    if body.get("type") == "event_callback":
        event_id = body.get("event_id")
        return str(event_id) if event_id else None
    return interaction_key(body)


def describe(body: Mapping[str, Any]) -> tuple[str | None, str]:
    """(channel, what was asked) of a kept request, for the alert when it is given up."""
    event = _mapping(body.get("event"))
    if event:
        channel = event.get("channel") or _mapping(event.get("item")).get("channel")
        return (str(channel) if channel else None), str(event.get("text") or "")
    if body.get("command"):
        channel = body.get("channel_id")
        return (str(channel) if channel else None), f"{body.get('command')} {body.get('text') or ''}".strip()
    channel = _mapping(body.get("channel")).get("id") or _mapping(body.get("container")).get("channel_id")
    if body.get("type") == "view_submission":
        what = f"a form ({_mapping(body.get('view')).get('callback_id')})"
    else:
        actions = body.get("actions")
        action = _mapping(actions[0]) if isinstance(actions, list) and actions else {}
        what = f"a click on {action.get('action_id')}"
    user = _mapping(body.get("user")).get("id")
    return (str(channel) if channel else None), f"{what} by {user}"
