"""Counting what a replay did: per-window and cumulative figures, and test checkpoints."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class Tally:
    """Counts over a run of stream questions."""

    questions: int = 0
    answered: int = 0
    correct: int = 0
    handed_off: int = 0
    corrections: int = 0

    def add(self, *, answered: bool, correct: bool, corrected: bool) -> None:
        self.questions += 1
        if answered:
            self.answered += 1
            self.correct += int(correct)
            self.corrections += int(corrected)
        else:
            self.handed_off += 1

    def figures(self) -> dict[str, float]:
        """The format's metrics: auto-resolution, precision, hand-off rate, agent workload."""
        q = self.questions or 1
        return {
            "questions": self.questions,
            "auto_resolution_rate": self.correct / q,
            "precision": self.correct / self.answered if self.answered else math.nan,
            "handoff_rate": self.handed_off / q,
            "agent_workload": self.handed_off + self.corrections,
            "agent_workload_rate": (self.handed_off + self.corrections) / q,
        }


@dataclass(slots=True)
class Checkpoint:
    """Held-out test figures after a number of stream questions."""

    after: int
    questions: int = 0
    answered: int = 0
    answered_correct: int = 0
    in_scope: int = 0
    forced_correct: int = 0
    out_of_scope: int = 0
    out_of_scope_handed_off: int = 0

    def add(self, *, gold: str | None, top_key: str | None, answered: bool) -> None:
        self.questions += 1
        right = gold is not None and top_key == gold
        if answered:
            self.answered += 1
            self.answered_correct += int(right)
        if gold is None:
            self.out_of_scope += 1
            self.out_of_scope_handed_off += int(not answered)
        else:
            self.in_scope += 1
            self.forced_correct += int(right)

    def figures(self) -> dict[str, float]:
        return {
            "after": self.after,
            "questions": self.questions,
            "coverage": self.answered / self.questions if self.questions else math.nan,
            "precision": self.answered_correct / self.answered if self.answered else math.nan,
            "forced_accuracy": self.forced_correct / self.in_scope if self.in_scope else math.nan,
            "oos_handoff": self.out_of_scope_handed_off / self.out_of_scope
            if self.out_of_scope
            else math.nan,
        }


@dataclass(slots=True)
class ReplayReport:
    """Everything a replay measured, ready to be written as JSON."""

    dataset: str
    arm: str
    parameters: dict[str, object]
    windows: list[dict[str, float]] = field(default_factory=list)
    cumulative: dict[str, float] = field(default_factory=dict)
    checkpoints: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    #: Spot checks the simulated agent answered.
    spot_checks: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary_line(self) -> str:
        """The last line a replay prints, stable for scripts to parse."""
        test = self.checkpoints[-1] if self.checkpoints else {}

        def fmt(value: object) -> str:
            return "nan" if not isinstance(value, int | float) or math.isnan(value) else f"{value:.4f}"

        return (
            f"auto_resolution={fmt(self.cumulative.get('auto_resolution_rate'))} "
            f"precision={fmt(self.cumulative.get('precision'))} "
            f"handoff={fmt(self.cumulative.get('handoff_rate'))} "
            f"test_coverage={fmt(test.get('coverage'))} "
            f"test_precision={fmt(test.get('precision'))} "
            f"test_forced_accuracy={fmt(test.get('forced_accuracy'))} "
            f"test_oos_handoff={fmt(test.get('oos_handoff'))}"
        )
