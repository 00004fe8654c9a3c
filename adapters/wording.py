"""Wording every chat adapter shares: one sentence, said the same way in Slack and Teams.

Each platform keeps its own ``texts`` module (its tone, its markup); what must read the same
everywhere, so that an agent comparing a Teams card with a Slack post sees one figure, lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the digest's analyses need the numeric stack; wording must stay light
    from assistant.insights.digest import Digest


def confidence(value: float) -> str:
    """How sure the assistant is of an answer, as shown under it."""
    return f"confidence {value:.0%}"


def learning_line(digest: Digest, *, bold: Callable[[str], str]) -> str:
    """The digest's learning health in one line: the latest week and the verdict of two equal
    windows with its interval, or "not enough data" (``bold`` is the platform's emphasis: ``*x*``
    in Slack, ``**x**`` in Teams)."""
    weeks = digest.learning.weeks
    if not weeks:
        return "_no questions yet_"
    week = weeks[-1]

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    line = (
        f"{week.period}: auto-resolution {pct(week.auto_resolution)}, precision {pct(week.precision)}, "
        f"hand-offs {pct(week.handoff_rate)}, {week.corrections} corrections"
    )
    verdict = digest.learning.verdict
    if verdict is None:
        return line
    shown = "no clear change" if verdict.verdict == "same" else verdict.verdict
    detail = verdict.summary.split(": ", 1)[1] if verdict.verdict == "not enough data" else verdict.summary
    return line + f"; verdict: {bold(shown)} ({detail})"


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking a cut (excerpts in alerts, cards, digests)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rate_limited(retry_after: int, scope: str | None) -> str:
    """A question refused by the rate limits: when to ask again."""
    who = "this channel is" if scope == "channel" else "you are"
    return (
        f"Sorry, {who} asking faster than I can answer. Please ask again in {retry_after} seconds; "
        "I did not read this one."
    )


def waiting_reminder(*, waited: timedelta, target: timedelta, owner: str | None, asker: str | None) -> str:
    """The reminder in a hand-off thread when a customer has waited past the service level;
    ``owner`` and ``asker`` are already in the platform's mention markup."""
    who = asker or "The customer"
    to = f"{owner}: " if owner else ""
    return (
        f"⏰ {to}{who} has been waiting {_minutes(waited)} for a person (the target is {_minutes(target)})."
    )


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def mapped_as(kind: str | None, account: str | None, *, bold: Callable[[str], str]) -> str | None:
    """What a channel is set up as, in a welcome (``kind``/``account`` of its binding; None when it
    is not bound): "account **acme**" or "a support channel" (``bold`` is the platform's emphasis)."""
    if kind is None:
        return None
    return f"account {bold(account or 'unnamed')}" if kind == "customer" else "a support channel"


# spot checks: an agent judges a silent answer drawn at random

NO_SPOT_CHECKS = "No answer is waiting for a spot check. Thanks!"
SPOT_CHECK_GONE = "That answer is no longer waiting for a spot check (judged already?)."
RIGHT = "Right"
WRONG = "Wrong"


def spot_check_intro(*, bold: Callable[[str], str]) -> str:
    """Why an agent is asked to judge an answer nobody reacted to (``bold``: the platform's)."""
    return (
        f"{bold('Spot check')}: nobody reacted to this answer. Was it right? Your verdict tells me "
        "how often silence means right, so please judge it whichever way it looks."
    )


def spot_check_recorded(right: bool, thread: str) -> str:
    """What became of a verdict; ``thread`` is "its thread" in the platform's markup, a link to it
    where there is one, so a wrong answer is corrected where it was given."""
    if right:
        return "Recorded as right. Thanks!"
    return f"Recorded as wrong. Correct it in {thread} to teach the right answer. Thanks!"

