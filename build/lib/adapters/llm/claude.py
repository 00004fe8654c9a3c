"""The ``Answerer`` port on Claude's Messages API.

Claude writes the answer from the numbered candidates only and cites them as ``[n]``; the reply is
accepted only when it cites at least one real candidate, does not say ``NO_ANSWER`` and does not
repeat the system prompt. Anything else, and every SDK failure, is a ``ServiceUnavailableError``,
which the core answers by falling back to its offline answer or handing off.

Errors raised here::

    ServiceUnavailableError (assistant.errors)
    └── UngroundedAnswerError   Claude answered, but not from the sources
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import anthropic
from anthropic import AsyncAnthropic

from adapters.llm import prompts
from adapters.markup import clean_unicode
from assistant.errors import ServiceUnavailableError
from assistant.models import Question
from assistant.ports import Candidate, Composition

__all__ = ["ClaudeAnswerer", "UngroundedAnswerError", "parse_reply", "render_user_message"]

log = logging.getLogger(__name__)

MAX_TOKENS = 1024

_TAG_OPENING = re.compile(
    r"<(?=\s*/?\s*(?:" + "|".join(re.escape(tag) for tag in prompts.DATA_TAGS) + r")\b)",
    re.IGNORECASE,
)
_CITATION_NUMBERS = r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]"
_CITATION = re.compile(_CITATION_NUMBERS)
# A marker at the start of a line takes the spaces after it; anywhere else, the spaces before it.
_CITATION_WITH_SPACE = re.compile(r"(?m)^[ \t]*" + _CITATION_NUMBERS + r"[ \t]*|[ \t]*" + _CITATION_NUMBERS)
_NO_ANSWER = re.compile(r"\b" + re.escape(prompts.NO_ANSWER) + r"\b")


class UngroundedAnswerError(ServiceUnavailableError):
    """Claude replied, but the reply cannot be shown: it cites nothing or a source that does not
    exist, says there is no answer, or repeats the system prompt."""

    user_message = "The assistant could not ground an answer in its sources."


def escape_data(text: str) -> str:
    """Neutralise anything in ``text`` that could open or close one of the prompt's data tags,
    and drop invisible characters (bidi overrides, zero-width and Unicode tag characters can
    hide instructions from a person reading the same text)."""
    return _TAG_OPENING.sub("&lt;", clean_unicode(text))


def render_source(number: int, candidate: Candidate) -> str:
    """One candidate as a numbered ``<source>`` block: its title (if any) and its text."""
    item = candidate.item
    body = f"{item.title}\n{item.text}" if item.title else item.text
    return prompts.SOURCE_TEMPLATE.format(
        source_tag=prompts.SOURCE_TAG, number=number, body=escape_data(body.strip())
    )


def render_user_message(question: Question, candidates: Sequence[Candidate]) -> str:
    """The user turn: the numbered sources and the customer's question, each inside its tags."""
    sources = "\n".join(render_source(number, c) for number, c in enumerate(candidates, start=1))
    context = question.context
    conversation = ""
    if context is not None and not context.empty:
        conversation = prompts.CONVERSATION_TEMPLATE.format(
            conversation_tag=prompts.CONVERSATION_TAG,
            conversation=escape_data("\n".join(context.lines())),
        )
    return conversation + prompts.USER_TEMPLATE.format(
        sources_tag=prompts.SOURCES_TAG,
        sources=sources,
        question_tag=prompts.QUESTION_TAG,
        question=escape_data(question.text.strip()),
        no_answer=prompts.NO_ANSWER,
    )


def leaks_prompt(text: str) -> bool:
    """True when ``text`` repeats the system prompt's marker sentence or its canary."""
    folded = " ".join(text.split()).casefold()
    return (
        prompts.LEAK_CANARY.casefold() in folded
        or " ".join(prompts.MARKER_SENTENCE.split()).casefold() in folded
    )


