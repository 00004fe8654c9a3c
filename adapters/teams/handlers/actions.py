"""Card buttons, one registry of verbs for both ways Teams sends a click.

``Action.Execute`` arrives as an ``adaptiveCard/action`` invoke and is answered in the HTTP
response with the clicker's own view (or a message only they see); when the click changed what
everyone should see (``Outcome.shared``), the bot also updates the message through the Bot
Connector, so the other people's cards no longer offer what was done. The ``Action.Submit``
fallback arrives as a message whose ``value`` carries the verb; the bot updates the card in place.

* The answer card's refresh (``REFRESH``): each person's own view, agents' with their buttons.
* "Helpful" / "Not helpful": Signal.HELPED / NOT_HELPED (Role.CUSTOMER for customers, counted once
  per person); a customer's "Not helpful" also hands the question off.
* "Approve" / "Reject" (agents, in their view): Signal.APPROVE / REJECT with Role.AGENT, once each.
* "Correct this" (agents): the card with a form; "Save correction" teaches it (Signal.CORRECT,
  for the account or everyone) and posts it in the customer's thread.
* "Send draft" (agents): the draft goes to the customer's thread and is learned (Signal.RESOLVE).
* "I'll take it" (agents): the first agent claims the hand-off; the card says who.
* The rating buttons of a resolved conversation (customers): kept on the conversation, a weak
  helped / not-helped signal on the answer that resolved it, once per customer.
* "Send to customer" (agents; on the card under an agent's reply in a hand-off thread): the reply
  goes to the customer's thread, once (``adapters.teams.threads``).
* "Right" / "Wrong" on a spot check (agents, in their 1:1 chat): the verdict, once, then the next
  answer waiting in the card's place (``handlers.spot_checks``). Their card names no customer's
  thread, so they are routed before the ``ExchangeRef`` the other verbs need.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from adapters.teams import cards, texts
from adapters.teams import constants as ids
from adapters.teams.activities import place_of
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.handlers import spot_checks
from adapters.teams.handlers.messages import actor_of
from adapters.teams.messenger import text_activity
from adapters.teams.payloads import ExchangeRef, SpotCheckRef
from adapters.teams.replies import (
    CONNECTOR_ERRORS,
    guarded,
    hand_off,
    handoff_card,
    send_correction,
    send_draft,
)
from adapters.teams.roles import conversation_tenant
from adapters.teams.threads import forward
from assistant.errors import AssistantError
from assistant.models import Role, Signal
from assistant.service_levels import CSAT_SCALE, csat_helped

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the clicker sees (a card instead of the one clicked, or a message), and ``shared``: the
    card everyone sees from now on, when the click changed it."""

    card: cards.Card | None = None
    message: str | None = None
    shared: cards.Card | None = None

    @property
    def view(self) -> cards.Card | None:
        return self.card if self.card is not None else self.shared


@dataclass(slots=True)
class Click:
    deps: TeamsDeps
    context: TurnContext
    data: Mapping[str, Any]
    ref: ExchangeRef
    user: str
    name: str
    _role: Role | None = None

    async def role(self) -> Role | None:
        if self._role is None:
            self._role = await self.deps.members.role_of(self.context)
        return self._role


Handler = Callable[[Click], Awaitable[Outcome]]


def agents_only(handler: Handler) -> Handler:
    async def checked(click: Click) -> Outcome:
        if await click.role() is not Role.AGENT:
            log.info("%s refused for %s (not an agent)", handler.__name__, click.user)
            return Outcome(message=texts.AGENTS_ONLY)
        return await handler(click)

    checked.__name__ = handler.__name__
    return checked


async def execute(
    deps: TeamsDeps, context: TurnContext, verb: str | None, data: Mapping[str, Any]
) -> Outcome:
    """Run the handler of ``verb``; a stale card, a refusal or a failure becomes a message."""
    user, name = actor_of(context)
    right = SPOT_CHECKS.get(verb or "")
    work: Awaitable[Outcome]
    if right is not None:
        work = _judge_spot_check(deps, context, data, user, right=right)
    else:
        handler = ACTIONS.get(verb or "")
        ref = ExchangeRef.parse(data)
        if handler is None or ref is None:
            return Outcome(message=texts.STALE_BUTTON)
        if verb in ON_THE_ANSWER and not await _clicked_on_the_answer(deps, context, ref):
            log.info("%s by %s: the card is not the answer it names; ignored", verb, user)
            return Outcome(message=texts.STALE_BUTTON)
        work = handler(Click(deps, context, data, ref, user, name))
    try:
        return await work
    except AssistantError as exc:
        log.info("%s refused: %s", verb, type(exc).__name__)
        return Outcome(message=texts.error(exc.message))
    except CONNECTOR_ERRORS as exc:
        log.error("%s: the Bot Connector failed (%s)", verb, type(exc).__name__)
        return Outcome(message=texts.error(texts.FAILED))


