"""Onboarding in Slack: the app says hello where it is invited, and follows Slack Connect.

* ``member_joined_channel`` for the app's own bot user: a welcome in the channel (once) that says
  what the channel is set up as, or how an admin maps it; an unmapped Slack Connect channel shared
  with exactly one external organisation is bound to it first (``SlackDeps.bind_shared``).
* ``channel_shared``: the channel was shared with (another) organisation: bound the same way when
  it is unmapped and that organisation is the only external one.
* ``channel_unshared``: an organisation left: the channel is unbound when it was theirs or is
  shared with nobody now (``SlackDeps.unbind_unshared``), so nobody is answered from their account.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import texts
from adapters.slack.constants import PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.handlers.base import Body, after_ack
from adapters.wording import mapped_as  # the same wording on both platforms

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.event("member_joined_channel")(after_ack(deps, "member_joined_channel", on_member_joined))
    app.event("channel_shared")(after_ack(deps, "channel_shared", on_channel_shared))
    app.event("channel_unshared")(after_ack(deps, "channel_unshared", on_channel_unshared))


async def on_member_joined(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    event = body["event"]
    channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
    identity = await deps.members.identity()
    if not channel or user != identity.user_id:  # people joining are none of the app's business
        return
    if not await deps.conversations.claim_event(PLATFORM, f"welcome:{channel}"):
        return
    binding = await deps.bind_shared(client, channel)
    kind, account = (binding.kind, binding.account) if binding is not None else (None, None)
    said = texts.welcome(channel, mapped_as(kind, account, bold=lambda text: f"*{text}*"))
    try:
        await client.chat_postMessage(channel=channel, text=said)
    except SlackApiError as exc:
        await deps.conversations.release_event(PLATFORM, f"welcome:{channel}")
        log.warning("could not welcome %s: %s", channel, exc.response.get("error"))


async def on_channel_shared(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    channel = str(body["event"].get("channel") or "")
    if channel:
        await deps.bind_shared(client, channel)


async def on_channel_unshared(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    event = body["event"]
    channel, team = str(event.get("channel") or ""), str(event.get("previously_connected_team_id") or "")
    if channel and team:
        await deps.unbind_unshared(channel, team, still_shared=bool(event.get("is_ext_shared")))
