"""The last check on an answer's text before anyone sees it: does it stay inside what it may use?

Retrieval already limits the candidates to what the asking account may see, and the answerer is
told that sources are data. This check assumes both can fail (a prompt injection in a customer's
message or an ingested document, a hostile or confused model, a scoping bug) and looks at the
output itself. An answer fails when it

* cites an item that is not among the candidates it was given, or rests on a candidate the
  asking account may not see (another account's private knowledge);
* names an item, answer or event id that is not one of its candidates;
* contains a URL that appears in none of its sources;
* pages people (``<!channel>``, ``<!here>``, ``<!everyone>``, ``<!subteam…>``: never needed), or
  holds a mention or channel link (``<@U…>``, ``<#C…>``) that none of its sources holds (an
  agent's learned answer may name a channel);
* repeats a sentence of the answerer's confidential instructions, or talks about its "system
  prompt" or "instructions" when no source does.

The service hands off an answer that fails (see ``Assistant.ask``). Pure: no I/O, no logging of
text; ``problems`` name what failed, never quote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.models import KnowledgeItem
from assistant.ports import Composition

__all__ = ["OutputVerdict", "check_output"]

_URL = re.compile(r"(?:https?://|www\.)[^\s<>|\"'`)\]]+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?*_~"
_ID = re.compile(r"\b(?:kn|ans|q|evt|doc|bug)_[0-9a-f]{12}\b")
_BROADCAST = re.compile(r"<\s*!", re.IGNORECASE)
_MENTION = re.compile(r"<\s*[@#][^>]*>")
_PROMPT_TALK = re.compile(
    r"\b(?:system\s+prompt|(?:my|previous|prior)\s+(?:instructions|rules)"
    r"|ignore\s+(?:all\s+)?(?:previous|prior|above|your|my)\s+(?:instructions|rules))\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
_CONFIDENTIAL_MIN_WORDS = 6


@dataclass(frozen=True, slots=True)
class OutputVerdict:
    """What is wrong with an answer (nothing when ``ok``)."""

    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _confidential_sentences(texts: Iterable[str]) -> list[str]:
    sentences = []
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            folded = _fold(sentence)
            if len(folded.split()) >= _CONFIDENTIAL_MIN_WORDS:
                sentences.append(folded)
    return sentences


def check_output(
    composition: Composition,
    allowed: Sequence[KnowledgeItem],
    *,
    account: str | None,
    confidential: Sequence[str] = (),
) -> OutputVerdict:
    """Check ``composition`` against the candidate items it was written from.

    ``account`` is the asking account (None sees only global knowledge); ``confidential`` holds
    texts the answer must never repeat (an LLM answerer's system prompt).
    """
    problems: list[str] = []
    text = composition.text
    visible = [item for item in allowed if item.account is None or item.account == account]
    if len(visible) < len(allowed):
        problems.append("rests on another account's knowledge")
    visible_ids = {item.id for item in visible}
    if any(item_id not in visible_ids for item_id in composition.item_ids):
        problems.append("cites a source it was not given")
    if any(found not in visible_ids for found in _ID.findall(text)):
        problems.append("names an id that is not one of its sources")

    source_text = _fold(" ".join(f"{item.title} {item.url or ''} {item.text}" for item in visible))
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILER).casefold()
        if url not in source_text:
            problems.append("contains a URL that is in none of its sources")
            break
    if _BROADCAST.search(text):
        problems.append("contains a broadcast (chat markup that pages people)")
    elif any(_fold(m.group(0)) not in source_text for m in _MENTION.finditer(text)):
        problems.append("contains a mention that is in none of its sources (chat markup)")

    folded = _fold(text)
    if any(sentence in folded for sentence in _confidential_sentences(confidential)):
        problems.append("repeats its instructions")
    elif any(match.group(0).casefold() not in source_text for match in _PROMPT_TALK.finditer(folded)):
        problems.append("talks about its instructions")
    return OutputVerdict(tuple(problems))
