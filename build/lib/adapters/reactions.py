"""Which reaction means what, one rule for every chat platform: a reaction's name is an approval, a
rejection or nothing, against the names each platform's settings list (``SLACK_APPROVE_REACTIONS``,
``TEAMS_APPROVE_REACTIONS`` and their reject twins). What a signal then does is the core's
(``assistant.learning.reactions``)."""

from __future__ import annotations

from assistant.models import Signal


def reaction_signal(name: str, *, approve: frozenset[str], reject: frozenset[str]) -> Signal | None:
    """APPROVE or REJECT for a reaction name, else None. Case and surrounding spaces are ignored
    (Teams sends ``like``, ``Like``), and so is Slack's skin-tone suffix (``+1::skin-tone-4``)."""
    base = name.strip().split("::", 1)[0].lower()
    if base in approve:
        return Signal.APPROVE
    if base in reject:
        return Signal.REJECT
    return None