async def show_everyone(context: TurnContext, outcome: Outcome) -> None:
    """Update the clicked message for everyone (a PUT through the Bot Connector) when the click
    changed what everyone sees; a failure is logged: the clicker still gets their view."""
    activity = context.activity
    if outcome.shared is None or not activity.reply_to_id:
        return
    updated = Activity(
        type=ActivityTypes.message, id=activity.reply_to_id, attachments=[cards.attachment(outcome.shared)]
    )
    try:
        await context.update_activity(updated)
    except CONNECTOR_ERRORS as exc:
        log.error("could not update card %s for everyone: %s", activity.reply_to_id, type(exc).__name__)


async def tell_clicker(deps: TeamsDeps, context: TurnContext, outcome: Outcome) -> None:
    """An ``Action.Submit``'s notice for the clicker alone (a refusal, a stale button): in a 1:1 chat
    it is that chat; elsewhere the bot's 1:1 chat with them, never the customer's thread. When Teams
    refuses the 1:1 chat, nothing is said (logged). (Their own card views need Universal Actions:
    a client that falls back to Action.Submit sees the card everyone sees.)"""
    activity = context.activity
    said = text_activity(outcome.message or "")
    try:
        if place_of(activity).personal:
            await context.send_activity(said)
        else:
            await deps.messenger.send_direct(activity, activity.from_property, said)
    except CONNECTOR_ERRORS as exc:
        log.warning("could not tell %s privately: %s", activity.from_property.id, type(exc).__name__)


async def _clicked_on_the_answer(deps: TeamsDeps, context: TurnContext, ref: ExchangeRef) -> bool:
    """Whether a click on an answer card came from the conversation the card names, on the message
    that carries that answer: a forged ``ref`` must not reach another customer's thread."""
    activity = context.activity
    if place_of(activity).conversation != ref.conversation:
        return False
    if not activity.reply_to_id:
        return True
    link = await deps.conversations.find_link(PLATFORM, ref.channel, str(activity.reply_to_id))
    return link is not None and link.answer_id == ref.answer_id


# the customer's verdict


async def on_helped(click: Click) -> Outcome:
    return await _verdict(click, helped=True)


async def on_not_helped(click: Click) -> Outcome:
    return await _verdict(click, helped=False)


async def _verdict(click: Click, *, helped: bool) -> Outcome:
    deps, ref = click.deps, click.ref
    role = await click.role() or Role.CUSTOMER
    answer = await deps.assistant.get_answer(ref.answer_id)
    if await deps.conversations.claim_event(PLATFORM, f"verdict:{answer.id}:{click.user}"):
        signal = Signal.HELPED if helped else Signal.NOT_HELPED
        await deps.assistant.feedback(answer.id, signal, actor=click.user, role=role)
        if not helped and role is Role.CUSTOMER:
            await _hand_off_again(click)
        if helped and role is Role.CUSTOMER:
            conversation = await deps.conversations.get_conversation(PLATFORM, ref.channel, ref.thread)
            if conversation is not None:
                await deps.threads.confirmed(conversation, answer.id)
    status = texts.helped_by(click.name, helped)
    agents = deps.members.known_agents
    shown = deps.settings.show_confidence
    shared = cards.answer_card(answer, ref, status=status, show_confidence=shown, agents=agents)
    if role is Role.AGENT:
        return Outcome(card=cards.agent_view(answer, ref, status=status, agents=agents), shared=shared)
    return Outcome(shared=shared)


