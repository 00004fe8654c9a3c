"""What card actions carry: a pydantic model in the action's ``data["ref"]``, validated when Teams
sends it back (as the ``adaptiveCard/action`` invoke's ``action.data``, or an Action.Submit's
``value``).

Anything that does not parse is treated as a click on a stale or forged card: the handler says the
button no longer works and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.teams.constants import PLATFORM
from assistant.handoff import HandoffOrigin

DEEP_LINK = "https://teams.microsoft.com/l/message"


class CardRef(BaseModel):
    """The base of what a card action carries in ``data["ref"]``: a dict both ways."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class ExchangeRef(CardRef):
    """An answer and the customer's thread it belongs to (on answer cards and hand-off cards)."""

    answer_id: str
    channel: str
    conversation: str
    thread: str

    def origin(self) -> HandoffOrigin:
        """The exchange in the platform-neutral terms of a hand-off (``assistant.handoff``)."""
        return HandoffOrigin(
            platform=PLATFORM,
            channel=self.channel,
            conversation=self.conversation,
            thread=self.thread,
            link=self.link(),
        )

    def link(self) -> str | None:
        """A deep link that opens the channel thread in Teams (None in a chat: no such link)."""
        if self.channel == self.conversation:
            return None
        query = urlencode({"parentMessageId": self.thread})
        return f"{DEEP_LINK}/{quote(self.channel, safe='')}/{quote(self.thread, safe='')}?{query}"

    @classmethod
    def of_origin(cls, answer_id: str, origin: HandoffOrigin) -> Self:
        where = {"channel": origin.channel, "conversation": origin.conversation, "thread": origin.thread}
        return cls(answer_id=answer_id, **where)


class SpotCheckRef(CardRef):
    """A silent answer drawn for a spot check (on the agent's own card: no customer's thread)."""

    answer_id: str
