"""Records built by hand: each topic is a direction in a small space, each message a noisy copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from assistant.insights.records import ConversationRecord
from assistant.insights.settings import InsightSettings
from assistant.models import Decision

DIMENSION = 32
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def direction(topic: int) -> np.ndarray:
    vector = np.random.default_rng(1000 + topic).standard_normal(DIMENSION)
    return vector / np.linalg.norm(vector)


class RecordMaker:
    """Makes records with unique ids; ``topic`` picks the embedding's direction."""

    def __init__(self) -> None:
        self.count = 0
        self.rng = np.random.default_rng(7)

    def __call__(
        self,
        text: str,
        *,
        topic: int = 0,
        at: datetime = T0,
        account: str | None = "acme",
        decision: Decision = Decision.ANSWER,
        noise: float = 0.15,
        **fields: object,
    ) -> ConversationRecord:
        self.count += 1
        vector = direction(topic) + noise * self.rng.standard_normal(DIMENSION) / np.sqrt(DIMENSION)
        values: dict[str, object] = {"embedding": (vector / np.linalg.norm(vector)).astype(np.float32)}
        values.update(fields)
        return ConversationRecord(
            question_id=f"q{self.count:05d}",
            text=text,
            account=account,
            asked_at=at,
            decision=decision,
            **values,  # type: ignore[arg-type]
        )


@pytest.fixture
def make() -> RecordMaker:
    return RecordMaker()


@pytest.fixture
def insight_settings() -> InsightSettings:
    """Defaults, whatever the environment says."""
    return InsightSettings(_env_file=None)  # type: ignore[call-arg]


def days(n: float) -> timedelta:
    return timedelta(days=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
