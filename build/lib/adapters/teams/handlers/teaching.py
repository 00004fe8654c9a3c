"""Teaching an agent's reply on purpose in Teams: the "Teach this" message action.

An agent's reply in a customer thread is only a candidate (``assistant.learning.candidates``). In
Teams a bot cannot put buttons on a person's message, so the deliberate signal is a message action
(manifest ``composeExtensions``: "Teach this" in the reply's "…" menu, with a choice of who learns
it). It arrives as a ``composeExtension/submitAction`` invoke carrying the message
(``messagePayload``) and the choice (``data``). Only agents may use it; the reply is private to the
thread's account unless the agent chooses everyone; it teaches once whatever is clicked twice, and
the dialog says what was learned and how to undo it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import TurnContext

from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.activities import place_of
from adapters.teams.deps import TeamsDeps
from adapters.teams.handlers.messages import actor_of
from assistant.errors import InvalidInputError, ServiceUnavailableError
from assistant.learning.candidates import ReplyLearning
from assistant.models import Role

log = logging.getLogger(__name__)

SUBMIT_ACTION = "composeExtension/submitAction"


async def teach_reply(deps: TeamsDeps, context: TurnContext, value: Mapping[str, Any]) -> str:
    """Run the "Teach this" action; the sentence the agent sees in the dialog."""
    if value.get("commandId") != ids.TEACH_REPLY_COMMAND:
        return texts.UNKNOWN_COMMAND
    if await deps.members.role_of(context) is not Role.AGENT:
        return texts.AGENTS_ONLY
    payload = value.get("messagePayload")
    message_id = str(payload.get("id") or "") if isinstance(payload, Mapping) else ""
    if not message_id:
        return texts.NOT_A_CANDIDATE
    place = place_of(context.activity)
    learning = ReplyLearning(deps.assistant, deps.conversations)
    candidate = await learning.candidate(ids.PLATFORM, place.channel, message_id)
    if candidate is None:
        return texts.NOT_A_CANDIDATE
    data = value.get("data")
    scope = data.get(ids.SCOPE_INPUT) if isinstance(data, Mapping) else None
    user, _ = actor_of(context)
    try:
        event = await learning.promote(candidate, by=user, make_global=scope == ids.SCOPE_EVERYONE)
    except InvalidInputError as exc:
        return texts.error(exc.message)
    except ServiceUnavailableError:
        return texts.FAILED
    if event is None:
        return texts.ALREADY_HANDLED
    log.info("reply %s taught by %s: %s", message_id, user, event.id)
    return texts.taught(event.id, event.effect)