async def on_refresh(click: Click) -> Outcome:
    """The card's refresh: the agents' view for an agent, the card everyone sees for the others."""
    answer = await click.deps.assistant.get_answer(click.ref.answer_id)
    raw = click.data.get(ids.VIEW_STATUS)
    status = str(raw) if isinstance(raw, str) and raw else None
    correctable = click.data.get(ids.VIEW_CORRECTABLE) is not False
    agents = click.deps.members.known_agents
    if await click.role() is Role.AGENT:
        return Outcome(
            card=cards.agent_view(answer, click.ref, status=status, correctable=correctable, agents=agents)
        )
    shown = click.deps.settings.show_confidence
    return Outcome(
        card=cards.answer_card(
            answer, click.ref, status=status, correctable=correctable, show_confidence=shown, agents=agents
        )
    )


@agents_only
async def on_approve(click: Click) -> Outcome:
    return await _review(click, Signal.APPROVE)


@agents_only
async def on_reject(click: Click) -> Outcome:
    return await _review(click, Signal.REJECT)


async def _review(click: Click, signal: Signal) -> Outcome:
    """An agent's Approve / Reject: the calibrated agent signal, once per agent and answer; only the
    agent's own view changes (customers never see an agent's review)."""
    deps, ref = click.deps, click.ref
    if not await deps.conversations.claim_event(PLATFORM, f"review:{ref.answer_id}:{click.user}"):
        return Outcome(message=texts.ALREADY_REVIEWED)
    try:
        await deps.assistant.feedback(ref.answer_id, signal, actor=click.user, role=Role.AGENT)
    except BaseException:
        await deps.conversations.release_event(PLATFORM, f"review:{ref.answer_id}:{click.user}")
        raise
    answer = await deps.assistant.get_answer(ref.answer_id)
    raw = click.data.get(ids.VIEW_STATUS)
    status = str(raw) if isinstance(raw, str) and raw else None
    view = cards.agent_view(
        answer,
        ref,
        status=status,
        correctable=click.data.get(ids.VIEW_CORRECTABLE) is not False,
        reviewed=texts.reviewed(signal is Signal.APPROVE),
        agents=deps.members.known_agents,
    )
    return Outcome(card=view)


async def _hand_off_again(click: Click) -> None:
    deps, ref = click.deps, click.ref
    place = place_of(click.context.activity)
    binding = await deps.binding(
        ref.channel, personal=place.personal, tenant=conversation_tenant(click.context)
    )
    if binding is None or binding.kind != "customer":
        return
    answer = await deps.assistant.get_answer(ref.answer_id)
    stored = await deps.assistant.get_question(answer.question_id)
    work = hand_off(
        deps,
        answer=answer,
        question=stored.text if stored is not None else "",
        binding=binding,
        ref=ref,
        notice=texts.STILL_NEED_HELP,
    )
    deps.work.spawn(guarded(work, None, "hand-off"), name=f"teams hand-off {answer.id}")


# agents: corrections


@agents_only
async def on_correct(click: Click) -> Outcome:
    answer = await click.deps.assistant.get_answer(click.ref.answer_id)
    return Outcome(card=cards.correction_card(answer, click.ref, answer.account))


@agents_only
async def on_correct_submit(click: Click) -> Outcome:
    text = str(click.data.get(ids.TEXT_INPUT) or "").strip()
    if not text:
        return Outcome(message=texts.EMPTY_CORRECTION)
    make_global = click.data.get(ids.SCOPE_INPUT) == ids.SCOPE_EVERYONE
    if not await send_correction(
        click.deps, click.ref, text=text, make_global=make_global, user=click.user, name=click.name
    ):
        return Outcome(message=texts.ALREADY_HANDLED)
    answer = await click.deps.assistant.get_answer(click.ref.answer_id)
    status = texts.corrected_by(click.name)
    shown = click.deps.settings.show_confidence
    agents = click.deps.members.known_agents
    shared = cards.answer_card(
        answer, click.ref, status=status, correctable=False, show_confidence=shown, agents=agents
    )
    view = cards.agent_view(answer, click.ref, status=status, correctable=False, agents=agents)
    return Outcome(card=view, shared=shared)


# agents: hand-offs


@agents_only
async def on_send_draft(click: Click) -> Outcome:
    if not await send_draft(click.deps, click.ref, user=click.user, name=click.name):
        return Outcome(message=texts.ALREADY_HANDLED)
    return Outcome(shared=await handoff_card(click.deps, click.ref, done=texts.sent_by(click.name)))


