"""Small pure checks and accessors on Bot Framework activities (no I/O, nothing sent).

``malformed`` is the gate of ``/api/messages``: a body it rejects is answered with 400 before the
SDK sees it, so nothing is authenticated, stored or answered for it. ``Place`` says where an
activity happened in the terms the conversation store uses: the channel a binding is keyed by, the
conversation to reply in and the thread's root message.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_TAG = re.compile(r"<[^>]+>")
_AT = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_MESSAGE_ID = ";messageid="

#: Activities that must say who sent them and in which conversation.
_CONVERSATIONAL = frozenset({"message", "invoke", "conversationUpdate", "messageReaction", "event"})


def malformed(body: object) -> str | None:
    """Why ``body`` is not an activity the bot can handle, or None when it is."""
    if not isinstance(body, Mapping):
        return "the body is not a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "'type' is missing"
    url = body.get("serviceUrl")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        return "'serviceUrl' is not an http(s) URL"
    if not isinstance(body.get("channelId"), str):
        return "'channelId' is missing"
    if kind not in _CONVERSATIONAL:
        return None
    conversation = body.get("conversation")
    if not isinstance(conversation, Mapping) or not isinstance(conversation.get("id"), str):
        return "'conversation.id' is missing"
    sender = body.get("from")
    if not isinstance(sender, Mapping) or not isinstance(sender.get("id"), str):
        return "'from.id' is missing"
    if kind == "message":
        if "text" in body and body["text"] is not None and not isinstance(body["text"], str):
            return "'text' is not a string"
        value = body.get("value")
        if value is not None and not isinstance(value, Mapping | str):  # messageBack sends a string
            return "'value' is not an object or a string"
    if kind == "invoke" and not isinstance(body.get("name"), str):
        return "'name' is missing from the invoke"
    return None


def channel_data(activity: Any) -> Mapping[str, Any]:
    data = getattr(activity, "channel_data", None)
    return data if isinstance(data, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Place:
    """Where an activity happened.

    In a Teams channel, ``channel`` is the channel's id (``19:...@thread.tacv2``), ``conversation``
    the thread (``<channel>;messageid=<root>``) and ``thread`` the root message's id. In a chat
    (1:1 or group) the three are the chat's conversation id: a chat is one thread.
    """

    channel: str
    conversation: str
    thread: str
    personal: bool
    team: str | None = None


def place_of(activity: Any) -> Place:
    conversation = activity.conversation
    conversation_id = str(conversation.id)
    data = channel_data(activity)
    channel = str((data.get("channel") or {}).get("id") or "")
    team = (data.get("team") or {}).get("id")
    kind = (conversation.conversation_type or "").lower()
    if channel:
        base, _, root = conversation_id.partition(_MESSAGE_ID)
        root = root or str(activity.reply_to_id or activity.id or "")
        thread = thread_conversation(base, root)
        return Place(channel=channel, conversation=thread, thread=root, personal=False, team=team)
    return Place(
        channel=conversation_id,
        conversation=conversation_id,
        thread=conversation_id,
        personal=kind == "personal",
    )


def thread_conversation(channel: str, root: str) -> str:
    """The conversation id of the thread under ``root`` in a channel."""
    return f"{channel}{_MESSAGE_ID}{root}"


def channel_conversation(conversation_id: str) -> str:
    """The channel-level conversation id of a thread's conversation id."""
    return conversation_id.partition(_MESSAGE_ID)[0]


def clean_text(text: str | None) -> str:
    """A message's plain text: @mentions, HTML tags and entities removed."""
    if not text:
        return ""
    text = _AT.sub(" ", text)
    text = text.replace("<br>", "\n").replace("<br/>", "\n").replace("</p>", "\n")
    text = html.unescape(_TAG.sub(" ", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line).strip()


def card_submission(activity: Any) -> Mapping[str, Any] | None:
    """The data of a card's submission, else None: an Action.Submit (a message with a ``value``
    object and no text), or a messageBack, whose ``value`` may be serialised JSON and which carries
    its own ``text`` (a ``value`` string that is no JSON object with a verb is an ordinary message)."""
    value = getattr(activity, "value", None)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) and isinstance(parsed.get("verb"), str) else None
    if isinstance(value, Mapping) and isinstance(value.get("verb"), str) and not clean_text(activity.text):
        return value
    return None


def mentions_bot(activity: Any) -> bool:
    """Whether the message @mentions the bot (Teams' ``mention`` entity naming the recipient)."""
    recipient = getattr(getattr(activity, "recipient", None), "id", None)
    for entity in getattr(activity, "entities", None) or []:
        data = entity if isinstance(entity, Mapping) else getattr(entity, "additional_properties", None) or {}
        kind = entity.get("type") if isinstance(entity, Mapping) else getattr(entity, "type", None)
        if kind == "mention" and isinstance(data, Mapping):
            mentioned = data.get("mentioned") or {}
            if recipient and isinstance(mentioned, Mapping) and mentioned.get("id") == recipient:
                return True
    return False
