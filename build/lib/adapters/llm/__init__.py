"""Answerers on large language models: Claude's Messages API."""

from adapters.llm.claude import ClaudeAnswerer, UngroundedAnswerError

__all__ = ["ClaudeAnswerer", "UngroundedAnswerError"]
