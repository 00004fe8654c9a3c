"""Engineers' labels on a posted bug report: "Bug", "Not a bug", "Duplicate of…" (agents only).

Each calls ``InsightService.label_bug``, which stores the verdict and labels the report's messages
for the message classifier (retrained on its next use), then redraws the post to say who labelled
it and how. "Duplicate of…" opens a modal listing the other open or confirmed reports.

The service is the one the scheduled insight jobs run with (``SlackDeps.insights``, set by
``serve`` when it starts them): the buttons exist only on reports those jobs posted, and labelling
through it resets the very classifier the next bug scan uses.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import constants as ids
from adapters.slack import texts
from adapters.slack.deps import SlackDeps
from adapters.slack.digest_blocks import (
    NO_OTHER_REPORT,
    REPORT_GONE,
    BugRef,
    bug_report_message,
    duplicate_modal,
)
from adapters.slack.events import action_value, container, user_id, view_input
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.replies import Notify, ephemeral, guarded
from adapters.slack.steps import Steps, or_retry_later
from assistant.insights.records import BugReport, BugStatus
from assistant.insights.service import InsightService

log = logging.getLogger(__name__)

NOT_RUNNING = "Bug reports can be labelled only while the insight jobs run (configure a digest channel)."


def register(app: AsyncApp, deps: SlackDeps) -> None:
    app.action(ids.BUG_CONFIRM)(after_ack(deps, ids.BUG_CONFIRM, on_confirm))
    app.action(ids.BUG_NOT_BUG)(after_ack(deps, ids.BUG_NOT_BUG, on_not_bug))
    app.action(ids.BUG_DUPLICATE)(after_ack(deps, ids.BUG_DUPLICATE, on_duplicate))
    app.view(ids.DUPLICATE_VIEW)(after_ack(deps, ids.DUPLICATE_VIEW, on_duplicate_submitted))


Checked = tuple[BugRef, InsightService]


async def _checked(deps: SlackDeps, body: Body, notify: Notify | None) -> Checked | None:
    """The report a button is on and the service; None (and a reply) for a stale button, a
    customer, or a process without insight jobs."""
    ref = BugRef.parse(action_value(body))
    if ref is None:
        reply = texts.STALE_BUTTON
    elif not await deps.members.is_agent(user_id(body)):
        reply = texts.AGENTS_ONLY
    else:
        service = deps.insights
        if service is not None:
            return ref, service
        reply = NOT_RUNNING
    if notify is not None:
        await notify(reply)
    return None


def _notify(client: AsyncWebClient, body: Body) -> Notify | None:
    channel, _ = container(body)
    return ephemeral(client, channel, user_id(body))


async def on_confirm(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _label(deps, client, body, BugStatus.BUG)


async def on_not_bug(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    await _label(deps, client, body, BugStatus.NOT_BUG)


async def _label(deps: SlackDeps, client: AsyncWebClient, body: Body, status: BugStatus) -> None:
    notify = _notify(client, body)
    checked = await _checked(deps, body, notify)
    if checked is None:
        return
    ref, service = checked
    channel, ts = container(body)
    post = ref.model_copy(update={"channel": channel, "ts": ts})
    work = _apply(service, client, post, status, user_id(body), Steps.of(deps.conversations, body))
    await guarded(or_retry_later(work, "label bug"), notify, f"label bug {status.value}")


async def _apply(
    service: InsightService,
    client: AsyncWebClient,
    post: BugRef,
    status: BugStatus,
    user: str,
    steps: Steps,
    duplicate_of: str | None = None,
) -> None:
    """Label the report once across the inbox's replays of the click, then redraw its post."""

    async def label() -> BugReport | None:
        return await service.label_bug(post.bug_id, status, actor=user, duplicate_of=duplicate_of)

    labelled = await steps.once("label", label, before=None)
    if labelled is None:  # labelled by an earlier attempt: redraw the report as it is now
        labelled = await service.source.get_bug_report(post.bug_id)
    if labelled is None:
        return
    log.info("bug %s labelled %s by %s", labelled.id, status.value, user)
    if post.channel and post.ts:
        await client.chat_update(channel=post.channel, ts=post.ts, **bug_report_message(labelled))


async def on_duplicate(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    notify = _notify(client, body)
    checked = await _checked(deps, body, notify)
    if checked is None:
        return
    ref, service = checked
    channel, ts = container(body)

    async def open_modal() -> None:
        report = await service.source.get_bug_report(ref.bug_id)
        if report is None:
            if notify is not None:
                await notify(REPORT_GONE)
            return
        others = await service.source.bug_reports(statuses=(BugStatus.OPEN, BugStatus.BUG))
        candidates = sorted((r for r in others if r.id != report.id), key=lambda r: -r.count)
        if not candidates:
            if notify is not None:
                await notify(NO_OTHER_REPORT)
            return
        post = BugRef(bug_id=report.id, channel=channel, ts=ts)
        await client.views_open(trigger_id=body["trigger_id"], view=duplicate_modal(report, candidates, post))

    await guarded(open_modal(), notify, "duplicate of")


async def on_duplicate_submitted(deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
    view = body["view"]
    post = BugRef.parse(view.get("private_metadata"))
    user = user_id(body)
    selected = view_input(view, ids.DUPLICATE_BLOCK, ids.DUPLICATE_INPUT).get("selected_option") or {}
    original = selected.get("value")
    service = deps.insights
    if post is None or not original or service is None or not await deps.members.is_agent(user):
        return
    notify = ephemeral(client, post.channel, user)
    steps = Steps.of(deps.conversations, body)
    work = _apply(service, client, post, BugStatus.DUPLICATE, user, steps, duplicate_of=str(original))
    await guarded(or_retry_later(work, "duplicate of"), notify, "duplicate of")
