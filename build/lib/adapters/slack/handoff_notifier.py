"""Hand-offs from another platform (Teams) in a Slack channel: the post, and its agents' buttons.

Slack's port of ``assistant.handoff`` for a support team that works in Slack while some customers
ask in Teams (``TEAMS_HANDOFF_SLACK_CHANNEL``; ``adapters.server`` wires it when both run in one
process):

* ``SlackHandoffNotifier.notify_handoff`` posts the hand-off (``chat.postMessage`` to the
  hand-off channel) built from ``blocks``' pieces: the question, the account, where it was asked
  (with a link that opens the thread in Teams), the draft with sources and confidence, and the
  buttons "Send draft", "Edit and send" and "I'll take it".
* ``register`` adds the listeners of those buttons (their own action ids, so Slack's own hand-off
  listeners never see a foreign exchange): the clicker must be a Slack agent, as for Slack's own
  hand-offs; the answer is delivered by the origin platform's ``HandoffReturn`` (to the customer's
  Teams conversation, learned once), then the post is redrawn as done, like Slack's own.

* ``relay`` posts what the customer adds while people own the conversation under that post (found
  again by its metadata before posting, so never twice).

What is not carried over: an agent's reply typed in the Slack thread of such a post is not sent to
Teams (Slack learns thread replies only in customer channels); "Edit and send" is the way to send
one's own words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.markup import slack_link, slack_text
from adapters.slack import blocks, texts
from adapters.slack.api_errors import slack_error
from adapters.slack.constants import MAX_BLOCKS, PLATFORM
from adapters.slack.deps import SlackDeps
from adapters.slack.events import action_value, container, user_id, view_text
from adapters.slack.handlers.base import Body, after_ack
from adapters.slack.payloads import ButtonPayload, HandoffRef
from adapters.slack.posted import find_posted, post_metadata
from adapters.slack.replies import Notify, ephemeral, guarded
from assistant.conversations import ConversationStore
from assistant.dialogue import Threads
from assistant.handoff import HandoffNotice, HandoffOrigin, HandoffReturn, Relay

log = logging.getLogger(__name__)

# buttons and the modal of a hand-off from another platform (Slack's own are in ``constants``)
SEND_DRAFT = "origin_handoff_send_draft"
EDIT_AND_SEND = "origin_handoff_edit_and_send"
TAKE_HANDOFF = "origin_handoff_take"
EDIT_VIEW = "origin_handoff_edit_view"

PLATFORM_NAMES = {"teams": "Teams", "slack": "Slack"}


class OriginRef(ButtonPayload):
    """A hand-off from another platform: the answer and the exchange on its origin platform."""

    answer_id: str
    platform: str
    channel: str
    conversation: str
    thread: str
    link: str | None = None
    handoff_channel: str | None = None
    handoff_ts: str | None = None

    @classmethod
    def of(cls, notice: HandoffNotice) -> OriginRef:
        origin = notice.origin
        return cls(
            answer_id=notice.answer_id,
            platform=origin.platform,
            channel=origin.channel,
            conversation=origin.conversation,
            thread=origin.thread,
            link=origin.link,
        )

    def origin(self) -> HandoffOrigin:
        return HandoffOrigin(self.platform, self.channel, self.conversation, self.thread, self.link)


def handoff_message(
    notice: HandoffNotice, ref: OriginRef, *, taken_by: str | None = None, done: str | None = None
) -> blocks.Message:
    """Slack's hand-off post (``blocks.handoff_message``) for an exchange on another platform:
    "From Teams" with a link to the thread instead of a Slack channel mention."""
    title = texts.handoff_title(notice.account)
    where = PLATFORM_NAMES.get(notice.origin.platform, slack_text(notice.origin.platform))
    if notice.origin.link:
        where = slack_link(notice.origin.link, f"{where} thread")
    account = f" · account *{slack_text(notice.account)}*" if notice.account else ""
    question = "\n".join("> " + line for line in slack_text(notice.question).splitlines() or [""])
    body: list[blocks.Block] = [
        {"type": "header", "text": blocks.plain(title, 150)},
        blocks.context(f"From {where}{account}", texts.confidence(notice.confidence)),
        *blocks.sections(question if notice.question else "> (the question was deleted)"),
    ]
    if notice.draft:
        body.append({"type": "section", "text": blocks.mrkdwn("*Draft answer*")})
        body.extend(blocks.said(notice.draft))
        if notice.sources:
            body.append(blocks.context(blocks.source_line(notice.sources)))
    else:
        body.append(blocks.context("No draft: nothing in the knowledge matched this question."))
    if done is not None:
        body.append(blocks.context(done))
    else:
        if taken_by is not None:
            body.append(blocks.context(texts.taken_by(taken_by)))
        value = ref.dump()
        elements = []
        if notice.draft:
            elements.append(blocks.button(texts.SEND_DRAFT_BUTTON, SEND_DRAFT, value, "primary"))
        elements.append(blocks.button(texts.EDIT_AND_SEND_BUTTON, EDIT_AND_SEND, value))
        if taken_by is None:
            elements.append(blocks.button(texts.TAKE_BUTTON, TAKE_HANDOFF, value))
        body.append({"type": "actions", "block_id": "origin_handoff_actions", "elements": elements})
    return {"text": blocks.fallback(f"{title}: {notice.question}"), "blocks": body[:MAX_BLOCKS]}


class SlackHandoffNotifier:
    """Posts hand-offs from another platform to one Slack channel (``HandoffNotifier``)."""

    def __init__(self, *, client: AsyncWebClient, conversations: ConversationStore, channel: str) -> None:
        self.client = client
        self.channel = channel
        self._conversations = conversations

    async def notify_handoff(self, notice: HandoffNotice) -> None:
        message = handoff_message(notice, OriginRef.of(notice))
        posted = await self.client.chat_postMessage(channel=self.channel, **message)
        ts = str(posted["ts"])
        await self._conversations.link_message(
            PLATFORM, self.channel, ts, ts, notice.answer_id, notice.question_id, "handoff"
        )
        origin = notice.origin
        conversation = await self._conversations.get_conversation(
            origin.platform, origin.channel, origin.thread
        )
        if conversation is not None:  # the post's thread is where the conversation's relays go
            await Threads(store=self._conversations).handoff_posted(
                conversation, channel=self.channel, post=ts, link=origin.link
            )
        log.info(
            "answer %s (%s) handed off to Slack channel %s",
            notice.answer_id,
            notice.origin.platform,
            self.channel,
        )

    async def relay(self, relay: Relay) -> tuple[str, str] | None:
        """The customer's new message under the conversation's hand-off post in this channel (a new
        post when it has none here); looked for first by its metadata, so it is posted once."""
        where = PLATFORM_NAMES.get(relay.origin.platform, slack_text(relay.origin.platform))
        if relay.origin.link:
            where = slack_link(relay.origin.link, f"{where} thread")
        intro = f":speech_balloon: {slack_text(relay.author)} wrote in the customer's {where}:"
        quoted = "\n".join("> " + line for line in slack_text(relay.text).splitlines() or [""])
        message: blocks.Message = {
            "text": blocks.fallback(f"{relay.author}: {relay.text}"),
            "blocks": [blocks.context(intro), *blocks.sections(quoted)],
        }
        root = relay.handoff_post if relay.handoff_channel == self.channel else None
        if root is not None:
            found = await find_posted(
                self.client, channel=self.channel, answer_id=relay.key, kind="relay", thread_ts=root
            )
            if found is None:
                await self.client.chat_postMessage(
                    channel=self.channel,
                    thread_ts=root,
                    metadata=post_metadata(relay.key, "relay"),
                    **message,
                )
            return self.channel, root
        posted = await self.client.chat_postMessage(
            channel=self.channel, metadata=post_metadata(relay.key, "relay"), **message
        )
        return self.channel, str(posted["ts"])

    def register(self, app: AsyncApp, deps: SlackDeps, returns: Mapping[str, HandoffReturn]) -> None:
        """Listen to the buttons of these posts; ``returns`` delivers answers, by origin platform."""
        buttons = _Buttons(returns)
        app.action(SEND_DRAFT)(after_ack(deps, SEND_DRAFT, buttons.on_send_draft))
        app.action(EDIT_AND_SEND)(after_ack(deps, EDIT_AND_SEND, buttons.on_edit_and_send))
        app.action(TAKE_HANDOFF)(after_ack(deps, TAKE_HANDOFF, buttons.on_take))
        app.view(EDIT_VIEW)(after_ack(deps, EDIT_VIEW, buttons.on_edit_submitted))


class _Buttons:
    """The listeners' work, each run after the ack (``handlers.base.after_ack``)."""

    def __init__(self, returns: Mapping[str, HandoffReturn]) -> None:
        self._returns = dict(returns)

    async def on_send_draft(self, deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
        notify = _notify(client, body)
        ref = await _agent_ref(deps, body, notify)
        if ref is not None:
            await guarded(self._send(deps, client, ref, None, user_id(body), notify), notify, "send draft")

    async def on_edit_and_send(self, deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
        notify = _notify(client, body)
        ref = await _agent_ref(deps, body, notify)
        if ref is None:
            return

        async def open_modal() -> None:
            answer = await deps.assistant.get_answer(ref.answer_id)
            # Slack's own modal, with this hand-off's callback and metadata
            shape = HandoffRef(answer_id=ref.answer_id, channel=ref.channel, thread_ts=ref.thread)
            view = {
                **blocks.edit_modal(answer.text, shape),
                "callback_id": EDIT_VIEW,
                "private_metadata": ref.dump(),
            }
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await guarded(open_modal(), notify, "edit and send")

    async def on_edit_submitted(self, deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
        view = body["view"]
        ref = OriginRef.parse(view.get("private_metadata"))
        user, text = user_id(body), view_text(view)
        if ref is None or not text or not await deps.members.is_agent(user):
            return
        notify = ephemeral(client, ref.handoff_channel, user)
        await guarded(self._send(deps, client, ref, text, user, notify), notify, "edited answer")

    async def on_take(self, deps: SlackDeps, client: AsyncWebClient, body: Body) -> None:
        notify = _notify(client, body)
        ref = await _agent_ref(deps, body, notify)
        if ref is None:
            return
        user = user_id(body)
        if not await deps.conversations.claim_handoff(ref.answer_id, user):
            if notify is not None:
                await notify(texts.ALREADY_TAKEN)
            return
        await guarded(_redraw(deps, client, ref, taken_by=user), notify, "take hand-off")

    async def _send(
        self,
        deps: SlackDeps,
        client: AsyncWebClient,
        ref: OriginRef,
        text: str | None,
        user: str,
        notify: Notify | None,
    ) -> None:
        back = self._returns.get(ref.platform)
        if back is None:
            log.warning("no way back to %s for answer %s", ref.platform, ref.answer_id)
            if notify is not None:
                await notify(texts.STALE_BUTTON)
            return
        name = await _display_name(client, user)
        sent = await back.send_answer(ref.origin(), ref.answer_id, text=text, agent=user, agent_name=name)
        if not sent:
            if notify is not None:
                await notify(texts.ALREADY_HANDLED)
            return
        answer = await deps.assistant.get_answer(ref.answer_id)
        edited = text is not None and text.strip() != answer.text.strip()
        await _redraw(deps, client, ref, done=texts.sent_by(user, edited))


def _notify(client: AsyncWebClient, body: Body) -> Notify | None:
    channel, _ = container(body)
    return ephemeral(client, channel, user_id(body))


async def _agent_ref(deps: SlackDeps, body: Body, notify: Notify | None) -> OriginRef | None:
    """The hand-off a button is on, with the post's channel and ts; None (and a reply) when the
    clicker is not an agent or the button is stale."""
    ref = OriginRef.parse(action_value(body))
    if ref is None:
        if notify is not None:
            await notify(texts.STALE_BUTTON)
        return None
    if not await deps.members.is_agent(user_id(body)):
        if notify is not None:
            await notify(texts.AGENTS_ONLY)
        return None
    channel, ts = container(body)
    return ref.model_copy(update={"handoff_channel": channel, "handoff_ts": ts})


async def _redraw(
    deps: SlackDeps,
    client: AsyncWebClient,
    ref: OriginRef,
    *,
    taken_by: str | None = None,
    done: str | None = None,
) -> None:
    """``chat.update`` the hand-off post as taken or done."""
    if not ref.handoff_channel or not ref.handoff_ts:
        return
    answer = await deps.assistant.get_answer(ref.answer_id)
    stored = await deps.assistant.get_question(answer.question_id)
    question = stored.text if stored is not None and not stored.deleted else ""
    notice = HandoffNotice.of(answer, question=question, origin=ref.origin())
    message = handoff_message(notice, ref, taken_by=taken_by, done=done)
    await client.chat_update(channel=ref.handoff_channel, ts=ref.handoff_ts, **message)


async def _display_name(client: AsyncWebClient, user: str) -> str:
    """How the customer sees the agent named (Teams shows "Corrected by <name>")."""
    try:
        profile = (await client.users_info(user=user))["user"]
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user, slack_error(exc))
        return user
    details = profile.get("profile") or {}
    return str(details.get("display_name") or details.get("real_name") or profile.get("real_name") or user)
