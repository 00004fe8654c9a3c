"""Who is who in Teams: agents, customers and bots, by one documented rule (``member_role``).

The rule, in order:

1. Bots (the assistant itself included) have no role: what they write is ignored.
2. When ``TEAMS_AGENT_IDS`` lists AAD object ids, exactly those users are agents; everyone else
   is a customer.
3. Otherwise an agent is a member of the vendor's own tenant (``TEAMS_AGENT_TENANT_ID``, else
   ``MICROSOFT_APP_TENANT_ID``) who is not a guest or an anonymous user, and whose tenant is not
   listed in ``TEAMS_CUSTOMER_TENANTS``. Members of other tenants (shared channels, external
   chats), guests and users without an AAD object id are customers. The tenant a conversation
   belongs to never makes anyone an agent: without a vendor tenant (and without
   ``TEAMS_AGENT_IDS``) nobody is an agent, and the bot refuses to start (``check_agent_rule``).

Rule 3 needs the member's tenant and role, which Teams gives only through the roster API
(``TeamsInfo.get_member``); ``Members`` asks once per member and caches the answer. A member the
roster does not know (404) has no role; a roster that fails (5xx, throttled, unreachable) raises
``RosterUnavailable`` and nothing is cached, so the message is retried by the inbox, never
dropped, and the member's next messages ask again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount

from assistant.errors import ServiceUnavailableError
from assistant.models import Role

log = logging.getLogger(__name__)

MEMBER_TTL_SECONDS = 600.0
FAILED_LOOKUP_TTL_SECONDS = 30.0  # a member the roster does not know (404), asked again after this
NOT_A_MEMBER = 404
NOT_MEMBERS = frozenset({"guest", "anonymous"})
MAX_KNOWN_AGENTS = 60  # Teams' limit on a card's refresh.userIds


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What Teams says about a member: ``tenant_id`` and ``user_role`` come from the roster."""

    aad_object_id: str | None
    tenant_id: str | None = None
    user_role: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class AgentRules:
    """The settings the rule reads (ids lower-cased)."""

    agent_ids: frozenset[str] = frozenset()
    customer_tenants: frozenset[str] = frozenset()
    home_tenant: str | None = None

    @property
    def by_id(self) -> bool:
        return bool(self.agent_ids)


def member_role(member: MemberFacts, rules: AgentRules, *, conversation_tenant: str | None) -> Role | None:
    """AGENT, CUSTOMER, or None for bots (see the module docstring for the rule)."""
    if member.is_bot:
        return None
    aad = (member.aad_object_id or "").lower()
    if rules.by_id:
        return Role.AGENT if aad and aad in rules.agent_ids else Role.CUSTOMER
    tenant = (member.tenant_id or conversation_tenant or "").lower()
    own = (rules.home_tenant or "").lower()  # never the conversation's: a customer's chat is theirs
    if not aad or not tenant or not own or (member.user_role or "").lower() in NOT_MEMBERS:
        return Role.CUSTOMER
    if tenant in rules.customer_tenants:
        return Role.CUSTOMER
    return Role.AGENT if tenant == own else Role.CUSTOMER


def is_bot_account(account: ChannelAccount | None, recipient: ChannelAccount | None) -> bool:
    if account is None or not account.id:
        return True
    if recipient is not None and account.id == recipient.id:
        return True
    return (account.role or "").lower() == "bot" or account.id.startswith("28:")


class Members:
    """Cached answers to "is this member an agent?" for the bot."""

    def __init__(self, rules: AgentRules, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self._clock = clock
        self._facts: dict[str, tuple[float, MemberFacts | None]] = {}
        self._agents: dict[str, None] = {}  # MRIs of agents seen, oldest first

    @property
    def known_agents(self) -> tuple[str, ...]:
        """The user MRIs (``29:…``) of the agents seen lately, newest last: who an answer card's
        ``refresh.userIds`` names, so their clients fetch the agents' view (at most 60 count)."""
        return tuple(self._agents)[-MAX_KNOWN_AGENTS:]

    def _seen(self, account: ChannelAccount, role: Role | None) -> Role | None:
        if role is Role.AGENT and account.id:
            self._agents.pop(account.id, None)
            self._agents[account.id] = None
            while len(self._agents) > MAX_KNOWN_AGENTS:
                self._agents.pop(next(iter(self._agents)))
        return role

    async def role_of(self, context: TurnContext, account: ChannelAccount | None = None) -> Role | None:
        """The role of ``account`` (by default the sender of the turn's activity)."""
        activity = context.activity
        account = account or activity.from_property
        if is_bot_account(account, activity.recipient):
            return None
        assert account is not None
        tenant = conversation_tenant(context)
        if self.rules.by_id:
            role = member_role(MemberFacts(account.aad_object_id), self.rules, conversation_tenant=tenant)
            return self._seen(account, role)
        facts = await self._lookup(context, account)
        if facts is None:
            return None
        return self._seen(account, member_role(facts, self.rules, conversation_tenant=tenant))

    async def _lookup(self, context: TurnContext, account: ChannelAccount) -> MemberFacts | None:
        now = self._clock()
        cached = self._facts.get(account.id)
        if cached is not None and cached[0] > now:
            return cached[1]
        facts: MemberFacts | None
        try:
            member = await TeamsInfo.get_member(context, account.id)
            facts = MemberFacts(
                aad_object_id=member.aad_object_id or account.aad_object_id,
                tenant_id=member.tenant_id,
                user_role=member.user_role,
            )
        except Exception as exc:  # the connector's errors are msrest/requests types; none is ours
            if _status(exc) != NOT_A_MEMBER:
                log.warning("member lookup failed for %s: %s", account.id, type(exc).__name__)
                raise RosterUnavailable(f"Teams' roster failed ({type(exc).__name__}).") from exc
            log.info("member %s is not in the conversation's roster", account.id)
            facts = None
        ttl = MEMBER_TTL_SECONDS if facts is not None else FAILED_LOOKUP_TTL_SECONDS
        self._facts[account.id] = (now + ttl, facts)
        return facts


class RosterUnavailable(ServiceUnavailableError):
    """Teams' roster (``TeamsInfo.get_member``) could not say who a member is, for now."""

    user_message = "Teams could not tell who you are just now. Please try again in a moment."


def _status(exc: BaseException) -> int | None:
    """The HTTP status of a Bot Connector error, when it has one."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if status else None


def conversation_tenant(context: TurnContext) -> str | None:
    activity = context.activity
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id")
    return str(tenant) if tenant else (activity.conversation.tenant_id if activity.conversation else None)
