"""The insight jobs posting to Slack through the real app's client, against the fake Web API; and
engineers labelling a posted bug report through the real Bolt endpoint."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from adapters.scheduler.jobs import (
    InsightRuntime,
    installed_runtime,
    run_bug_scan,
    run_weekly_digest,
)
from adapters.server import serve
from adapters.slack import constants as ids
from adapters.slack import digest_blocks, texts
from adapters.slack.digest_publisher import SlackDigestPublisher
from assistant.config import load_settings
from assistant.errors import ConfigurationError
from assistant.insights.anomalies import Anomaly
from assistant.insights.records import BugStatus, MessageLabel, MessageRef
from assistant.ports import Embedder
from tests.adapters.insights_data import (
    MORE_BUG_TEXTS,
    NOW,
    ask_bug,
    insight_runtime,
    insight_settings,
)
from tests.adapters.slack.conftest import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    SIGNING_SECRET,
    Harness,
    slack_settings,
)
from tests.adapters.slack.helpers import block_text, button, has_button
from tests.fakes import SlackSender
from tests.fakes.slack_requests import block_actions, view_submission

DIGEST = "C0DIGEST"
ENGINEERING = "C0ENGINEERING"


def publisher_for(harness: Harness, *digest: str) -> SlackDigestPublisher:
    return SlackDigestPublisher(
        client=harness.slack.client,
        conversations=harness.conversations,
        digest_channels=digest or (DIGEST,),
        engineering_channels=(ENGINEERING,),
    )


@pytest.fixture
async def runtime(harness: Harness, embedder: Embedder) -> AsyncIterator[InsightRuntime]:
    """The jobs' runtime on the harness's database, posting with the Slack app's client, its
    service given to the Slack app as ``serve`` gives it (the label buttons use it)."""
    harness.fake.add_channel(DIGEST, is_private=True)
    harness.fake.add_channel(ENGINEERING, is_private=True)
    await ask_bug(harness.assistant)
    url = harness.assistant.settings.database_url
    async with insight_runtime(url, embedder, publisher_for(harness)) as started:
        harness.slack.deps.insights = started.service
        try:
            yield started
        finally:
            harness.slack.deps.insights = None


async def test_the_weekly_digest_is_posted_with_its_charts_once(
    harness: Harness, runtime: InsightRuntime, embedder: Embedder
) -> None:
    assert await run_weekly_digest(runtime, NOW)
    [posted] = harness.fake.messages(DIGEST)
    assert posted["blocks"][0]["text"]["text"].startswith("Support digest 02 Mar")
    shown = block_text(posted)
    assert "Likely bugs" in shown and "CSV" in shown and "Charts:" in shown
    uploads = harness.fake.files.uploads
    names = sorted(u.filename for u in uploads)
    assert names == ["learning-trend.png", "volume-by-topic.png"]
    assert all(u.content.startswith(b"\x89PNG") for u in uploads)
    assert {(u.channel, u.thread_ts) for u in uploads} == {(DIGEST, posted["ts"])}

    # the same period again, in this runtime or in another instance's on the same database
    assert not await run_weekly_digest(runtime, NOW + timedelta(hours=2))
    url = harness.assistant.settings.database_url
    async with insight_runtime(url, embedder, publisher_for(harness), owner="instance-1") as other:
        results = await asyncio.gather(run_weekly_digest(other, NOW), run_weekly_digest(runtime, NOW))
    assert results == [False, False]
    assert len(harness.fake.messages(DIGEST)) == 1 and len(harness.fake.files.uploads) == 2
    assert len(harness.fake.answered("files.completeUploadExternal")) == 1


async def test_a_run_that_failed_half_way_posts_only_what_is_missing(
    harness: Harness, runtime: InsightRuntime
) -> None:
    runtime.publisher = publisher_for(harness, DIGEST, "C0LATER")  # C0LATER does not exist yet
    with pytest.raises(Exception, match="channel_not_found"):
        await run_weekly_digest(runtime, NOW)
    assert len(harness.fake.messages(DIGEST)) == 1
    harness.fake.add_channel("C0LATER")
    assert await run_weekly_digest(runtime, NOW + timedelta(hours=1)), "a failed run is run again"
    assert len(harness.fake.messages(DIGEST)) == 1, "not posted twice where it had succeeded"
    assert len(harness.fake.messages("C0LATER")) == 1
    assert sorted(u.channel for u in harness.fake.files.uploads) == [DIGEST, DIGEST, "C0LATER", "C0LATER"]


async def test_anomalies_go_to_the_digest_channels(harness: Harness, runtime: InsightRuntime) -> None:
    example = MessageRef("q1", "Where is my <b>invoice</b> <!channel>", "acme", NOW)
    spike = Anomaly("topic", "t1", "Invoices", NOW.date(), 40, 8.0, 5.0, 1e-9, [example])
    await runtime.publisher.publish_anomalies([spike])
    [posted] = harness.fake.messages(DIGEST)
    shown = block_text(posted)
    assert "*Invoices* ×5.0" in shown and "&lt;b&gt;invoice&lt;/b&gt;" in shown and "<!channel>" not in shown


async def test_insights_are_never_posted_to_a_customer_channel(
    harness: Harness, runtime: InsightRuntime
) -> None:
    runtime.publisher = publisher_for(harness, CUSTOMER_CHANNEL)  # bound to the account acme
    with pytest.raises(ConfigurationError, match="customer account 'acme'"):
        await run_weekly_digest(runtime, NOW)
    assert harness.fake.messages(CUSTOMER_CHANNEL) == []
    assert harness.fake.files.uploads == []


async def bug_post(harness: Harness, runtime: InsightRuntime) -> dict[str, Any]:
    assert await run_bug_scan(runtime, NOW)
    [posted] = harness.fake.messages(ENGINEERING)
    return posted


async def test_a_bug_is_reported_once_then_updated(harness: Harness, runtime: InsightRuntime) -> None:
    posted = await bug_post(harness, runtime)
    shown = block_text(posted)
    assert "Likely bug" in posted["text"] and "3 messages" in shown and "2 accounts" in shown
    assert all(has_button(posted, a) for a in (ids.BUG_CONFIRM, ids.BUG_NOT_BUG, ids.BUG_DUPLICATE))
    [report] = await runtime.service.source.bug_reports()

    assert not await run_bug_scan(runtime, NOW + timedelta(minutes=30)), "same hour: claimed already"
    assert await run_bug_scan(runtime, NOW + timedelta(hours=1)), "next hour, nothing new"
    assert len(harness.fake.messages(ENGINEERING)) == 1 and not harness.fake.answered("chat.update")

    await ask_bug(harness.assistant, MORE_BUG_TEXTS, at=NOW + timedelta(hours=1, minutes=30))
    assert await run_bug_scan(runtime, NOW + timedelta(hours=2))
    [top] = [m for m in harness.fake.messages(ENGINEERING) if not m.get("thread_ts")]
    assert top["ts"] == posted["ts"], "no second report"
    [update] = harness.fake.answered("chat.update")
    assert update.args["ts"] == posted["ts"] and "5 messages" in block_text(update.args)
    [reply] = harness.fake.messages(ENGINEERING, thread_ts=posted["ts"])
    assert "Reported again: now 5 messages" in reply["text"]
    [again] = await runtime.service.source.bug_reports()
    assert again.id == report.id and again.count == 5


async def click(harness: Harness, posted: dict[str, Any], action_id: str, user: str, team: str = "") -> None:
    await harness.interact(
        block_actions(
            user=user,
            action_id=action_id,
            value=button(posted, action_id)["value"],
            channel=ENGINEERING,
            message_ts=posted["ts"],
            response_url=harness.fake.response_url(action_id),
            **({"team_id": team} if team else {}),
        )
    )


async def test_not_a_bug_is_stored_and_teaches_the_detector(
    harness: Harness, runtime: InsightRuntime
) -> None:
    posted = await bug_post(harness, runtime)
    service = runtime.service
    [report] = await service.source.bug_reports()
    before = await service.classifier()
    p_bug_before = before.predict_proba([report.examples[0].text])

    await click(harness, posted, ids.BUG_NOT_BUG, AGENT)

    [labelled] = await service.source.bug_reports()
    assert (labelled.status, labelled.labelled_by) == (BugStatus.NOT_BUG, AGENT)
    labels = await service.source.labelled_messages()
    assert sorted(m.question_id for m in labels) == sorted(report.question_ids)
    assert {(m.label, m.actor) for m in labels} == {(MessageLabel.QUESTION, AGENT)}
    [update] = harness.fake.answered("chat.update")
    assert update.args["ts"] == posted["ts"] and f"<@{AGENT}>" in block_text(update.args)
    assert "not a bug" in block_text(update.args) and not has_button(update.args, ids.BUG_NOT_BUG)

    # the classifier is retrained with the labels: these messages now read less like a bug
    after = await service.classifier()
    assert after is not before
    stored = await service.source.load_model("message_classifier")
    assert stored is not None and stored.meta["labels"] == len(report.question_ids)
    bug = after.classes.index(MessageLabel.BUG)
    p_bug_after = after.predict_proba([report.examples[0].text])
    assert p_bug_after[0, bug] < p_bug_before[0, before.classes.index(MessageLabel.BUG)]

    # and more of the same is absorbed quietly: no new post, no update
    await ask_bug(harness.assistant, MORE_BUG_TEXTS, at=NOW + timedelta(minutes=30))
    await run_bug_scan(runtime, NOW + timedelta(hours=1))
    assert len(harness.fake.messages(ENGINEERING)) == 1 and len(harness.fake.answered("chat.update")) == 1


async def test_a_customer_cannot_label_a_bug(harness: Harness, runtime: InsightRuntime) -> None:
    posted = await bug_post(harness, runtime)
    await click(harness, posted, ids.BUG_CONFIRM, CUSTOMER, ACME_TEAM)
    [refusal] = harness.fake.answered("chat.postEphemeral")
    assert refusal.args["user"] == CUSTOMER and refusal.args["text"] == texts.AGENTS_ONLY
    [report] = await runtime.service.source.bug_reports()
    assert report.status is BugStatus.OPEN and not await runtime.service.source.labelled_messages()
    assert not harness.fake.answered("chat.update")


async def test_bug_confirms_and_duplicate_of_picks_another_report(
    harness: Harness, runtime: InsightRuntime
) -> None:
    posted = await bug_post(harness, runtime)
    source = runtime.service.source
    [report] = await source.bug_reports()
    other = dataclasses.replace(report, id="bug_other", title="Login page is blank", question_ids=["qx"])
    await source.save_bug_report(other)

    await click(harness, posted, ids.BUG_DUPLICATE, AGENT)
    [opened] = harness.fake.answered("views.open")
    view = opened.args["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    select = view["blocks"][1]["element"]
    assert [o["value"] for o in select["options"]] == ["bug_other"]
    await harness.interact(
        view_submission(
            user=AGENT,
            callback_id=ids.DUPLICATE_VIEW,
            private_metadata=view["private_metadata"],
            values={ids.DUPLICATE_BLOCK: {ids.DUPLICATE_INPUT: {"selected_option": select["options"][0]}}},
        )
    )
    labelled = await source.get_bug_report(report.id)
    assert labelled is not None and labelled.status is BugStatus.DUPLICATE
    assert labelled.duplicate_of == "bug_other"
    [update] = harness.fake.answered("chat.update")
    assert update.args["ts"] == posted["ts"] and "`bug_other`" in block_text(update.args)

    # "Bug" on the other one, posted the same way
    message = {"ts": "1800000099.000001", **digest_blocks.bug_report_message(other)}
    await click(harness, message, ids.BUG_CONFIRM, AGENT)
    confirmed = await source.get_bug_report("bug_other")
    assert confirmed is not None and confirmed.status is BugStatus.BUG


async def test_buttons_without_insight_jobs_say_so(harness: Harness, runtime: InsightRuntime) -> None:
    posted = await bug_post(harness, runtime)
    harness.slack.deps.insights = None
    await click(harness, posted, ids.BUG_CONFIRM, AGENT)
    [reply] = harness.fake.answered("chat.postEphemeral")
    assert "insight jobs" in reply.args["text"]


async def serve_on(
    harness: Harness,
    embedder: Embedder,
    stop: asyncio.Event,
    ready: Callable[[str], None] = lambda _line: None,
    **insights: str,
) -> None:
    """``assistant serve`` on the harness's database and fake Slack, with these insight settings."""
    await serve(
        settings=load_settings(database_url=harness.assistant.settings.database_url, anthropic_api_key=None),
        slack_settings=slack_settings(harness.fake),
        host="127.0.0.1",
        port=0,
        ready=ready,
        stop=stop,
        embedder=embedder,
        insight_settings=insight_settings(**insights),
    )


