"""Wording every chat adapter shares: one sentence, said the same way in Slack and Teams.

Each platform keeps its own ``texts`` module (its tone, its markup); what must read the same
everywhere, so that an agent comparing a Teams card with a Slack post sees one figure, lives here.
"""

from __future__ import annotations


def confidence(value: float) -> str:
    """How sure the assistant is of an answer, as shown under it."""
    return f"confidence {value:.0%}"
