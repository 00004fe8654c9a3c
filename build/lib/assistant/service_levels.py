"""Service levels: how long a customer may wait for a person, per account tier, and who is late.

A conversation handed to people (``ThreadState.HANDED_OFF``: a hand-off, a relayed message) waits
for a person from the moment people were asked (``Conversation.waiting_since``; a customer writing
again meanwhile does not restart the clock); when it waits past its tier's first-response target, the
agents are reminded (once per waiting period) in the conversation's hand-off thread, naming the
owner when there is one. The targets come from one setting (``Settings.first_response_minutes``:
``"enterprise=15,premium=30,default=240"``); a tier the setting does not name gets ``default``.

The customer's rating once a conversation is resolved (CSAT) is on a fixed scale, and counts as
a weak learning signal about the answer that resolved it (good: helped, bad: did not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from assistant.errors import ConfigurationError
from assistant.threads import Conversation, ThreadState

DEFAULT_TIER = "default"
DEFAULT_TARGET_MINUTES = 240.0

#: The ratings a customer can give a resolved conversation, worst to best, and what each says.
CSAT_SCALE: Mapping[int, str] = {1: "bad", 2: "okay", 3: "great"}
GOOD_CSAT = 3
BAD_CSAT = 1


def csat_helped(score: int) -> bool | None:
    """What a rating says about the answer that resolved the conversation: it helped (True), it
    did not (False), or nothing either way (None)."""
    if score >= GOOD_CSAT:
        return True
    return False if score <= BAD_CSAT else None


@dataclass(frozen=True, slots=True)
class ServiceLevels:
    """First-response targets by account tier (lower-cased), with a default."""

    targets: Mapping[str, timedelta] = field(default_factory=dict)
    default: timedelta = timedelta(minutes=DEFAULT_TARGET_MINUTES)

    @classmethod
    def parse(cls, text: str) -> ServiceLevels:
        """``"enterprise=15,premium=30,default=240"`` (minutes); raises ``ConfigurationError``."""
        targets: dict[str, timedelta] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            tier, _, minutes = part.partition("=")
            try:
                value = float(minutes)
            except ValueError:
                value = -1.0
            if not tier.strip() or value <= 0:
                raise ConfigurationError(
                    f"First-response targets are tier=minutes pairs such as 'premium=30'; not {part!r}."
                )
            targets[tier.strip().lower()] = timedelta(minutes=value)
        default = targets.pop(DEFAULT_TIER, timedelta(minutes=DEFAULT_TARGET_MINUTES))
        return cls(targets=targets, default=default)

    def target(self, tier: str | None) -> timedelta:
        """The first-response target of an account of ``tier`` (None or unknown: the default)."""
        return self.targets.get((tier or "").lower(), self.default)

    @property
    def shortest(self) -> timedelta:
        return min([self.default, *self.targets.values()])


@dataclass(frozen=True, slots=True)
class Overdue:
    """A conversation waiting on people past its target."""

    conversation: Conversation
    waited: timedelta
    target: timedelta

    @property
    def key(self) -> str:
        """What makes a reminder once per waiting period: the conversation and when it began."""
        since = self.conversation.waiting_since or self.conversation.updated_at
        return f"sla:{self.conversation.id}:{since.isoformat()}"


def overdue(
    conversation: Conversation, tier: str | None, levels: ServiceLevels, now: datetime
) -> Overdue | None:
    """Whether ``conversation`` waits on people past its tier's target, and by how much."""
    if conversation.state is not ThreadState.HANDED_OFF or conversation.waiting_since is None:
        return None
    waited, target = now - conversation.waiting_since, levels.target(tier)
    return Overdue(conversation, waited, target) if waited >= target else None
