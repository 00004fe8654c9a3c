"""The core's error tree. Adapters turn these into user-facing messages; never show ``str(exc)``
of anything else to a chat user.

AssistantError
├── InvalidInputError        bad input from a user or a file: nothing was changed
│   └── MalformedFileError   a file or line could not be parsed (carries path and line number)
├── NotFoundError            an id that names nothing
├── PermissionDeniedError    the actor may not do this (a customer trying to teach)
├── ConfigurationError       a setting is missing or wrong
└── ServiceUnavailableError  a backing service (database, LLM, vector store) failed
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the core raises on purpose."""

    user_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)
        self.message = message or self.user_message


class InvalidInputError(AssistantError):
    """The input is empty, too large, binary or otherwise unusable; nothing was changed."""

    user_message = "That input cannot be used."


class MalformedFileError(InvalidInputError):
    """A file, or one line of it, could not be parsed."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class NotFoundError(AssistantError):
    """An id that names nothing in the store."""

    user_message = "Nothing was found with that id."


class PermissionDeniedError(AssistantError):
    """The actor's role does not allow the action."""

    user_message = "Only support agents can do that."


class ConfigurationError(AssistantError):
    """A setting is missing or invalid."""

    user_message = "The assistant is not configured correctly."


class ServiceUnavailableError(AssistantError):
    """A backing service failed; the caller may retry or fall back."""

    user_message = "A service the assistant depends on is unavailable."
