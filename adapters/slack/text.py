"""Pure functions on Slack text: what is small talk, what is a resolution, mentions, splitting.

No I/O and no Slack SDK here, so each rule is tested on its own.

The rule for an agent's reply that is *not* a resolution (``is_resolution_reply``): it starts with
``note:``, ``internal:``, ``(internal)``, ``[internal]`` or ``//`` (any case, after leading
mentions), or it is small talk ("thanks!", "ok", an emoji). Everything else an agent writes in
the thread after the assistant's answer or hand-off teaches the assistant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.errors import InvalidInputError
from assistant.models import Signal

_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']+:(?::skin-tone-\d:)?", re.IGNORECASE)
_MENTION = re.compile(r"<[@#!][^>]*>")
_NON_WORD = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_LEADING_MENTIONS = re.compile(r"^(?:\s*<@[UW][A-Z0-9_]+(?:\|[^>]*)?>[\s,:]*)+")
_BROADCAST = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>", re.IGNORECASE)
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|@?([^>]*))?>")

_SMALL_TALK = """
    thanks thank thankyou thx ty tysm you u so very much a lot lots many again all team folks everyone
    guys there ok okay k kk okey alright cool great perfect awesome nice excellent amazing super brilliant
    got it that works worked sounds good fine sure yes yep yeah no nope np noted understood
    hi hello hey hiya morning afternoon evening good day bye goodbye cheers later see ya
    welcome lol haha :) much appreciated appreciate it's its all
"""
SMALL_TALK_WORDS = frozenset(_SMALL_TALK.split())
_SMALL_TALK_MAX_WORDS = 8
_NOT_RESOLUTION_PREFIXES = ("note:", "internal:", "(internal)", "[internal]", "//")


def words_of(text: str) -> list[str]:
    """Lower-case words without mentions, emoji codes or punctuation."""
    text = _MENTION.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    text = _NON_WORD.sub(" ", text.lower())
    return [word for word in _SPACES.split(text) if word and not word.isdigit()]


def is_small_talk(text: str) -> bool:
    """Thanks, greetings, acknowledgements and emoji-only messages: nothing to answer."""
    if "?" in text:
        return False
    words = words_of(text)
    if not words:
        return True
    return len(words) <= _SMALL_TALK_MAX_WORDS and all(word in SMALL_TALK_WORDS for word in words)


def clean_reply(text: str) -> str:
    """An agent's reply without the mentions it starts with ("<@U123> try this" -> "try this")."""
    return _LEADING_MENTIONS.sub("", text).strip()


def is_resolution_reply(text: str) -> bool:
    """Whether an agent's reply in the thread is the answer to learn (see the module docstring)."""
    cleaned = clean_reply(text)
    if not cleaned or is_small_talk(cleaned):
        return False
    return not cleaned.lower().startswith(_NOT_RESOLUTION_PREFIXES)


def reaction_signal(name: str, *, approve: frozenset[str], reject: frozenset[str]) -> Signal | None:
    """APPROVE or REJECT for a reaction name (skin tones ignored), else None."""
    base = name.split("::", 1)[0]
    if base in approve:
        return Signal.APPROVE
    if base in reject:
        return Signal.REJECT
    return None


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


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
