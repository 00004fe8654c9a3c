"""The one code path for what happens in a customer thread, whichever platform it is on.

Adapters translate a platform event into a call here and render what comes back; the rules
(``assistant.threads``) decide. For each customer message: record it (once, however often the
event is delivered), then either answer it in the context of the thread, or relay it to the person
who owns the conversation. Agents' replies, hand-offs, takes and resolutions move the state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from assistant.accounts import AccountContext, AccountProfile, NoAccountContext
from assistant.context import ConversationContext
from assistant.conversations import MessageLink
from assistant.errors import AssistantError, ServiceUnavailableError
from assistant.models import Answer, utcnow
from assistant.privacy.redaction import redact
from assistant.service_levels import Overdue, ServiceLevels, overdue
from assistant.threads import (
    Conversation,
    MessageKind,
    Route,
    ThreadMessage,
    ThreadState,
    ThreadStore,
    context_of,
    reopened,
    route,
)

log = logging.getLogger(__name__)

#: How many of a thread's latest messages are read to build a follow-up's context.
CONTEXT_MESSAGES = 200
#: How often a change is tried again when another one came first (``Threads._change``).
SAVE_ATTEMPTS = 8
TICK = timedelta(microseconds=1)

Change = Callable[[Conversation], Conversation]


@dataclass(frozen=True, slots=True)
class Heard:
    """A customer message recorded: the conversation as it now is and what the message gets."""

    conversation: Conversation
    route: Route
    new: bool  # False when the message was recorded before (the event is being run again)


@dataclass(frozen=True, slots=True)
class Where:
    """A thread on a platform: channel (what bindings are keyed by) and the thread's root id."""

    platform: str
    channel: str
    thread: str


