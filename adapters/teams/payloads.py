"""What card actions carry: a pydantic model in the action's ``data["ref"]``, validated when Teams
sends it back (as the ``adaptiveCard/action`` invoke's ``action.data``, or an Action.Submit's
``value``).

Anything that does not parse is treated as a click on a stale or forged card: the handler says the
button no longer works and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError


class ExchangeRef(BaseModel):
    """An answer and the customer's thread it belongs to (on answer cards and hand-off cards)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    answer_id: str
    channel: str
    conversation: str
    thread: str

    def dump(self) -> dict[str, str]:
        return self.model_dump()

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> Self | None:
        raw = data.get("ref") if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            return None
        try:
            return cls.model_validate(dict(raw))
        except ValidationError:
            return None
