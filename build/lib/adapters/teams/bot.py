"""The Teams bot: a ``TeamsActivityHandler`` on the SDK's ``CloudAdapter``.

``TeamsBot`` owns the adapter (authentication from ``adapters.teams.auth``), the member lookups,
the messenger (stored conversation references), the tracked background work and the inbox
(``adapters.teams.inbox``: a message activity is stored before the endpoint answers, a redelivery
is skipped, and what a crash or an outage left pending is run again by the inbox's sweep, at
``start`` and periodically). Each turn stores where its conversation is (for proactive messages),
then dispatches: messages to
``handlers.messages``, card actions (``adaptiveCard/action`` invokes and ``Action.Submit``
messages) to ``handlers.actions``, reactions to ``handlers.reactions`` and the "Teach this" message
action to ``handlers.teaching``, installs, removals, ``help`` and unmapped conversations to
``handlers.onboarding``. Errors in a turn are logged by type, never with message text.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, ClassVar

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ActivityTypes, AdaptiveCardInvokeResponse, MessageReaction
from botbuilder.schema.teams import MessagingExtensionActionResponse, TaskModuleMessageResponse
from botframework.connector.auth import BotFrameworkAuthentication

from adapters.reminders import Reminders
from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.activities import card_submission, place_of
from adapters.teams.auth import build_authentication
from adapters.teams.constants import PLATFORM
from adapters.teams.deps import TeamsDeps
from adapters.teams.handlers import actions, messages, onboarding, reactions, teaching
from adapters.teams.handoffs import TeamsHandoffNotifier, TeamsHandoffReturn
from adapters.teams.inbox import NotStored, TeamsInbox
from adapters.teams.messenger import Messenger, Sent, card_activity, text_activity
from adapters.teams.people import Names
from adapters.teams.roles import AgentRules, Members
from adapters.teams.settings import TeamsSettings
from adapters.wording import waiting_reminder
from adapters.work import BackgroundWork
from assistant.accounts import AccountContext
from assistant.conversations import ConversationStore
from assistant.dialogue import Threads
from assistant.handoff import HandoffNotifier
from assistant.service import Assistant
from assistant.service_levels import Overdue

log = logging.getLogger(__name__)

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
ERROR_RESPONSE_TYPE = "application/vnd.microsoft.error"


class _CardActionResponse(AdaptiveCardInvokeResponse):
    """The ``adaptiveCard/action`` response body, whose ``value`` may be a card or a message string."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        **AdaptiveCardInvokeResponse._attribute_map,
        "value": {"key": "value", "type": "object"},
    }


def _invoke(status: HTTPStatus, kind: str, value: Any) -> InvokeResponse:
    body = _CardActionResponse(status_code=int(status), type=kind, value=value)
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


#: Activities whose conversation is worth remembering for proactive messages.
_REMEMBERED = frozenset(
    {
        ActivityTypes.message,
        ActivityTypes.conversation_update,
        ActivityTypes.invoke,
        ActivityTypes.installation_update,
    }
)


#: Activities people send: their sender's display name is kept (``adapters.teams.people``).
_PEOPLE = frozenset({ActivityTypes.message, ActivityTypes.invoke, ActivityTypes.message_reaction})


