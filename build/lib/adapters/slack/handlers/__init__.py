"""Bolt listeners, one module per kind of Slack traffic; each module has ``register(app, deps)``."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.async_app import AsyncApp

from adapters.slack.deps import SlackDeps
from adapters.slack.handlers import (
    actions,
    bug_labels,
    commands,
    home,
    messages,
    onboarding,
    reactions,
    shortcuts,
    teaching,
)

Registrar = Callable[[AsyncApp, SlackDeps], None]

REGISTRARS: tuple[Registrar, ...] = (
    messages.register,
    reactions.register,
    actions.register,
    shortcuts.register,
    teaching.register,
    commands.register,
    home.register,
    bug_labels.register,
    onboarding.register,
)

__all__ = ["REGISTRARS", "Registrar"]
