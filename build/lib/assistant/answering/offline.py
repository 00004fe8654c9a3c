"""The default answerer: no key, no network; the best resolution or passage, verbatim."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.models import Question
from assistant.ports import Candidate, Composition


class OfflineAnswerer:
    """Answers with the text of the best candidate, citing it."""

    name = "offline"
    confidential: tuple[str, ...] = ()  # no instructions to keep

    async def compose(self, question: Question, candidates: Sequence[Candidate]) -> Composition:
        if not candidates:
            return Composition(text="", item_ids=[])
        best = candidates[0]
        return Composition(text=best.item.text.strip(), item_ids=[best.item.id])