def parse_reply(text: str, candidates: Sequence[Candidate]) -> Composition:
    """Turn Claude's reply into the answer text without ``[n]`` markers and the cited item ids.

    Raises ``UngroundedAnswerError`` when the reply cannot be shown.
    """
    if leaks_prompt(text):
        raise UngroundedAnswerError("Claude's reply repeated its instructions.")
    if _NO_ANSWER.search(text):
        raise UngroundedAnswerError("Claude found no answer in the sources.")
    numbers = [int(n) for match in _CITATION.finditer(text) for n in match.group(1).split(",")]
    if not numbers:
        raise UngroundedAnswerError("Claude's reply cites no source.")
    if any(not 1 <= n <= len(candidates) for n in numbers):
        raise UngroundedAnswerError("Claude's reply cites a source it was not given.")
    item_ids: list[str] = []
    for n in numbers:
        item_id = candidates[n - 1].item.id
        if item_id not in item_ids:
            item_ids.append(item_id)
    clean = _CITATION_WITH_SPACE.sub("", text).strip()
    if not clean:
        raise UngroundedAnswerError("Claude's reply holds only citations.")
    return Composition(text=clean, item_ids=item_ids)


def _reply_text(message: Any) -> str:
    """The text blocks of a Messages API reply, joined; a malformed reply is a service failure.

    The SDK does not validate responses strictly, so every field is checked here.
    """
    content = getattr(message, "content", None)
    if not isinstance(content, list):
        raise ServiceUnavailableError("Claude returned a malformed reply.")
    stop_reason = getattr(message, "stop_reason", None)
    if stop_reason == "max_tokens":
        raise ServiceUnavailableError("Claude's reply was cut off at the token limit.")
    if stop_reason == "refusal":
        raise ServiceUnavailableError("Claude declined to answer.")
    texts = [
        block.text
        for block in content
        if getattr(block, "type", None) == "text" and isinstance(getattr(block, "text", None), str)
    ]
    if not texts:
        raise ServiceUnavailableError("Claude's reply holds no text.")
    return "".join(texts)


def _failure_message(exc: Exception) -> str:
    """A short description of an SDK failure: its kind, status and request id, never its text."""
    if isinstance(exc, anthropic.APITimeoutError):
        return "Claude did not answer in time."
    if isinstance(exc, anthropic.APIConnectionError):
        return "Claude could not be reached."
    if isinstance(exc, anthropic.APIStatusError):
        request_id = f", request {exc.request_id}" if exc.request_id else ""
        return f"Claude answered with HTTP {exc.status_code} ({type(exc).__name__}{request_id})."
    return f"Claude's reply could not be read ({type(exc).__name__})."


class ClaudeAnswerer:
    """Composes answers with Claude from the retrieved candidates only.

    Give it a ``client`` to share one (the caller then closes it); otherwise it builds its own
    from ``api_key``, ``base_url``, ``timeout`` and ``max_retries`` and ``close()`` closes it.
    The SDK retries 408, 409, 429, 5xx and 529 responses and connection errors ``max_retries``
    times, honouring ``retry-after``; ``timeout`` bounds each attempt.
    """

    name = "claude"
    confidential: tuple[str, ...] = (
        prompts.SYSTEM_PROMPT,
        prompts.USER_TEMPLATE.format(
            sources_tag=prompts.SOURCES_TAG,
            sources="",
            question_tag=prompts.QUESTION_TAG,
            question="",
            no_answer=prompts.NO_ANSWER,
        ),
    )
    """Texts no answer may repeat; the core's output check (``assistant.answering.output_check``)
    hands off an answer that does."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        client: AsyncAnthropic | None = None,
    ) -> None:
        self._model = model
        self._owns_client = client is None
        self._client = client or AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    async def compose(self, question: Question, candidates: Sequence[Candidate]) -> Composition:
        """Claude's answer to ``question`` from ``candidates``, with the items it cites."""
        if not candidates:
            raise UngroundedAnswerError("There are no sources to answer from.")
        try:
            message = await self._client.messages.create(
                model=self._model,
                max_tokens=MAX_TOKENS,
                system=prompts.SYSTEM_PROMPT,
                messages=[{"role": "user", "content": render_user_message(question, candidates)}],
            )
        except (anthropic.AnthropicError, ValueError) as exc:
            # ValueError covers a reply body that is not JSON. The SDK's exceptions hold the
            # request, headers included, so they are not chained.
            reason = _failure_message(exc)
            log.warning("claude compose failed: %s", reason)
            raise ServiceUnavailableError(reason) from None
        return parse_reply(_reply_text(message), candidates)

    async def close(self) -> None:
        """Close the HTTP client if this answerer built it."""
        if self._owns_client:
            await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
