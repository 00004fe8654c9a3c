"""Pure functions on Slack text: mentions, splitting, times, slash-command arguments.

No I/O and no Slack SDK here, so each rule is tested on its own. The rules both chat platforms
share (small talk, what an agent's reply is) live in ``assistant.learning.replies``; the shared
wording and excerpts in ``adapters.wording``; what a reaction means in ``adapters.reactions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.errors import InvalidInputError

_BROADCAST = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>", re.IGNORECASE)
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|@?([^>]*))?>")


def neutralise_mentions(text: str) -> str:
    """Make @channel, @here, @everyone and user-group mentions plain text, so nobody is paged."""
    text = _BROADCAST.sub(lambda m: f"@\u200b{m.group(1).lower()}", text)
    return _SUBTEAM.sub(lambda m: f"@\u200b{m.group(1) or 'group'}", text)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a paragraph, line or word when possible."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def slack_time(ts: str | None) -> datetime:
    """A Slack ``ts`` ("1700000000.000100") as an aware datetime; now when absent or malformed."""
    try:
        return datetime.fromtimestamp(float(ts or ""), UTC)
    except ValueError:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Command:
    """``/assistant NAME ARGS``."""

    name: str
    args: str


def parse_command(text: str) -> Command:
    """The sub-command and the rest; no sub-command means ``help``."""
    stripped = text.strip()
    if not stripped:
        return Command("help", "")
    name, _, args = stripped.partition(" ")
    return Command(name.lower(), args.strip())


@dataclass(frozen=True, slots=True)
class TeachArgs:
    question: str
    answer: str
    private: bool


def parse_teach(args: str) -> TeachArgs:
    """``<question> | <answer> [--private]``."""
    private = False
    text = args.strip()
    if text.endswith("--private"):
        private = True
        text = text.removesuffix("--private").rstrip()
    question, bar, answer = text.partition("|")
    if not bar or not question.strip() or not answer.strip():
        raise InvalidInputError("Use: /assistant teach <question> | <answer> [--private]")
    return TeachArgs(question.strip(), answer.strip(), private)
