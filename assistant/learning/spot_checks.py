"""Spot checks: a random share of silent answers is put to a person, whose verdict says what
silence means.

A silent answer was right, or wrong and nobody corrected it; how often people approve and correct
unprompted cannot tell the two apart (a diligent team and a busy one leave the same trace). A
verdict on an answer drawn at random among the silent ones can: the checked answers stand for all
silent answers (``answering.calibration.read_spot_checks``). The draw hashes the id of the chat
message the question came in (the answer's id when there is none), so it is independent of whether
the answer was right, the same on every instance, after a restart and in a replay run twice, and
needs no state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from assistant.models import Answer, StoredQuestion

_SCALE = float(2**64)


def drawn_for_spot_check(key: str, share: float) -> bool:
    """Whether the silent answer whose draw ``key`` this is falls among the ``share`` put to a
    person."""
    digest = hashlib.sha256(f"spot-check:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < share


@dataclass(frozen=True, slots=True)
class SpotCheck:
    """A silent answer awaiting a person's verdict (approve, reject or correct), with its question
    (None once the customer deleted it)."""

    answer: Answer
    question: StoredQuestion | None
