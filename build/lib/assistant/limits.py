"""What a question may be (``checked_question_text``: not empty, not too long), and how many
questions one person, and one channel, may ask per minute: token buckets.

The text check is here, apart from the service, so that an entry point (the CLI) can refuse bad
input before it loads the model.

A burst from one user (a script, a paste loop) or one channel must not starve the others or run
up the LLM bill, yet a person who asks a few questions in a row must never notice a limit. Each
key (a user, a channel) has a bucket holding up to ``per_minute`` tokens, refilled continuously
at ``per_minute`` per minute; a question takes one token from its user's bucket and one from its
channel's. When either is empty the question is refused with the time after which it would be
accepted: the chat adapters tell the asker so (nothing is silently dropped).

Pure logic on an injected clock (``time.monotonic`` by default), so tests step time by hand. The
buckets live in the adapter's process: with several instances each one limits what it receives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import InvalidInputError

__all__ = ["Clock", "QuestionLimits", "RateDecision", "TokenBuckets", "checked_question_text"]


def checked_question_text(text: str, *, max_chars: int) -> str:
    """The question's text stripped; InvalidInputError when it is empty or longer than ``max_chars``."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError("The question is empty.")
    if len(stripped) > max_chars:
        raise InvalidInputError(
            f"The question is {len(stripped):,} characters long; the limit is {max_chars:,}."
        )
    return stripped

Clock = Callable[[], float]

# Full buckets are forgotten once this many keys are tracked (a full bucket equals a new one).
_PRUNE_AT = 10_000


@dataclass(frozen=True, slots=True)
class RateDecision:
    """``allowed``, or refused until ``retry_after`` seconds from now (whole seconds, at least 1)."""

    allowed: bool
    retry_after: int = 0
    scope: str | None = None  # "user" or "channel": which limit refused


class TokenBuckets:
    """One token bucket per key, each holding up to ``per_minute`` tokens."""

    def __init__(self, per_minute: float, *, clock: Clock = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def available(self, key: str) -> float:
        """Tokens in ``key``'s bucket now (fractional)."""
        tokens, when = self._buckets.get(key, (self.capacity, self._clock()))
        return min(self.capacity, tokens + (self._clock() - when) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a whole token (0 when it has one now)."""
        missing = 1.0 - self.available(key)
        return max(0.0, missing / self.rate)

    def take(self, key: str) -> None:
        """Remove one token (the caller checked ``wait`` first)."""
        now = self._clock()
        self._buckets[key] = (self.available(key) - 1.0, now)
        if len(self._buckets) > _PRUNE_AT:
            self._prune()

    def _prune(self) -> None:
        full = [key for key in self._buckets if self.available(key) >= self.capacity]
        for key in full:
            del self._buckets[key]


class QuestionLimits:
    """Questions per user and per channel per minute; ``check`` takes a token from both or neither."""

    def __init__(self, *, per_user: float, per_channel: float, clock: Clock = time.monotonic) -> None:
        self.users = TokenBuckets(per_user, clock=clock)
        self.channels = TokenBuckets(per_channel, clock=clock)

    def check(self, *, user: str, channel: str) -> RateDecision:
        user_wait, channel_wait = self.users.wait(user), self.channels.wait(channel)
        if user_wait > 0 or channel_wait > 0:
            scope = "user" if user_wait >= channel_wait else "channel"
            return RateDecision(False, max(1, math.ceil(max(user_wait, channel_wait))), scope)
        self.users.take(user)
        self.channels.take(channel)
        return RateDecision(True)
