"""The App Home: this week's headline figures and what was learned, each with an Undo button."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack import constants as ids
from adapters.slack.deps import SlackDeps
from adapters.slack.events import action_value, user_id
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import UndoRef
from adapters.slack.replies import guarded
from adapters.slack.steps import Steps, or_retry_later
from assistant.models import Role, utcnow

WEEK = timedelta(days=7)
HOME_EVENTS = 200


def register(app: AsyncApp, deps: SlackDeps) -> None:
    def is_home_tab(body: Body) -> bool:
        event = body["event"]
        return event.get("tab", "home") == "home" and bool(event.get("user"))

    app.event("app_home_opened")(after_ack(deps, "app_home_opened", on_home_opened, accept=is_home_tab))
    app.action(ids.UNDO_HOME)(after_ack(deps, ids.UNDO_HOME, on_undo))


async def publish_home(deps: SlackDeps, client: AsyncWebClient, user: str) -> None:
    since = utcnow() - WEEK
    is_agent = await deps.members.is_agent(user)
    events, figures = [], {}
    if is_agent:
        events = [
            event for event in await deps.assistant.learned(limit=HOME_EVENTS) if event.created_at >= since
        ]
        figures = await deps.assistant.store.stats(since=since)
    view = blocks.home_view(events=events, figures=figures, since=since, is_agent=is_agent)
    await client.views_publish(user_id=user, view=view)


async def on_home_opened(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await guarded(publish_home(deps, client, str(body["event"]["user"])), None, "app home")


async def on_undo(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    user = user_id(body)
    ref = UndoRef.parse(action_value(body))
    if ref is None or not await deps.members.is_agent(user):
        return

    steps = Steps.of(deps.conversations, body)

    async def forget() -> None:
        await deps.assistant.forget(ref.event_id, actor=user, role=Role.AGENT)

    async def undo() -> None:
        await steps.once("forget", forget, before=None)  # once across the inbox's replays
        await publish_home(deps, client, user)

    await guarded(or_retry_later(undo(), "undo from home"), None, "undo from home")