class Threads:
    """Conversations kept in a ``ThreadStore``, with account profiles from an ``AccountContext``."""

    def __init__(
        self, *, store: ThreadStore, accounts: AccountContext | None = None, redact_personal_data: bool = True
    ) -> None:
        """``redact_personal_data`` (the assistant's setting of that name): customers' messages are
        kept with e-mail addresses, phone, card and account numbers replaced, as questions are."""
        self.store = store
        self.accounts: AccountContext = accounts or NoAccountContext()
        self._redact: Callable[[str], str] = redact if redact_personal_data else str

    async def conversation(
        self,
        where: Where,
        *,
        account: str | None,
        asker: str | None,
        state: ThreadState = ThreadState.OPEN,
        answer_id: str | None = None,
    ) -> Conversation:
        """The thread's conversation, started (in ``state``, for a thread that had an exchange
        before conversations were kept) if it has none."""
        found = await self.store.get_conversation(where.platform, where.channel, where.thread)
        if found is not None:
            return found
        started = Conversation.start(
            platform=where.platform, channel=where.channel, thread=where.thread, account=account, asker=asker
        )
        if state is not ThreadState.OPEN:
            started = started.moved(state, answer_id=answer_id)
        return await self.store.open_conversation(started)

    async def of_exchange(
        self, where: Where, *, account: str | None, asker: str | None, link: MessageLink | None
    ) -> Conversation:
        """The thread's conversation; a thread whose exchange predates conversations starts in the
        state its latest link says (``handoff``: handed off; an answer: answered)."""
        state = ThreadState.OPEN
        if link is not None:
            state = ThreadState.HANDED_OFF if link.kind == "handoff" else ThreadState.ANSWERED
        answer_id = link.answer_id if link is not None else None
        return await self.conversation(where, account=account, asker=asker, state=state, answer_id=answer_id)

    async def customer_said(
        self,
        conversation: Conversation,
        *,
        message_id: str,
        user: str,
        text: str,
        at: datetime | None = None,
        kind: MessageKind = "follow_up",
    ) -> Heard:
        """Record a customer's message; the route it takes (``assistant.threads.route``). A
        resolved conversation is open again; a second customer joins the participants.

        ``at`` defaults to now (the time the message was received), which keeps a conversation's
        messages in the order they were handled whatever the platform's clock said."""
        new = await self.store.add_thread_message(
            ThreadMessage(
                conversation_id=conversation.id,
                message_id=message_id,
                author=user,
                speaker="customer",
                kind=kind,
                text=self._redact(text),
                created_at=at or utcnow(),
            )
        )
        changed = await self._change(conversation, lambda current: reopened(current).joined(user))
        return Heard(conversation=changed, route=route(changed), new=new)

    async def context(self, conversation: Conversation, *, before: str | None = None) -> ConversationContext:
        """What a follow-up is asked in: the thread so far (without message ``before`` itself, the
        one being asked) and the account's profile."""
        messages = await self.store.thread_messages(conversation.id, limit=CONTEXT_MESSAGES)
        if len(messages) == CONTEXT_MESSAGES:  # a long thread: what it is about is its first message
            first = await self.store.thread_messages(conversation.id, limit=1, oldest=True)
            messages = [*first, *(m for m in messages if m not in first)]
        earlier = [m for m in messages if m.message_id != before]
        profile = await self.profile(conversation.account) if conversation.account else None
        return context_of(earlier, profile)

    async def profile(self, account: str) -> AccountProfile | None:
        """The account's profile, or None when unknown or its source fails (a profile is context,
        never a reason not to answer or not to hand off)."""
        try:
            return await self.accounts.profile(account)
        except AssistantError as exc:
            log.warning("account profile of %s unavailable: %s", account, exc.message)
            return None

    async def answered(self, conversation: Conversation, answer: Answer, *, message_id: str) -> Conversation:
        """The assistant answered (or handed off) a message of the conversation."""
        await self.store.add_thread_message(
            ThreadMessage(
                conversation_id=conversation.id,
                message_id=message_id,
                author="assistant",
                speaker="assistant",
                kind="handoff" if answer.handed_off else "answer",
                text=None if answer.handed_off else answer.text,
                created_at=utcnow(),
                answer_id=answer.id,
            )
        )
        state = ThreadState.HANDED_OFF if answer.handed_off else ThreadState.ANSWERED

        def change(current: Conversation) -> Conversation:
            if current.owned and state is ThreadState.ANSWERED:
                return current  # a person took it meanwhile: the bot's state does not override theirs
            if current.answer_id == answer.id and current.state is state:
                return current  # recorded by an earlier attempt of the same event
            return reopened(current).moved(state, answer_id=answer.id)

        return await self._change(conversation, change)

    async def handoff_posted(
        self, conversation: Conversation, *, channel: str, post: str, link: str | None = None
    ) -> Conversation:
        """Where the conversation's hand-off post (its ticket card, where relays go) is."""

        def change(current: Conversation) -> Conversation:
            return reopened(current).moved(
                ThreadState.HANDED_OFF, handoff_channel=channel, handoff_post=post, link=link or current.link
            )

        return await self._change(conversation, change)

    async def agent_said(
        self,
        conversation: Conversation,
        *,
        message_id: str,
        agent: str,
        text: str,
        kind: MessageKind = "agent_reply",
    ) -> Conversation:
        """An agent wrote: in the customer's thread (``agent_reply``: they own it now, the
        customer's next words go to them) or in the hand-off thread (``internal_reply``: kept,
        so it can be sent to the customer)."""
        await self.store.add_thread_message(
            ThreadMessage(
                conversation_id=conversation.id,
                message_id=message_id,
                author=agent,
                speaker="agent",
                kind=kind,
                text=text,
                created_at=utcnow(),
            )
        )
        if kind == "internal_reply":
            return await self._current(conversation)

        def change(current: Conversation) -> Conversation:
            return reopened(current).moved(ThreadState.WAITING_ON_CUSTOMER, owner=current.owner or agent)

        return await self._change(conversation, change)

    async def taken(self, conversation: Conversation, agent: str) -> Conversation:
        """An agent took the hand-off: they own the conversation."""

        def change(current: Conversation) -> Conversation:
            if current.state is ThreadState.RESOLVED:
                return current
            return current.moved(ThreadState.HANDED_OFF, owner=agent)

        return await self._change(conversation, change)

    async def resolved(self, conversation: Conversation, agent: str | None) -> Conversation:
        """An agent resolved the conversation (sent the answer from the hand-off post)."""

        def change(current: Conversation) -> Conversation:
            if current.state is ThreadState.RESOLVED:
                return current
            return current.moved(ThreadState.RESOLVED, owner=current.owner or agent)

        return await self._change(conversation, change)

    async def confirmed(self, conversation: Conversation, answer_id: str) -> Conversation:
        """The customer said an answer solved it ("This solved it"): a conversation nobody owns
        whose latest answer that is, is resolved."""

        def change(current: Conversation) -> Conversation:
            if current.owned or current.state is not ThreadState.ANSWERED or current.answer_id != answer_id:
                return current
            return current.moved(ThreadState.RESOLVED)

        return await self._change(conversation, change)

    async def overdue(self, levels: ServiceLevels, *, now: datetime | None = None) -> list[Overdue]:
        """Conversations waiting on people past their account tier's first-response target."""
        now = now or utcnow()
        late: list[Overdue] = []
        for conversation in await self.store.waiting_since(now - levels.shortest):
            profile = await self.profile(conversation.account) if conversation.account else None
            found = overdue(conversation, profile.tier if profile else None, levels, now)
            if found is not None:
                late.append(found)
        return late

    async def rated(self, conversation: Conversation, score: int) -> Conversation:
        """The customer rated a resolved conversation (CSAT); the latest rating counts."""
        return await self._change(conversation, lambda current: replace(current, csat=score))

    async def by_post(self, platform: str, channel: str, post: str) -> Conversation | None:
        """The conversation whose hand-off post is ``post`` in ``channel`` (an agent replied under it)."""
        return await self.store.conversation_by_post(platform, channel, post)

    async def edited(self, where: Where, message_id: str, text: str | None) -> bool:
        """A message of a conversation edited (``text``) or deleted (None): the record follows."""
        kept = self._redact(text) if text is not None else None
        return await self.store.edit_thread_message(where.platform, where.channel, message_id, kept) > 0

    async def _current(self, conversation: Conversation) -> Conversation:
        return await self.store.conversation_by_id(conversation.id) or conversation

    async def _change(self, conversation: Conversation, change: Change) -> Conversation:
        """Apply ``change`` to the stored conversation as it is now: read, change, write only if
        nobody wrote in between (``updated_at`` compared), else again; two messages of one thread
        handled at once both count."""
        for _ in range(SAVE_ATTEMPTS):
            current = await self._current(conversation)
            changed = change(current)
            if changed == current:
                return current
            stamped = replace(changed, updated_at=max(utcnow(), current.updated_at + TICK))
            if await self.store.save_conversation(stamped, expected=current.updated_at):
                return stamped
        raise ServiceUnavailableError(f"Conversation {conversation.id} kept changing; not saved.")
