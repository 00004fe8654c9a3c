"""The console's pages, one module each; every module registers its routes on the sub-app."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from adapters.console.handlers import charts, conversations, learning, login, replay, sandbox, spot_checks

REGISTRARS: tuple[Callable[[web.Application], None], ...] = (
    login.register,
    sandbox.register,
    learning.register,
    spot_checks.register,
    conversations.register,
    charts.register,
    replay.register,
)