async def test_serve_s_bug_buttons_label_through_its_insight_jobs(
    harness: Harness, embedder: Embedder
) -> None:
    harness.fake.add_channel(DIGEST, is_private=True)
    harness.fake.add_channel(ENGINEERING, is_private=True)
    await ask_bug(harness.assistant)
    stop, addresses = asyncio.Event(), list[str]()

    def ready(line: str) -> None:
        addresses.extend(re.findall(r"http://127\.0\.0\.1:\d+", line)[:1])

    async def label_a_bug() -> BugStatus:
        try:
            async with asyncio.timeout(60):
                while not addresses:
                    await asyncio.sleep(0.05)
                runtime = installed_runtime()
                assert await run_bug_scan(runtime, NOW)
                [posted] = harness.fake.messages(ENGINEERING)
                async with aiohttp.ClientSession() as session:
                    sender = SlackSender(session, f"{addresses[0]}/slack/events", SIGNING_SECRET)
                    payload = block_actions(
                        user=AGENT,
                        action_id=ids.BUG_CONFIRM,
                        value=button(posted, ids.BUG_CONFIRM)["value"],
                        channel=ENGINEERING,
                        message_ts=posted["ts"],
                        response_url=harness.fake.response_url(ids.BUG_CONFIRM),
                    )
                    status, _, _ = await sender.interaction(payload)
                    assert status == 200
                [report] = await runtime.service.source.bug_reports()
                while report.status is not BugStatus.BUG:
                    await asyncio.sleep(0.05)
                    [report] = await runtime.service.source.bug_reports()
                return report.status
        finally:
            stop.set()

    labelling = asyncio.create_task(label_a_bug())
    await serve_on(
        harness, embedder, stop, ready, slack_digest_channels=DIGEST, slack_engineering_channels=ENGINEERING
    )
    assert await labelling is BugStatus.BUG
    assert not harness.fake.answered("chat.postEphemeral"), "no 'insight jobs not running' reply"


async def test_serve_runs_the_insight_jobs_while_a_digest_channel_is_set(
    harness: Harness, embedder: Embedder
) -> None:
    stop = asyncio.Event()
    seen: list[InsightRuntime] = []

    def ready(_line: str) -> None:
        seen.append(installed_runtime())
        stop.set()

    await serve_on(harness, embedder, stop, ready, slack_digest_channels=DIGEST)
    assert len(seen) == 1 and isinstance(seen[0].publisher.publishers[0], SlackDigestPublisher)  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError):
        installed_runtime()  # stopped with the server

    with pytest.raises(ConfigurationError, match="Teams is not configured"):
        await serve_on(harness, embedder, stop, teams_digest_channels="19:digest@thread.tacv2")
