"""Terminal and JSON renderings of answers, events and figures."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from adapters.wording import truncate
from assistant.models import Answer, LearningEvent

if TYPE_CHECKING:
    from adapters.storage.sql.console_queries import LearnedEntry


def to_json(value: Any) -> str:
    """JSON for dataclasses (at any depth: a list of ``LearningEvent`` too), enums and datetimes,
    NaN written as null."""

    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    def clean(obj: Any) -> Any:
        if is_dataclass(obj) and not isinstance(obj, type):  # at any depth: a list of events too
            return clean(asdict(obj))
        if isinstance(obj, float) and math.isnan(obj):
            return None
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        return obj

    return json.dumps(clean(value), default=default, indent=2, ensure_ascii=False)


def answer_json(answer: Answer) -> str:
    data = asdict(answer)
    data.pop("features", None)
    data.pop("outcome", None)
    return to_json(data)


def answer_text(answer: Answer) -> str:
    """How an answer reads in a terminal: the text, its sources, and what happened."""
    lines = []
    if answer.handed_off:
        lines.append(f"→ Handed off to a person (confidence {answer.confidence:.0%}).")
        if answer.text:
            lines.append("Draft for the agent:")
            lines.append(_indent(answer.text))
    else:
        lines.append(answer.text)
        lines.append(f"(confidence {answer.confidence:.0%})")
    for source in answer.sources:
        where = f" <{source.url}>" if source.url else ""
        lines.append(f"  source: {source.title}{where}")
    lines.append(f"answer id: {answer.id}")
    return "\n".join(lines)


def event_line(event: LearningEvent, name: str | None = None) -> str:
    """One learning event; ``name`` is the teacher's display name where it is known."""
    undone = " [undone]" if event.undone_at else ""
    actor = f"{name} <{event.actor}>" if name and name != event.actor else event.actor
    who = f"{actor} ({event.role.value})"
    account = f" · account {event.account}" if event.account else ""
    item = f" · item {event.item_id}" if event.item_id else ""
    return f"{event.id}  {event.created_at:%Y-%m-%d %H:%M}  {who}{account}: {event.effect}{item}{undone}"


def learned_text(entry: LearnedEntry) -> str:
    """One learning event for ``assistant learned``: its line, then what tells it apart."""
    lines = [event_line(entry.event, entry.actor_name)]
    if entry.question:
        where = f"  (in {entry.channel}, thread {entry.thread})" if entry.channel and entry.thread else ""
        lines.append(f"    question: {_excerpt(entry.question)}{where}")
    if entry.learned:
        scope = entry.for_account or "every account"
        lines.append(f"    learned:  {_excerpt(entry.learned)}  [for {scope}]")
    if entry.about:
        lines.append(f"    on:       {_excerpt(entry.about)}")
    if entry.replaced:
        lines.append(f"    replaced: {_excerpt(entry.replaced)}")
    return "\n".join(lines)


def _excerpt(text: str, limit: int = 160) -> str:
    return truncate(" ".join(text.split()), limit)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