class TeamsBot(TeamsActivityHandler):
    """The assistant's Teams bot; ``process`` handles one request, ``close`` lets running work finish."""

    def __init__(
        self,
        *,
        assistant: Assistant,
        conversations: ConversationStore,
        settings: TeamsSettings,
        authentication: BotFrameworkAuthentication | None = None,
        handoff_notifier: HandoffNotifier | None = None,
        accounts: AccountContext | None = None,
    ) -> None:
        """``handoff_notifier`` is where hand-offs go when they leave Teams (a Slack channel, with
        ``TEAMS_HANDOFF_SLACK_CHANNEL``); by default they are cards in the internal Teams channel."""
        if settings.handoff_slack_channel and handoff_notifier is None:
            settings.check_handoff_destination(slack_configured=False)
        self.settings = settings
        self.authenticated = settings.auth_mode == "authenticated"  # raises on incomplete credentials
        self.adapter = CloudAdapter(authentication or build_authentication(settings))
        self.adapter.on_turn_error = self._on_turn_error
        self.work = BackgroundWork()
        settings.check_agent_rule()  # nobody is an agent by default
        rules = AgentRules(
            agent_ids=settings.agent_id_set,
            customer_tenants=settings.customer_tenant_set,
            home_tenant=settings.home_tenant,
        )
        self.messenger = Messenger(
            adapter=self.adapter,
            conversations=conversations,
            app_id=settings.app_id if self.authenticated else None,
            home_tenant=settings.home_tenant,
        )
        self.deps = TeamsDeps(
            assistant=assistant,
            conversations=conversations,
            settings=settings,
            members=Members(rules),
            messenger=self.messenger,
            work=self.work,
            handoffs=handoff_notifier or self._teams_handoffs(conversations),
            threads=Threads(
                store=conversations,
                accounts=accounts,
                redact_personal_data=assistant.settings.redact_personal_data,
            ),
        )
        self.names = Names(conversations)
        #: How another platform's agents answer Teams customers' hand-offs (``assistant.handoff``).
        self.handoff_return = TeamsHandoffReturn(self.deps)
        self.reminders = Reminders(
            platform=PLATFORM,
            threads=self.deps.threads,
            conversations=conversations,
            levels=assistant.settings.service_levels,
            post=self._remind,
            every=assistant.settings.service_level_check_seconds,
        )
        self.inbox = TeamsInbox(
            conversations=conversations,
            settings=settings,
            adapter=self.adapter,
            app_id=settings.app_id if self.authenticated else None,
            messenger=self.messenger,
            turn=self.on_turn,
        )

    def _teams_handoffs(self, conversations: ConversationStore) -> TeamsHandoffNotifier:
        default = self.settings.handoff_channel
        return TeamsHandoffNotifier(
            messenger=self.messenger, conversations=conversations, default_channel=default
        )

    def start(self) -> None:
        """Say how requests are checked, and start the inbox's sweep (in the running event loop):
        messages a previous run left pending are answered now."""
        if not self.authenticated:
            log.warning(texts.UNAUTHENTICATED_WARNING)
        log.info("Teams bot ready (%s)", "authenticated" if self.authenticated else "UNAUTHENTICATED")
        self.inbox.start()
        self.reminders.start()

    async def _remind(self, late: Overdue) -> None:
        """A service-level reminder in the late conversation's hand-off thread."""
        conversation = late.conversation
        text = waiting_reminder(waited=late.waited, target=late.target, owner=None, asker=None)
        await self.messenger.send(str(conversation.handoff_post), text_activity(text))

    def health(self) -> dict[str, Any]:
        status: dict[str, Any] = {"authenticated": self.authenticated}
        if not self.authenticated:
            status["warning"] = texts.UNAUTHENTICATED_WARNING
        return status

    # the turn

    async def on_turn(self, turn_context: TurnContext) -> None:
        if not await self.inbox.admit(turn_context):
            return
        activity = turn_context.activity
        if activity.type in _REMEMBERED and activity.conversation is not None and activity.service_url:
            await self.messenger.remember(activity, place_of(activity))
        if activity.type in _PEOPLE:
            await self.names.seen(activity)  # for ``assistant learned``: names, not object ids
        await super().on_turn(turn_context)
        await self.inbox.settle(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        submission = card_submission(turn_context.activity)
        if submission is not None:
            await self._on_submit(turn_context, submission)
        elif not await onboarding.intercept(self.deps, turn_context):  # help, unmapped hint
            await messages.on_message(self.deps, turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await onboarding.welcome(self.deps, turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await onboarding.uninstalled(self.deps, turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[Any], team_info: Any, turn_context: TurnContext
    ) -> None:
        if onboarding.bot_among(teams_members_added, turn_context):
            await onboarding.welcome(self.deps, turn_context)

    async def on_teams_message_edit(self, turn_context: TurnContext) -> None:
        await messages.on_edited(self.deps, turn_context)

    async def on_teams_message_soft_delete(self, turn_context: TurnContext) -> None:
        await messages.on_deleted(self.deps, turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """``adaptiveCard/action`` and the "Teach this" message action here; other invokes as the SDK
        handles them (501 mostly).

        The SDK's own route serialises the response body twice under ``CloudAdapter`` (a crash),
        and its body model cannot carry a message string: the response is built here instead.
        """
        if turn_context.activity.name == teaching.SUBMIT_ACTION:
            value = turn_context.activity.value
            value = value if isinstance(value, dict) else {}
            said = await teaching.teach_reply(self.deps, turn_context, value)
            response = MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=said))
            return InvokeResponse(status=int(HTTPStatus.OK), body=response)
        if turn_context.activity.name != ADAPTIVE_CARD_ACTION:
            return await super().on_invoke_activity(turn_context)
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            error = {"code": "BadRequest", "message": "The value is not an Action.Execute."}
            return _invoke(HTTPStatus.BAD_REQUEST, ERROR_RESPONSE_TYPE, error)
        data = action.get("data")
        data = data if isinstance(data, dict) else {}
        outcome = await actions.execute(self.deps, turn_context, action.get("verb"), data)
        await actions.show_everyone(turn_context, outcome)  # the others' cards change too
        if outcome.view is not None:
            return _invoke(HTTPStatus.OK, ids.CARD_CONTENT_TYPE, outcome.view)
        return _invoke(HTTPStatus.OK, ids.MESSAGE_RESPONSE_TYPE, outcome.message or "")

    async def on_reactions_added(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        await reactions.on_reactions_added(self.deps, turn_context, message_reactions)

    async def on_reactions_removed(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        await reactions.on_reactions_removed(self.deps, turn_context, message_reactions)

    async def _on_submit(self, turn_context: TurnContext, value: Any) -> None:
        activity = turn_context.activity
        place = place_of(activity)
        if not await self.deps.conversations.claim_event(
            ids.PLATFORM, f"activity:{place.conversation}:{activity.id}"
        ):
            return
        outcome = await actions.execute(self.deps, turn_context, value.get("verb"), value)
        await actions.show_everyone(turn_context, outcome)
        if outcome.message:  # the clicker's own notice: never in the customer's thread
            await actions.tell_clicker(self.deps, turn_context, outcome)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        activity = turn_context.activity
        log.error("Teams turn failed for %s %s: %s", activity.type, activity.id, type(error).__name__)
        log.debug("traceback", exc_info=error)
        if isinstance(error, NotStored):  # answered 500, not acknowledged: the message is not kept
            raise error

    # proactive messages (digests, notices): the conversation must have been seen once

    async def notify(self, conversation: str, text: str) -> Sent:
        """Send ``text`` to a conversation (a chat, a channel thread) the bot has seen."""
        return await self.messenger.send(conversation, text_activity(text))

    async def post_card(self, channel: str, card: dict[str, Any], summary: str = "") -> Sent:
        """Start a thread in a Teams channel with ``card`` (a digest, a report)."""
        return await self.messenger.start_thread(channel, card_activity(card, summary))

    # lifecycle

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the background work of every request handled so far."""
        await self.work.drain(timeout)

    async def close(self) -> None:
        await self.reminders.close()
        await self.inbox.close()
        await self.work.close()
