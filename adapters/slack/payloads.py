"""What buttons and modals carry: pydantic models serialised to JSON in ``value`` and
``private_metadata``, validated when Slack sends them back.

Anything that does not parse is treated as a request from a stale or forged message: the handler
tells the user the button no longer works and changes nothing.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.slack.constants import BUTTON_VALUE_LIMIT


class ButtonPayload(BaseModel):
    """The base of every button value and modal metadata: JSON both ways, within Slack's limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > BUTTON_VALUE_LIMIT:  # ids only, so this is a programming error
            raise ValueError(f"{type(self).__name__} is {len(text)} characters long")
        return text

    @classmethod
    def parse(cls, raw: str | None) -> Self | None:
        if not raw:
            return None
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            return None


class AnswerRef(ButtonPayload):
    """An answer and the customer thread it was posted in (customer buttons)."""

    answer_id: str
    channel: str
    thread_ts: str


class HandoffRef(ButtonPayload):
    """A hand-off: the answer, the customer's thread and the hand-off post (agent buttons, modals)."""

    answer_id: str
    channel: str
    thread_ts: str
    handoff_channel: str | None = None
    handoff_ts: str | None = None


class UndoRef(ButtonPayload):
    """A learning event to undo."""

    event_id: str


class SpotCheckRef(ButtonPayload):
    """A silent answer drawn for a spot check."""

    answer_id: str


class ReplyRef(ButtonPayload):
    """An agent's reply in a customer thread, kept as a candidate answer ("Teach this")."""

    channel: str
    ts: str


class ForwardRef(ButtonPayload):
    """An agent's reply under a hand-off post, to send to the customer's thread."""

    conversation_id: str
    ts: str


class CsatRef(ButtonPayload):
    """A customer's rating of a resolved conversation."""

    conversation_id: str
    score: int
