"""Onboarding: what the bot says when it arrives, when asked for help and where nobody set it up,
and what it forgets when it is removed.

* Added to a team, a group chat or a 1:1 chat (Teams' ``installationUpdate`` "add", or the
  ``conversationUpdate`` whose ``membersAdded`` holds the bot): a welcome that says how to map the
  channel (``texts.welcome_team``), or how to ask (``texts.WELCOME_PERSONAL``). Said once per
  conversation, however many of the two activities Teams sends.
* ``help`` (the manifest's ``commandLists``; typed in a 1:1 chat or @mentioning the bot): what the
  bot does, for customers, agents and admins. ``spot-check``, typed the same way, goes to
  ``handlers.spot_checks`` (agents only).
* A message that @mentions the bot in a channel or group chat nobody mapped: a hint to ask an
  admin (once per thread), instead of silence.
* Removed (``installationUpdate`` "remove"): every conversation reference stored there is deleted
  (``Messenger.forget``), so nothing is sent to a conversation the app left.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import ChannelAccount

from adapters.teams import texts
from adapters.teams.activities import channel_conversation, clean_text, mentions_bot, place_of
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.handlers import spot_checks
from adapters.teams.messenger import text_activity
from adapters.teams.replies import CONNECTOR_ERRORS
from adapters.teams.roles import conversation_tenant
from adapters.wording import mapped_as  # the same wording on both platforms

log = logging.getLogger(__name__)


def bot_among(members: list[ChannelAccount] | None, context: TurnContext) -> bool:
    """Whether the bot itself is one of ``members`` (``membersAdded`` of a conversationUpdate)."""
    recipient = context.activity.recipient
    return any(member.id == (recipient.id if recipient else None) for member in members or [])


async def welcome(deps: TeamsDeps, context: TurnContext) -> None:
    """Greet the conversation the app was just added to (once)."""
    place = place_of(context.activity)
    if not await deps.conversations.claim_event(PLATFORM, f"welcome:{place.channel}"):
        return
    said = texts.WELCOME_PERSONAL
    if not place.personal:
        channel = channel_conversation(place.channel)
        binding = await deps.conversations.get_channel(PLATFORM, channel)
        kind, account = (binding.kind, binding.account) if binding is not None else (None, None)
        said = texts.welcome_team(channel, mapped_as(kind, account, bold=lambda text: f"**{text}**"))
    try:
        await context.send_activity(text_activity(said))
    except CONNECTOR_ERRORS as exc:
        await deps.conversations.release_event(PLATFORM, f"welcome:{place.channel}")
        log.warning("could not welcome %s: %s", place.channel, type(exc).__name__)
        return
    log.info("welcomed %s", place.channel)


async def uninstalled(deps: TeamsDeps, context: TurnContext) -> None:
    """The app was removed: forget every conversation reference stored there."""
    activity = context.activity
    place = place_of(activity)
    forgotten = await deps.messenger.forget(activity, place)
    await deps.conversations.release_event(PLATFORM, f"welcome:{place.channel}")  # welcomed again if re-added
    log.info("removed from %s: %d conversation reference(s) deleted", place.channel, forgotten)


async def intercept(deps: TeamsDeps, context: TurnContext) -> bool:
    """Answer ``help``, ``spot-check`` and the hint for unmapped conversations; True when the
    message was one of those."""
    activity = context.activity
    place = place_of(activity)
    text = clean_text(activity.text).strip().lower().rstrip(".!?")
    addressed = place.personal or mentions_bot(activity)
    if text == texts.HELP_COMMAND and addressed:
        await _say(context, texts.HELP)
        return True
    if text == texts.SPOT_CHECK_COMMAND and addressed:
        await spot_checks.command(deps, context)
        return True
    if place.personal or not addressed:
        return False
    binding = await deps.binding(place.channel, personal=False, tenant=conversation_tenant(context))
    if binding is not None:
        return False
    if await deps.conversations.claim_event(PLATFORM, f"hint:{place.conversation}"):
        await _say(context, texts.not_set_up(channel_conversation(place.channel)))
    return True


async def _say(context: TurnContext, text: str) -> None:
    try:
        await context.send_activity(text_activity(text))
    except CONNECTOR_ERRORS as exc:
        log.warning("could not answer %s: %s", context.activity.id, type(exc).__name__)
