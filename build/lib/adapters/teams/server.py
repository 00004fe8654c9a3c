"""``POST /api/messages``: the thin aiohttp handler between the Bot Connector and the SDK.

It only checks that the body is an activity (``activities.malformed``: else 400, before anything
is authenticated, stored or answered) and hands the request to ``CloudAdapter.process``, which
authenticates it (401 for a missing or bad token), runs the turn and writes the response: 200
with the invoke response for card actions, 201 for other activities, 503 for a message the inbox
could not store (``adapters.teams.inbox.NotStored``).
"""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from adapters.json_limits import MAX_JSON_DEPTH, json_too_deep
from adapters.teams.activities import malformed
from adapters.teams.bot import TeamsBot
from adapters.teams.constants import MESSAGES_PATH
from adapters.teams.inbox import NotStored

log = logging.getLogger(__name__)

TEAMS_BOT: web.AppKey[TeamsBot] = web.AppKey("teams_bot", TeamsBot)


def _bad_request(reason: str) -> web.Response:
    log.info("rejected a request to %s: %s", MESSAGES_PATH, reason)
    return web.json_response({"error": "BadRequest", "message": reason}, status=400)


async def messages(request: web.Request) -> web.StreamResponse:
    bot = request.app[TEAMS_BOT]
    if request.content_type != "application/json":
        return web.json_response({"error": "UnsupportedMediaType"}, status=415)
    try:
        if json_too_deep(await request.read()):
            return _bad_request(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        body = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _bad_request("the body is not JSON")
    reason = malformed(body)
    if reason is None:
        try:
            Activity().deserialize(body)
        except (DeserializationError, ValueError, TypeError, AttributeError) as exc:
            reason = f"the activity does not parse ({type(exc).__name__})"
    if reason is not None:
        return _bad_request(reason)
    try:
        response = await bot.adapter.process(request, bot)
    except NotStored as exc:  # not acknowledged: the Bot Connector may deliver it again
        log.error("a message could not be kept: %s", exc)
        return web.json_response({"error": "ServiceUnavailable"}, status=503)
    return response if response is not None else web.Response(status=200)


def add_routes(app: web.Application, bot: TeamsBot) -> None:
    """Serve the bot at ``/api/messages`` on ``app`` (next to Slack's routes, if any)."""
    app[TEAMS_BOT] = bot
    app.router.add_post(MESSAGES_PATH, messages)


__all__ = ["MESSAGES_PATH", "TEAMS_BOT", "add_routes", "messages"]
