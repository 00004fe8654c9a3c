"""Reading what the app posted: buttons, texts, events learned."""

from __future__ import annotations

from typing import Any

from assistant.models import LearningEvent, Signal
from assistant.service import Assistant


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The button ``action_id`` in a posted message's (or view's) blocks."""
    for block in message.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {message.get('blocks')}")


def has_button(message: dict[str, Any], action_id: str) -> bool:
    try:
        button(message, action_id)
    except AssertionError:
        return False
    return True


def block_text(message: dict[str, Any]) -> str:
    """All text in a message's blocks, for assertions."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


async def events_of(assistant: Assistant, signal: Signal) -> list[LearningEvent]:
    return [e for e in await assistant.learned(limit=100, include_undone=True) if e.signal is signal]


def teach_prompts(fake: Any, user: str) -> list[dict[str, Any]]:
    """The private "Teach this" notes ``user`` got after replying in a customer thread, oldest first."""
    from adapters.slack import constants as ids

    return [
        call.args
        for call in fake.answered("chat.postEphemeral")
        if call.args.get("user") == user and has_button(call.args, ids.TEACH_REPLY)
    ]