@agents_only
async def on_take(click: Click) -> Outcome:
    if not await click.deps.conversations.claim_handoff(click.ref.answer_id, click.user):
        return Outcome(message=texts.ALREADY_TAKEN)
    conversation = await click.deps.conversations.get_conversation(
        PLATFORM, click.ref.channel, click.ref.thread
    )
    if conversation is not None:
        await click.deps.threads.taken(conversation, click.user)
    return Outcome(shared=await handoff_card(click.deps, click.ref, taken_by=click.name))


@agents_only
async def on_send_to_customer(click: Click) -> Outcome:
    reply_id = str(click.data.get(ids.REPLY_KEY) or "")
    refused = await forward(click.deps, click.ref, reply_id, user=click.user, name=click.name)
    if refused is not None:
        return Outcome(message=refused)
    return Outcome(card=cards.forwarded_card(click.name))


async def on_csat(click: Click) -> Outcome:
    """A customer rates a resolved conversation: kept on it, and a weak signal on the answer that
    resolved it (once per customer)."""
    deps = click.deps
    if await click.role() is Role.AGENT:
        return Outcome(message=texts.CUSTOMERS_ONLY)
    score = click.data.get(ids.CSAT_KEY)
    conversation = await deps.conversations.conversation_by_id(
        str(click.data.get(ids.CONVERSATION_KEY) or "")
    )
    if conversation is None or not isinstance(score, int) or score not in CSAT_SCALE:
        return Outcome(message=texts.STALE_BUTTON)
    clicked_in = place_of(click.context.activity).conversation
    if (conversation.channel, conversation.thread) != (click.ref.channel, click.ref.thread) or (
        clicked_in != click.ref.conversation
    ):  # a forged card: not the conversation it was clicked in
        return Outcome(message=texts.STALE_BUTTON)
    if not await deps.conversations.claim_event(PLATFORM, f"csat:{conversation.id}:{click.user}"):
        return Outcome(message=texts.ALREADY_RATED)
    await deps.threads.rated(conversation, score)
    helped = csat_helped(score)
    if conversation.answer_id and helped is not None:
        signal = Signal.HELPED if helped else Signal.NOT_HELPED
        await deps.assistant.feedback(conversation.answer_id, signal, actor=click.user, role=Role.CUSTOMER)
    return Outcome(card=cards.rated_card(click.name, score))


# agents: spot checks


async def _judge_spot_check(
    deps: TeamsDeps, context: TurnContext, data: Mapping[str, Any], user: str, *, right: bool
) -> Outcome:
    """An agent's verdict on a spot check; the next one waiting (or that none is) replaces the card,
    for the clicker (Action.Execute) as in the chat (Action.Submit)."""
    ref = SpotCheckRef.parse(data)
    if ref is None:
        return Outcome(message=texts.STALE_BUTTON)
    if await deps.members.role_of(context) is not Role.AGENT:
        log.info("spot check refused for %s (not an agent)", user)
        return Outcome(message=texts.AGENTS_ONLY)
    note = await spot_checks.record(deps, ref.answer_id, user, right=right)
    return Outcome(shared=await spot_checks.newest_card(deps, note))


#: Right / Wrong on a spot check, and whether the answer was right.
SPOT_CHECKS = {ids.SPOT_CHECK_RIGHT: True, ids.SPOT_CHECK_WRONG: False}

#: Buttons on the answer card in the customer's conversation (the rest are on hand-off cards).
ON_THE_ANSWER = frozenset(
    {ids.REFRESH, ids.HELPED, ids.NOT_HELPED, ids.APPROVE, ids.REJECT, ids.CORRECT, ids.CORRECT_SUBMIT}
)

ACTIONS: dict[str, Handler] = {
    ids.REFRESH: on_refresh,
    ids.APPROVE: on_approve,
    ids.REJECT: on_reject,
    ids.HELPED: on_helped,
    ids.NOT_HELPED: on_not_helped,
    ids.CORRECT: on_correct,
    ids.CORRECT_SUBMIT: on_correct_submit,
    ids.SEND_DRAFT: on_send_draft,
    ids.TAKE_HANDOFF: on_take,
    ids.SEND_TO_CUSTOMER: on_send_to_customer,
    ids.CSAT: on_csat,
}
