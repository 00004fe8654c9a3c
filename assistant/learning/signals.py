"""What each learning signal does to the knowledge, as data the store writes in one transaction.

One table of effects (``FEEDBACK_DELTAS``) so that applying and undoing a signal cannot disagree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from assistant.models import FeedbackRecord, Role, Signal

# (approvals, rejections, corrections, helped, not_helped) added to the item the answer rested on.
FEEDBACK_DELTAS: dict[tuple[Signal, Role], tuple[float, float, int, int, int]] = {
    (Signal.APPROVE, Role.AGENT): (1.0, 0.0, 0, 0, 0),
    (Signal.APPROVE, Role.CUSTOMER): (0.3, 0.0, 0, 0, 0),
    (Signal.REJECT, Role.AGENT): (0.0, 1.0, 0, 0, 0),
    (Signal.REJECT, Role.CUSTOMER): (0.0, 0.3, 0, 0, 0),
    (Signal.CORRECT, Role.AGENT): (0.0, 0.5, 1, 0, 0),
    (Signal.HELPED, Role.CUSTOMER): (0.0, 0.0, 0, 1, 0),
    (Signal.HELPED, Role.AGENT): (0.0, 0.0, 0, 1, 0),
    (Signal.NOT_HELPED, Role.CUSTOMER): (0.0, 0.0, 0, 0, 1),
    (Signal.NOT_HELPED, Role.AGENT): (0.0, 0.0, 0, 0, 1),
}

# How much an outcome from each signal counts when calibrating confidence.
OUTCOME_WEIGHTS: dict[tuple[Signal, Role], float] = {
    (Signal.APPROVE, Role.AGENT): 1.0,
    (Signal.APPROVE, Role.CUSTOMER): 0.3,
    (Signal.REJECT, Role.AGENT): 1.0,
    (Signal.REJECT, Role.CUSTOMER): 0.3,
    (Signal.CORRECT, Role.AGENT): 1.0,
    (Signal.RESOLVE, Role.AGENT): 1.0,
    (Signal.HELPED, Role.CUSTOMER): 0.5,
    (Signal.NOT_HELPED, Role.CUSTOMER): 0.5,
}

#: Silence is stored as a whole observation, marked as silence; the calibrator decides what it is
#: worth: half a yes by default (``calibration.SILENCE_DISCOUNT``), or read from how often people
#: correct (``ASSISTANT_SILENCE=estimated``, ``calibration.read_silence``).
IMPLICIT_ACCEPTANCE_WEIGHT = 1.0

_SPACE = re.compile(r"\s+")


def apply_delta(record: FeedbackRecord, signal: Signal, role: Role, *, sign: int = 1) -> FeedbackRecord:
    """The record after (sign=1) or before (sign=-1, an undo) one signal."""
    delta = FEEDBACK_DELTAS.get((signal, role))
    if delta is None:
        return record
    approvals, rejections, corrections, helped, not_helped = delta
    return replace(
        record,
        approvals=max(0.0, record.approvals + sign * approvals),
        rejections=max(0.0, record.rejections + sign * rejections),
        corrections=max(0, record.corrections + sign * corrections),
        helped=max(0, record.helped + sign * helped),
        not_helped=max(0, record.not_helped + sign * not_helped),
    )


def feedback_delta(signal: Signal, role: Role, *, sign: int = 1) -> FeedbackRecord | None:
    """What one signal adds to an item's counters (sign=-1: what its undo takes away); None when
    it changes none. The store adds it in SQL (``x = x + delta``), so concurrent signals all count."""
    delta = FEEDBACK_DELTAS.get((signal, role))
    if delta is None:
        return None
    approvals, rejections, corrections, helped, not_helped = delta
    return FeedbackRecord(
        approvals=sign * approvals,
        rejections=sign * rejections,
        corrections=sign * corrections,
        helped=sign * helped,
        not_helped=sign * not_helped,
    )


def normalise_answer(text: str) -> str:
    """Answers that differ only in case, spacing or trailing punctuation are the same answer."""
    return _SPACE.sub(" ", text.strip().lower()).rstrip(" .!")


def text_resolution_key(text: str) -> str:
    """The key of an untagged answer: identical answers share it without a lookup."""
    digest = hashlib.sha1(normalise_answer(text).encode("utf-8")).hexdigest()[:16]
    return f"text:{digest}"
